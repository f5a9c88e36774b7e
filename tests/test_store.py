"""The conversation store: one atomic file per conversation, unreadable records isolated."""

from __future__ import annotations

import asyncio
import json

import pytest

from agentgate.conversation import ids
from agentgate.conversation.state import SNAPSHOTS_KEPT, Record, State, owner_of
from agentgate.conversation.store import ConversationStore


def record_with(values: dict) -> Record:
    record = Record(id=ids.mint(), workflow="w", owner=owner_of("key"))
    record.add(State(values=values, asked="x"))
    return record


async def test_save_then_load(tmp_path):
    store = ConversationStore(tmp_path)
    record = record_with({"a": 1, "when": "2026-01-01"})
    await store.save(record)
    loaded = await store.load(record.id)
    assert loaded == record
    assert loaded.snapshot(1) == State(values={"a": 1, "when": "2026-01-01"}, asked="x")
    assert await store.load(ids.mint()) is None


async def test_one_sharded_file_per_conversation_and_no_leftovers(tmp_path):
    store = ConversationStore(tmp_path)
    records = [record_with({"n": n}) for n in range(20)]
    for record in records:
        await store.save(record)
    files = sorted((tmp_path / "conversations").rglob("*"))
    stored = [f for f in files if f.is_file()]
    assert len(stored) == 20 and not [f for f in stored if f.suffix == ".tmp"]
    for record in records:
        assert store.path_for(record.id).parent.name == record.id[3:5]
    assert "key" not in stored[0].read_text()


async def test_unreadable_record_affects_only_its_conversation(tmp_path, caplog):
    store = ConversationStore(tmp_path)
    good, bad = record_with({"n": 1}), record_with({"n": 2})
    await store.save(good)
    await store.save(bad)
    store.path_for(bad.id).write_text("{ truncated")
    assert await store.load(bad.id) is None
    assert not store.path_for(bad.id).exists()  # set aside, kept for inspection
    aside = list(store.path_for(bad.id).parent.glob(f"{bad.id}.json.damaged-*"))
    assert [p.read_text() for p in aside] == ["{ truncated"]
    assert (await store.load(good.id)).snapshot(None).values == {"n": 1}
    assert "unreadable" in caplog.text


@pytest.mark.parametrize("damage", [
    lambda d: d["snapshots"].update({"x": d["snapshots"]["1"]}),     # a key that is no turn
    lambda d: d["snapshots"]["1"]["values"].update(n=10**400),       # a number too large
    lambda d: d.update(id="ag_" + "B" * 22),                          # names another record
    lambda d: d.update(next_turn="many"),
    lambda d: d["snapshots"]["1"].update(status="flying"),
    lambda d: d["snapshots"]["1"].update(pending={"input": 3}),
    lambda d: d.update(owner=["x"]),
])
async def test_a_record_that_does_not_check_out_is_set_aside(tmp_path, damage):
    import json
    store = ConversationStore(tmp_path)
    record = record_with({"n": 1})
    await store.save(record)
    path = store.path_for(record.id)
    stored = json.loads(path.read_text())
    damage(stored["conversation"]["1"])
    path.write_text(json.dumps(stored))
    assert await store.load(record.id) is None
    assert not path.exists()


async def test_temporary_files_left_by_a_crash_are_swept(tmp_path):
    import os
    import time
    store = ConversationStore(tmp_path)
    record = record_with({"n": 1})
    await store.save(record)
    debris = store.path_for(record.id).parent / ".crashed.tmp"
    debris.write_text('{"values": {"secret": 1}}')
    fresh = store.path_for(record.id).parent / ".writing.tmp"
    fresh.write_text("{}")
    old = time.time() - 3600
    os.utime(debris, (old, old))
    assert store.sweep_temporary() == 1
    assert not debris.exists() and fresh.exists() and store.path_for(record.id).exists()


async def test_old_snapshots_are_pruned(tmp_path):
    store = ConversationStore(tmp_path)
    record = record_with({})
    for n in range(SNAPSHOTS_KEPT + 10):
        record.add(State(values={"n": n}))
    await store.save(record)
    loaded = await store.load(record.id)
    assert len(loaded.snapshots) == SNAPSHOTS_KEPT
    assert loaded.snapshot(None).values == {"n": SNAPSHOTS_KEPT + 9}
    assert loaded.snapshot(1) is None
    data = json.loads(store.path_for(record.id).read_text())
    assert list(data) == ["conversation"]


async def test_turns_of_one_conversation_never_interleave(tmp_path):
    store = ConversationStore(tmp_path)
    trace: list[str] = []

    async def turn(name: str, conversation: str):
        async with store.lock(conversation):
            trace.append(f"{name} in")
            await asyncio.sleep(0.01)
            trace.append(f"{name} out")

    await asyncio.gather(turn("a", "c1"), turn("b", "c1"), turn("c", "c2"))
    c1 = [t for t in trace if t[0] in "ab"]
    assert c1 in (["a in", "a out", "b in", "b out"], ["b in", "b out", "a in", "a out"])
    assert trace.index("c in") < trace.index("a out")  # other conversations are not blocked


@pytest.mark.parametrize("damage", [
    '{"conversation": []}', '{"conversation": {"1": {"id": "x", "workflow": "w", '
    '"snapshots": {"1": "text"}}}}', '{"conversation": {"1": {"id": "x", "workflow": "w", '
    '"snapshots": {"1": {"values": [1]}}}}}', '{"conversation": {"1": {"id": "x", '
    '"workflow": "w", "snapshots": {"1": {"status": "exploded"}}}}}', "directory"])
async def test_any_damaged_record_is_treated_as_missing(tmp_path, damage):
    store = ConversationStore(tmp_path)
    record = record_with({"n": 1})
    await store.save(record)
    path = store.path_for(record.id)
    if damage == "directory":
        path.unlink()
        path.mkdir()
    else:
        path.write_text(damage)
    assert await store.load(record.id) is None


async def test_old_conversations_are_swept(tmp_path):
    import os
    import time
    store = ConversationStore(tmp_path)
    old, fresh = record_with({"n": 1}), record_with({"n": 2})
    await store.save(old)
    await store.save(fresh)
    long_ago = time.time() - 40 * 86400
    os.utime(store.path_for(old.id), (long_ago, long_ago))
    assert await store.sweep(30 * 86400) == 1
    assert await store.load(old.id) is None and await store.load(fresh.id) is not None


async def test_a_turn_waiting_too_long_for_its_conversation_gets_409(make_client, settings):
    from agentgate.appkeys import DEPS
    client = await make_client(settings.replace(lock_wait=0.2))
    first = await client.post("/v1/chat/completions", json={
        "model": "loan-calculator", "messages": [{"role": "user", "content": "hi"}]})
    reply = (await first.json())["choices"][0]["message"]["content"]
    marker = ids.find(reply)
    messages = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": reply},
                {"role": "user", "content": "250000"}]
    async with client.app[DEPS].store.lock(marker.conversation):  # a turn still running
        busy = await client.post("/v1/chat/completions", json={
            "model": "loan-calculator", "messages": messages})
        error = await busy.json()
    assert busy.status == 409 and busy.headers["Retry-After"] == "1"
    assert error["error"]["code"] == "conversation_busy"
    assert "still being answered" in error["error"]["message"]
    after = await client.post("/v1/chat/completions", json={
        "model": "loan-calculator", "messages": messages})
    assert after.status == 200
