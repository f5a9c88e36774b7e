"""The store of Responses API objects: the file implementation, and the app working with any
implementation of the interface."""

from __future__ import annotations

import os
import time

from agentgate.api.response_store import FileResponseStore, StoredResponse, new_id
from responses_shapes import final_response, parse_stream


def stored(response_id: str, owner: str | None = "o1") -> StoredResponse:
    return StoredResponse(response_id, owner, "hello", "ag_" + "a" * 22 + ".1",
                          {"id": response_id, "object": "response"})


async def test_put_get_delete(tmp_path):
    store = FileResponseStore(tmp_path)
    first, second = new_id(), new_id()
    assert first != second and first.startswith("resp_") and len(first) == 53
    await store.put(stored(first))
    assert await store.get(first) == stored(first)
    assert await store.get(second) is None
    assert await store.delete(first) is True
    assert await store.delete(first) is False
    assert await store.get(first) is None
    assert not list(tmp_path.rglob("*.tmp"))


async def test_ids_that_are_not_ours_never_become_paths(tmp_path):
    store = FileResponseStore(tmp_path)
    for bad in ("../../etc/passwd", "resp_" + "0" * 47 + "/", "resp_" + "G" * 48, ""):
        assert store.path_for(bad) is None
        assert await store.get(bad) is None and await store.delete(bad) is False


async def test_an_unreadable_object_is_missing_and_harms_no_other(tmp_path, caplog):
    store = FileResponseStore(tmp_path)
    damaged, other, renamed = new_id(), new_id(), new_id()
    for response_id in (damaged, other, renamed):
        await store.put(stored(response_id))
    store.path_for(damaged).write_text('{"id": "resp_')
    store.path_for(renamed).write_text(store.path_for(other).read_text())  # another's object
    assert await store.get(damaged) is None and await store.get(renamed) is None
    assert await store.get(other) == stored(other)
    assert f"response {damaged}: stored object unreadable" in caplog.text


async def test_sweep_removes_only_old_objects(tmp_path):
    store = FileResponseStore(tmp_path)
    old, fresh = new_id(), new_id()
    await store.put(stored(old))
    await store.put(stored(fresh))
    past = time.time() - 3 * 86400
    os.utime(store.path_for(old), (past, past))
    assert await store.sweep(86400) == 1
    assert await store.get(old) is None and await store.get(fresh) is not None


class MemoryStore:
    """Another implementation of the interface, as a Redis store would be."""

    def __init__(self, fail_puts: bool = False):
        self.objects: dict[str, StoredResponse] = {}
        self.fail_puts = fail_puts

    async def get(self, response_id):
        return self.objects.get(response_id)

    async def put(self, response):
        if self.fail_puts:
            raise OSError("disk full")
        self.objects[response.id] = response

    async def delete(self, response_id):
        return self.objects.pop(response_id, None) is not None

    async def sweep(self, max_age_seconds):
        return 0


async def test_the_app_uses_any_store_with_the_interface(make_client, settings):
    memory = MemoryStore()
    client = await make_client(settings, responses=memory)
    first = await client.post("/v1/responses", json={"model": "loan-calculator",
                                                     "input": "300000"})
    body = await first.json()
    assert set(memory.objects) == {body["id"]}
    assert memory.objects[body["id"]].marker.startswith("ag_")
    second = await client.post("/v1/responses", json={
        "model": "loan-calculator", "input": "6.5", "previous_response_id": body["id"]})
    assert "how many years" in (await second.text()).lower()


async def test_a_store_that_fails_ends_the_stream_with_response_failed(make_client, settings):
    client = await make_client(settings, responses=MemoryStore(fail_puts=True))
    response = await client.post("/v1/responses", json={"model": "hello", "input": "hi",
                                                        "stream": True})
    events = parse_stream(await response.text())
    assert [e["type"] for e in events][-2:] == ["error", "response.failed"]
    assert final_response(events)["error"]["code"] == "server_error"
    plain = await client.post("/v1/responses", json={"model": "hello", "input": "hi"})
    assert plain.status == 500
    assert (await plain.json())["error"]["code"] == "server_error"
