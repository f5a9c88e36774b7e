"""Store write cost as conversations pile up (run with `make bench`; prints ratios).

A turn's write should cost the same with 100 or 100,000 stored conversations. The baseline,
measured in the same run, is the naive layout: every conversation in one shared TinyDB file.
"""

from __future__ import annotations

import json
import statistics
import time

from tinydb import TinyDB
from tinydb.table import Document

from agentgate.conversation import ids
from agentgate.conversation.state import Record, State
from agentgate.conversation.store import ConversationStore

SAMPLES = 200


def make_record() -> Record:
    record = Record(id=ids.mint(), workflow="loan-calculator", owner=None)
    record.add(State(values={"principal": 300000, "annual_rate": 6.5}, asked="years"))
    return record


def populate(store: ConversationStore, count: int) -> None:
    """Write `count` records straight to disk (no fsync) to reach the size quickly."""
    for _ in range(count):
        record = make_record()
        path = store.path_for(record.id)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"conversation": {"1": record.to_dict()}}))


def median_save_seconds(store: ConversationStore) -> float:
    timings = []
    for _ in range(SAMPLES):
        record = make_record()
        started = time.perf_counter()
        store._save(record)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def shared_file_save_seconds(path, stored: int) -> float:
    with TinyDB(path) as db:
        table = db.table("conversations")
        table.insert_multiple(make_record().to_dict() for _ in range(stored))
        timings = []
        for n in range(20):
            started = time.perf_counter()
            table.upsert(Document(make_record().to_dict(), doc_id=stored + n + 1))
            timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def test_write_cost_does_not_grow_with_stored_conversations(tmp_path):
    small = ConversationStore(tmp_path / "small")
    populate(small, 100)
    large = ConversationStore(tmp_path / "large")
    populate(large, 100_000)
    small_cost, large_cost = median_save_seconds(small), median_save_seconds(large)

    naive_small = shared_file_save_seconds(tmp_path / "naive-small.json", 100)
    naive_large = shared_file_save_seconds(tmp_path / "naive-large.json", 10_000)

    print(f"\nper-conversation files: save with 100 stored {small_cost * 1e3:.3f} ms, "
          f"with 100,000 stored {large_cost * 1e3:.3f} ms, ratio {large_cost / small_cost:.2f}")
    print(f"baseline, one shared TinyDB file: save with 100 stored {naive_small * 1e3:.3f} ms, "
          f"with 10,000 stored {naive_large * 1e3:.3f} ms, ratio {naive_large / naive_small:.2f}")
    assert large_cost / small_cost < 3, "a write got much slower with more conversations stored"
