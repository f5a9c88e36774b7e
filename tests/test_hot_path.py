"""What keeps a turn cheap: the LLM stack imported only when used, structured requests
prepared once per model, and stored records read from memory while their file is unchanged."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

from agentgate.appkeys import CATALOG, DEPS
from agentgate.conversation import ids
from agentgate.conversation.state import Record, State
from agentgate.conversation.store import ConversationStore
from agentgate.llm import InternalLLM
from agentgate.settings import Settings
from agentgate.testing import FakeLLM, Values
from agentgate.workflow.loader import load_file
from conftest import WORKFLOWS


def test_serving_offline_imports_neither_openai_nor_instructor():
    code = ("import sys, agentgate.app, agentgate.cli, agentgate.run_command; "
            "print(sorted(m for m in ('openai', 'instructor') if m in sys.modules))")
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True).stdout.strip()
    assert shown == "[]"


def answer(body):
    names = body["tools"][0]["function"]["parameters"]["$defs"]["Values"]["properties"]
    return Values({"values": {name: None for name in names} | {"principal": 250000},
                   "reply": None, "action": "none"})


async def test_a_structured_request_is_prepared_once_and_sent_the_same_way():
    workflow = load_file(WORKFLOWS / "loan-calculator.json")
    async with FakeLLM(default=answer) as fake:
        llm = InternalLLM.from_settings(Settings(llm_base_url=fake.url))
        try:
            request = llm.prepare(workflow.extraction_model)
            assert llm.prepare(workflow.extraction_model) is request
            for text in ("first", "second"):
                result, usage = await llm.structured(
                    workflow.extraction_model, [{"role": "user", "content": text}],
                    llm.deadline())
                assert result.values.principal == 250000 and usage.prompt_tokens == 10
        finally:
            await llm.close()
    first, second = (r.body for r in fake.requests)
    assert first["tools"] == second["tools"] and first["tool_choice"] == second["tool_choice"]
    assert [m["content"] for m in first["messages"]] == ["first"]


def record(values: dict) -> Record:
    made = Record(id=ids.mint(), workflow="w", owner=None)
    made.add(State(values=values, asked="x"))
    return made


async def test_a_saved_record_is_read_again_without_touching_the_file(tmp_path, monkeypatch):
    store = ConversationStore(tmp_path)
    saved = record({"n": 1})
    await store.save(saved)

    def no_read(*args):
        raise AssertionError("the file was read")

    monkeypatch.setattr(store, "_load", no_read)
    loaded = await store.load(saved.id)
    assert loaded == saved and loaded is not saved
    loaded.add(State(values={"n": 2}))  # a turn's change stays its own until it is saved
    assert (await store.load(saved.id)).snapshot(None).values == {"n": 1}


async def test_a_file_changed_on_disk_is_read_again(tmp_path):
    store = ConversationStore(tmp_path)
    saved = record({"n": 1})
    await store.save(saved)
    path = store.path_for(saved.id)
    stored = json.loads(path.read_text())
    stored["conversation"]["1"]["snapshots"]["1"]["values"] = {"n": 70}
    path.write_text(json.dumps(stored))
    assert (await store.load(saved.id)).snapshot(None).values == {"n": 70}
    path.unlink()
    assert await store.load(saved.id) is None


async def test_files_keep_tinydbs_layout(tmp_path):
    from tinydb import TinyDB

    store = ConversationStore(tmp_path)
    saved = record({"when": dt.date(2026, 1, 2).isoformat()})
    await store.save(saved)
    with TinyDB(store.path_for(saved.id)) as db:
        assert db.table("conversation").get(doc_id=1)["id"] == saved.id


async def test_quick_steps_run_without_a_task_each(tmp_path, monkeypatch):
    from agentgate.events import AnswerDelta, NodeFinished
    from agentgate.workflow import runner

    nodes = [{"id": "n0", "type": "template", "template": "1"}] + [
        {"id": f"n{i}", "type": "template", "template": "{{ nodes.n%d.text | int + 1 }}" % (i - 1)}
        for i in range(1, 50)]
    path = tmp_path / "chain.json"
    path.write_text(json.dumps({"name": "chain", "description": "A chain.", "nodes": nodes,
                                "output": "n49"}))
    workflow = load_file(path)
    made = []
    real = runner.asyncio.ensure_future
    monkeypatch.setattr(runner.asyncio, "ensure_future",
                        lambda awaitable: made.append(awaitable) or real(awaitable))
    events = [event async for event in runner.run_workflow(workflow, {})]
    assert "".join(e.text for e in events if isinstance(e, AnswerDelta)) == "50"
    assert sum(isinstance(e, NodeFinished) for e in events) == 50
    assert len(made) == 1  # the run itself; no step needed a task of its own


async def test_start_up_warms_the_first_turn_without_storing_or_calling_anything(
        tmp_path, make_client):
    async with FakeLLM() as fake:  # an empty script: any request to it would fail the turn
        settings = Settings(workflows=str(WORKFLOWS), data_dir=str(tmp_path / "data"),
                            reload_seconds=0, llm_base_url=fake.url)
        client = await make_client(settings)
        deps = client.server.app[DEPS]
        assert set(deps.llm._requests) == {w.extraction_model for w in
                                          client.server.app[CATALOG].workflows.values()}
        assert "openai.resources.chat" in sys.modules
        assert fake.requests == []
    assert list((tmp_path / "data" / "conversations").iterdir()) == []


async def test_a_save_starts_before_it_is_awaited(tmp_path):
    import time

    store = ConversationStore(tmp_path)
    saved = record({"n": 1})
    pending = store.start_save(saved)
    deadline = time.monotonic() + 5
    while not store.path_for(saved.id).exists() and time.monotonic() < deadline:
        time.sleep(0.001)  # blocks the event loop: only a worker thread can write the file
    assert store.path_for(saved.id).exists()
    await pending
    assert (await store.load(saved.id)) == saved


async def test_a_step_with_nothing_beside_it_runs_without_a_task(tmp_path, monkeypatch,
                                                                 wait_type):
    from agentgate.workflow import runner

    nodes = [{"id": "a", "type": "wait", "seconds": 0.001},
             {"id": "b", "type": "wait", "seconds": 0.001, "after": ["a"]},
             {"id": "c", "type": "wait", "seconds": 0.001, "after": ["b"]},
             {"id": "d", "type": "wait", "seconds": 0.001, "after": ["b"]},
             {"id": "end", "type": "template", "template": "{{ nodes.c.text }}{{ nodes.d.text }}"}]
    path = tmp_path / "steps.json"
    path.write_text(json.dumps({"name": "steps", "description": "Steps.", "nodes": nodes,
                                "output": "end"}))
    made = []
    real = runner.asyncio.ensure_future
    monkeypatch.setattr(runner.asyncio, "ensure_future",
                        lambda awaitable: made.append(awaitable) or real(awaitable))
    events = [event async for event in runner.run_workflow(load_file(path), {})]
    assert events
    # the run itself, then "c" and "d" side by side; "a" and "b" each run alone
    assert len(made) == 3
