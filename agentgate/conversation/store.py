"""Conversation records on disk: one small JSON file per conversation, in TinyDB's layout.

One file per conversation, in folders sharded by the ID's first characters, keeps a turn's
write the same size whatever else is stored. A file holds the record as TinyDB stores a
one-document table (`{"conversation": {"1": record}}`), so TinyDB can open it, but the
store reads and writes it directly: a save writes the whole record it already holds, with
no read before it. Writes go to a temporary file that replaces the old one (never a
half-written record) after `fdatasync`, in a worker thread, off the event loop.

Recently saved or loaded records are kept in memory, checked against the file's identity
(inode, size, modification time) on every load, so a turn that follows another needs no
read, while a file changed, damaged or removed on disk is still noticed.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
import os
import re
import tempfile
import time
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable

from agentgate.conversation.state import Record
from agentgate.conversation.store_base import LOCK_WAIT, Lease, LocalLocks, Store

log = logging.getLogger(__name__)
_SAFE_ID = re.compile(r"^ag_[A-Za-z0-9]{22}$")
_TABLE = "conversation"
TEMP_MAX_AGE = 60.0  # seconds: a write takes milliseconds, an older temporary file is debris
RECENT_KEPT = 4096   # records kept in memory


def encode(record: Record) -> bytes:
    """A record as its file holds it."""
    return _encoded(record.to_dict())


def _encoded(stored: dict[str, Any]) -> bytes:
    return json.dumps({_TABLE: {"1": stored}}, separators=(",", ":"),
                      ensure_ascii=False).encode()


def decode(data: bytes, conversation_id: str) -> Record | None:
    """The record a file holds; None for an empty table; ValueError for anything else."""
    document = json.loads(data) if data.strip() else None
    if document is None:
        return None
    table = document.get(_TABLE) if isinstance(document, dict) else None
    if not isinstance(table, dict):
        raise ValueError("not a conversation table")
    stored = table.get("1")
    if stored is None:
        return None
    if not isinstance(stored, dict):
        raise ValueError("not a conversation record")
    return Record.from_dict(stored, conversation_id)


def write_atomically(path: Path, data: bytes) -> tuple[int, int, int]:
    """Replace `path` with `data` durably; returns the new file's identity."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fdatasync(handle.fileno())
            identity = _identity(os.fstat(handle.fileno()))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return identity


def _identity(stat: os.stat_result) -> tuple[int, int, int]:
    return stat.st_ino, stat.st_size, stat.st_mtime_ns


class ConversationStore(Store):
    """Conversation records in files, for one process (its locks are in-process)."""

    kind = "file"

    def __init__(self, root: str | os.PathLike, lock_wait: float = LOCK_WAIT):
        self.root = Path(root) / "conversations"
        self._locks = LocalLocks(lock_wait)
        # id -> (file identity, record as stored); a hit is copied before it is handed out
        self._recent: collections.OrderedDict[str, tuple[tuple[int, int, int], dict[str, Any]]] \
            = collections.OrderedDict()

    def path_for(self, conversation_id: str) -> Path:
        if not _SAFE_ID.match(conversation_id):
            raise ValueError("not a conversation ID")
        return self.root / conversation_id[3:5] / f"{conversation_id}.json"

    @contextlib.asynccontextmanager
    async def lock(self, conversation_id: str) -> AsyncIterator[None]:
        async with self._locks.hold(conversation_id):
            yield

    async def prepare(self) -> None:
        await asyncio.to_thread(self.root.mkdir, parents=True, exist_ok=True)

    async def load(self, conversation_id: str) -> Record | None:
        """The record, or None when it is missing or unreadable (logged, set aside)."""
        path = self.path_for(conversation_id)
        kept = self._recent.get(conversation_id)
        if kept is not None:
            try:
                identity = _identity(path.stat())
            except OSError:
                identity = None
            if identity == kept[0]:
                self._recent.move_to_end(conversation_id)
                return Record.of(kept[1])
            del self._recent[conversation_id]
        identity, record = await asyncio.to_thread(self._load, conversation_id, path)
        if record is not None:
            self._remember(conversation_id, identity, record.to_dict())
        return record

    def start_save(self, record: Record, lease: Lease | None = None) -> Awaitable[None]:
        """Start writing `record` now, in a worker thread; awaiting the result waits until
        it is durable (and raises what the write raised). The record must not change
        until then."""
        stored = record.to_dict()
        written = asyncio.get_running_loop().run_in_executor(None, self._save, record.id,
                                                             stored)

        async def durable() -> None:
            self._remember(record.id, await written, stored)

        return durable()

    def _remember(self, conversation_id: str, identity: tuple[int, int, int],
                  stored: dict[str, Any]) -> None:
        self._recent[conversation_id] = (identity, stored)
        self._recent.move_to_end(conversation_id)
        while len(self._recent) > RECENT_KEPT:
            self._recent.popitem(last=False)

    def _load(self, conversation_id: str,
              path: Path) -> tuple[tuple[int, int, int] | None, Record | None]:
        try:
            with open(path, "rb") as handle:
                identity = _identity(os.fstat(handle.fileno()))
                record = decode(handle.read(), conversation_id)
        except FileNotFoundError:
            return None, None
        except Exception as exc:  # any damage stays with this one conversation
            log.warning("conversation %s: stored record unreadable (%s); set aside, and "
                        "rebuilt from the chat history", conversation_id, type(exc).__name__)
            self._quarantine(path)
            return None, None
        return identity, record

    @staticmethod
    def _quarantine(path: Path) -> None:
        """Move a damaged record aside (kept for inspection, never read again)."""
        with contextlib.suppress(OSError):
            path.rename(path.with_name(f"{path.name}.damaged-{int(time.time())}"))

    async def sweep(self, max_age_seconds: float) -> int:
        """Delete records untouched for longer than `max_age_seconds`; returns how many."""
        return await asyncio.to_thread(self._sweep, max_age_seconds)

    def _sweep(self, max_age_seconds: float) -> int:
        removed = self._remove_older("*/ag_*.json*", max_age_seconds)
        self.sweep_temporary()
        return removed

    def sweep_temporary(self, older_than: float = TEMP_MAX_AGE) -> int:
        """Delete temporary files a crash left mid-write (they hold a full state)."""
        return self._remove_older("*/.*.tmp", older_than)

    def _remove_older(self, pattern: str, max_age_seconds: float) -> int:
        """Delete the files matching `pattern` untouched for longer than that; how many."""
        cutoff = time.time() - max_age_seconds
        removed = 0
        for path in self.root.glob(pattern):
            with contextlib.suppress(OSError):
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
        return removed

    def _save(self, conversation_id: str, stored: dict[str, Any]) -> tuple[int, int, int]:
        path = self.path_for(conversation_id)
        data = _encoded(stored)
        try:
            return write_atomically(path, data)
        except FileNotFoundError:  # the conversation's first save in a new shard folder
            path.parent.mkdir(parents=True, exist_ok=True)
            return write_atomically(path, data)
