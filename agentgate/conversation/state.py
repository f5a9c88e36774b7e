"""What is remembered about a conversation between turns."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

Status = Literal["gathering", "confirming", "finished", "failed"]
STATUSES = ("gathering", "confirming", "finished", "failed")
SNAPSHOTS_KEPT = 32


@dataclass(frozen=True)
class Pending:
    """A question the user was asked about readings of their words: which one did they mean?

    `options` are stored values for `input`, or input names when `input` is empty (the user
    gave a value whose input was unclear, `text`)."""

    input: str
    options: tuple[Any, ...]
    text: str
    several: bool = False  # `text` holds several values whose inputs are unclear

    @classmethod
    def from_dict(cls, data: Any) -> "Pending | None":
        if data is None:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("input"), str) or \
                not isinstance(data.get("options"), list) or not isinstance(
                    data.get("text"), str):
            raise ValueError("not a pending question")
        return cls(data["input"], tuple(data["options"]), data["text"],
                   bool(data.get("several", False)))


@dataclass(frozen=True)
class State:
    """The conversation as of one reply. Never changed in place: `decide` makes a new one."""

    values: dict[str, Any] = field(default_factory=dict)
    asked: str | None = None
    status: Status = "gathering"
    pending: Pending | None = None
    started: bool = False   # a reply has been given (the introduction is not repeated)
    recent: tuple[str, ...] = ()  # inputs the last message set ("and 4?" means one of them)

    def but(self, **changes: Any) -> "State":
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["recent"] = list(self.recent)
        if self.pending is not None:
            data["pending"]["options"] = list(self.pending.options)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "State":
        """Raises ValueError for data that is not a state this code wrote."""
        if not isinstance(data, dict) or not isinstance(data.get("values", {}), dict):
            raise ValueError("not a conversation state")
        status, asked = data.get("status", "gathering"), data.get("asked")
        if status not in STATUSES or not (asked is None or isinstance(asked, str)):
            raise ValueError("not a conversation state")
        return cls(values=dict(data.get("values", {})), asked=asked, status=status,
                   pending=Pending.from_dict(data.get("pending")),
                   started=bool(data.get("started", True)),
                   recent=tuple(n for n in data.get("recent", ()) if isinstance(n, str)))


@dataclass
class Record:
    """One stored conversation: its owner, workflow and the snapshot each reply pointed at.

    Snapshots are numbered by `next_turn`, which only grows, so a regenerated reply never
    overwrites the state another branch of the chat still points at.
    """

    id: str
    workflow: str
    owner: str | None
    next_turn: int = 1
    snapshots: dict[str, dict[str, Any]] = field(default_factory=dict)

    def snapshot(self, turn: int | None) -> State | None:
        key = str(turn if turn is not None else self.next_turn - 1)
        data = self.snapshots.get(key)
        return State.from_dict(data) if data is not None else None

    def add(self, state: State) -> int:
        turn = self.next_turn
        self.next_turn += 1
        self.snapshots[str(turn)] = state.to_dict()
        for stale in sorted(self.snapshots, key=int)[:-SNAPSHOTS_KEPT]:
            del self.snapshots[stale]
        return turn

    def to_dict(self) -> dict[str, Any]:
        """The record as stored; snapshots are shared, never changed once added."""
        return {"id": self.id, "workflow": self.workflow, "owner": self.owner,
                "next_turn": self.next_turn, "snapshots": dict(self.snapshots)}

    @classmethod
    def of(cls, stored: dict[str, Any]) -> "Record":
        """A record from what `to_dict` gave, already checked (no second check)."""
        return cls(stored["id"], stored["workflow"], stored["owner"], stored["next_turn"],
                   dict(stored["snapshots"]))

    @classmethod
    def from_dict(cls, data: dict[str, Any], expected_id: str | None = None) -> "Record":
        """Raises ValueError for data that is not a record this code wrote (or not the
        record of `expected_id`)."""
        snapshots = data.get("snapshots", {})
        if not isinstance(snapshots, dict) or not isinstance(data.get("workflow"), str):
            raise ValueError("not a conversation record")
        if expected_id is not None and data.get("id") != expected_id:
            raise ValueError("the record names another conversation")
        owner, next_turn = data.get("owner"), data.get("next_turn", 1)
        if not (owner is None or isinstance(owner, str)) or not isinstance(next_turn, int) \
                or isinstance(next_turn, bool) or not 1 <= next_turn < 2**31:
            raise ValueError("not a conversation record")
        for key, snapshot in snapshots.items():
            if not (key.isascii() and key.isdigit()) or int(key) >= next_turn:
                raise ValueError("a snapshot key is not a turn number")
            _check_values(State.from_dict(snapshot).values)
        return cls(id=data["id"], workflow=data["workflow"], owner=owner,
                   next_turn=next_turn, snapshots=dict(snapshots))


def _check_values(values: dict[str, Any]) -> None:
    """Stored values are what this code writes: short text, bounded numbers, lists of
    text."""
    for value in values.values():
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, bool) or item is None:
                continue
            if isinstance(item, int) and abs(item) < 10**18:
                continue
            if isinstance(item, float) and item == item and abs(item) < 1e300:
                continue
            if isinstance(item, str) and len(item) <= 100_000:
                continue
            raise ValueError("a stored value is not one this code writes")


def owner_of(api_key: str | None, user: str | None = None) -> str | None:
    """A stable, non-reversible owner tag for an API key, and for one user behind it (the
    user a trusted front end such as Open WebUI names); keys are never stored."""
    if not api_key and not user:
        return None
    if not user:
        return hashlib.sha256(api_key.encode()).hexdigest()
    return hashlib.sha256(f"{api_key or ''}\0{user}".encode()).hexdigest()
