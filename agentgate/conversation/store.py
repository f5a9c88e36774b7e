"""Conversation records on disk: one small TinyDB file per conversation.

TinyDB's JSON storage rewrites its whole file on every write, so a shared file would make
each turn slower as conversations pile up. One file per conversation, in folders sharded by
the ID's first characters, keeps a turn's write the same size whatever else is stored.
Writes go to a temporary file that replaces the old one (never a half-written record), and
all file work runs in a worker thread, off the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import tempfile
import time
import weakref
from pathlib import Path
from typing import AsyncIterator

from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Document

from agentgate.conversation.state import Record

log = logging.getLogger(__name__)
_SAFE_ID = re.compile(r"^ag_[A-Za-z0-9]{22}$")
_TABLE = "conversation"
TEMP_MAX_AGE = 60.0  # seconds: a write takes milliseconds, an older temporary file is debris


class AtomicJSONStorage(Storage):
    """TinyDB storage that replaces the file in one step (write temp, fsync, rename)."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    def read(self):
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        return json.loads(text) if text.strip() else None

    def write(self, data) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, separators=(",", ":"))
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise

    def close(self) -> None:
        pass


class ConversationStore:
    """Loads and saves conversation records; `lock` serialises turns of one conversation."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root) / "conversations"
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    def path_for(self, conversation_id: str) -> Path:
        if not _SAFE_ID.match(conversation_id):
            raise ValueError("not a conversation ID")
        return self.root / conversation_id[3:5] / f"{conversation_id}.json"

    @contextlib.asynccontextmanager
    async def lock(self, conversation_id: str) -> AsyncIterator[None]:
        lock = self._locks.get(conversation_id)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[conversation_id] = lock
        async with lock:
            yield

    async def load(self, conversation_id: str) -> Record | None:
        """The record, or None when it is missing or unreadable (logged, left in place)."""
        return await asyncio.to_thread(self._load, conversation_id)

    async def save(self, record: Record) -> None:
        await asyncio.to_thread(self._save, record)

    def _load(self, conversation_id: str) -> Record | None:
        path = self.path_for(conversation_id)
        try:
            if not path.exists():
                return None
            with TinyDB(path, storage=AtomicJSONStorage) as db:
                document = db.table(_TABLE).get(doc_id=1)
            return Record.from_dict(dict(document), conversation_id) if document else None
        except Exception as exc:  # any damage stays with this one conversation
            log.warning("conversation %s: stored record unreadable (%s); set aside, and "
                        "rebuilt from the chat history", conversation_id, type(exc).__name__)
            self._quarantine(path)
            return None

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

    def _save(self, record: Record) -> None:
        path = self.path_for(record.id)
        path.parent.mkdir(parents=True, exist_ok=True)
        with TinyDB(path, storage=AtomicJSONStorage) as db:
            db.table(_TABLE).upsert(Document(record.to_dict(), doc_id=1))
