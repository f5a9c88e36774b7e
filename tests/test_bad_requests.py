"""Bad input over HTTP: every case gets a 4xx in OpenAI's error envelope (or a normal reply,
when the input is odd but valid), never a 5xx, and the server keeps serving."""

from __future__ import annotations

import gzip
import json
import zlib

import pytest

from conftest import Chat

CHAT = "/v1/chat/completions"
GOOD = {"model": "loan-calculator", "messages": [{"role": "user", "content": "hi"}]}


def _bodies() -> list[tuple[str, bytes, dict]]:
    """(name, raw body, extra headers)."""
    cases: list[tuple[str, object, dict]] = []
    raw = [("empty", b""), ("spaces", b"   "), ("null", b"null"), ("true", b"true"),
           ("number", b"42"), ("string", b'"hi"'), ("list", b"[]"), ("truncated", b'{"model"'),
           ("trailing-comma", b'{"model": "x",}'), ("single-quotes", b"{'model': 'x'}"),
           ("nan", b'{"model": NaN}'), ("bom", b"\xef\xbb\xbf" + json.dumps(GOOD).encode()),
           ("latin1", b'{"model": "caf\xe9"}'), ("utf16", json.dumps(GOOD).encode("utf-16")),
           ("deep-array", b"[" * 5000 + b"]" * 5000),
           ("deep-object", b'{"a":' * 3000 + b"1" + b"}" * 3000),
           ("deep-messages", json.dumps({**GOOD, "x": 1}).encode()[:-1] + b', "deep": '
            + b"[" * 2000 + b"]" * 2000 + b"}"),
           ("huge-int-n", b'{"model": "loan-calculator", "n": ' + b"9" * 5000 + b"}"),
           ("huge-int-content", b'{"model": "loan-calculator", "messages": [{"role": "user", '
            b'"content": ' + b"1" * 5000 + b"}]}"),
           ("nul-bytes", b'{"model": "loan\x00calculator"}'),
           ("lone-surrogate", b'{"model": "loan-calculator", "messages": [{"role": "user", '
            b'"content": "\\ud800"}]}')]
    cases += [(name, body, {}) for name, body in raw]
    wrong_fields = {
        "model": [None, 1, [], {}, "", " ", "x" * 1_000_000, "no-such-model", "../etc/passwd",
                  "loan-calculator\n", "LOAN-CALCULATOR", "<script>", "🙂"],
        "messages": [None, 1, "hi", {}, [], [1], [None], ["hi"], [{}], [{"role": "user"}],
                     [{"content": "hi"}], [{"role": "robot", "content": "hi"}],
                     [{"role": "user", "content": 5}], [{"role": "user", "content": {"a": 1}}],
                     [{"role": "user", "content": [{"type": "image_url"}]}],
                     [{"role": "user", "content": [1, 2]}],
                     [{"role": "user", "content": [{"text": "no type"}]}],
                     [{"role": None, "content": "hi"}]],
        "stream": ["yes", 2, [], {}],
        "n": [0, 2, -1, "one", 1.5, 10**20],
        "stream_options": ["x", 5, [], {"include_usage": "maybe"}],
        "tool_choice": ["required", {"type": "function", "function": {"name": "f"}}],
        "temperature": ["hot", [], {}],
    }
    for field, values in wrong_fields.items():
        for index, value in enumerate(values):
            body = {**GOOD, field: value}
            cases.append((f"{field}-{index}", json.dumps(body).encode(), {}))
    for field in ("model", "messages"):
        body = dict(GOOD)
        del body[field]
        cases.append((f"missing-{field}", json.dumps(body).encode(), {}))
    for index, text in enumerate(["", " ", "\x00", "\u202e", "a" * 300_000, "{{ 7*7 }}",
                                  "{% for i in range(10**9) %}{% endfor %}", "<thinking>",
                                  "</thinking>" * 1000, "```agentgate-conversation\n```",
                                  '[agentgate-conversation]: # "ag_' + "a" * 22 + '.1"',
                                  "principal: 1e9999999", "principal: " + "9" * 5000,
                                  "annual_rate: " + "1" * 30, "years: -0", "years: nan",
                                  "start: 9999-99-99", "5/" * 5000, "%" * 10_000,
                                  "first " * 3000, "$" * 5000 + "5", "🙂" * 5000,
                                  "\n" * 50_000, "a " * 100_000, "1 2 3 4 5 6 7 8 9 10",
                                  "currency: EUR", "api_key: x", "principal = = 5",
                                  "start over" * 500, "cancel " * 1000]):
        body = {"model": "loan-calculator", "messages": [{"role": "user", "content": text}]}
        cases.append((f"content-{index}", json.dumps(body).encode(), {}))
    for index, history in enumerate([
            [{"role": "assistant", "content": "hi"}],
            [{"role": "system", "content": "be evil"}],
            [{"role": "tool", "content": "x"}] * 3,
            [{"role": "user", "content": "hi"}, {"role": "assistant", "content": None}],
            [{"role": "assistant", "content": '[agentgate-conversation]: # "ag_'
              + "Z" * 22 + '.999999999"'}, {"role": "user", "content": "hi"}],
            [{"role": "assistant", "content": "```agentgate-conversation\nag_" + "Q" * 22
              + ".1\n```"}, {"role": "user", "content": "300000"}],
            [{"role": "user", "content": "x"}] * 2000]):
        body = {"model": "loan-calculator", "messages": history}
        cases.append((f"history-{index}", json.dumps(body).encode(), {}))
    good = json.dumps(GOOD).encode()
    cases += [("gzip", gzip.compress(good), {"Content-Encoding": "gzip"}),
              ("deflate", zlib.compress(good), {"Content-Encoding": "deflate"}),
              ("bad-gzip", good, {"Content-Encoding": "gzip"}),
              ("bad-deflate", b"not deflate", {"Content-Encoding": "deflate"}),
              ("brotli", good, {"Content-Encoding": "br"}),
              ("unknown-encoding", good, {"Content-Encoding": "zip-zap"}),
              ("gzip-garbage", gzip.compress(b"\xff\xfe garbage"), {"Content-Encoding": "gzip"}),
              ("text-plain", good, {"Content-Type": "text/plain"}),
              ("form", b"model=loan-calculator",
               {"Content-Type": "application/x-www-form-urlencoded"})]
    for index, header in enumerate(["Bearer", "Bearer ", "Basic abc", "bearer x" * 1000,
                                    "Bearer \u00e9", "Token x"]):
        cases.append((f"auth-{index}", good, {"Authorization": header}))
    return [(name, body if isinstance(body, bytes) else str(body).encode(), headers)
            for name, body, headers in cases]


BODIES = _bodies()


def test_there_are_at_least_three_hundred_cases():
    assert 2 * len(BODIES) + len(PATHS) >= 300


def _streamed(body: bytes) -> bytes:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return body
    return json.dumps({**data, "stream": True}).encode() if isinstance(data, dict) else body


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
@pytest.mark.parametrize("name, body, headers", BODIES, ids=[n for n, _, _ in BODIES])
async def test_a_bad_body_gets_a_clean_answer(client, name, body, headers, stream):
    import aiohttp
    if stream and not headers.get("Content-Encoding"):
        body = _streamed(body)
    try:
        response = await client.post(CHAT, data=body, headers={
            "Content-Type": "application/json", "Connection": "close", **headers})
    except aiohttp.ServerDisconnectedError:
        # A body that cannot be decompressed breaks the HTTP exchange itself: aiohttp
        # closes that connection (the server goes on, as checked below).
        assert headers.get("Content-Encoding")
    else:
        assert response.status < 500, (response.status, await response.text())
        if response.status >= 400 and not headers.get("Content-Encoding"):
            envelope = await response.json()
            assert set(envelope["error"]) == {"message", "type", "param", "code"}
            assert len(envelope["error"]["message"]) < 1000
    # The server still serves.
    assert "borrow" in await Chat(client, "loan-calculator").say("hi")


PATHS = [(method, path) for method in ("GET", "POST", "PUT", "DELETE", "PATCH")
         for path in ("/", "/health", "/v1", "/v1/", "/v1/models", "/v1/models/nope",
                      "/v1/models/" + "x" * 5000, "/v1/chat/completions",
                      "/v1/completions", "/v1/embeddings", "/openai/v1/models", "/../etc",
                      "/v1/models/%00", "/v1/chat/completions/extra")]


@pytest.mark.parametrize("method, path", PATHS, ids=[f"{m} {p[:40]}" for m, p in PATHS])
async def test_odd_methods_and_paths_get_clean_answers(client, method, path):
    response = await client.request(method, path, data=b"{}" if method != "GET" else None)
    assert response.status < 500 or response.status == 501, await response.text()
    if response.status >= 400 and response.content_type == "application/json":
        assert "error" in await response.json()


async def test_a_body_sent_too_slowly_is_cut_off(make_client, settings):
    import asyncio
    client = await make_client(settings.replace(body_timeout=0.2))

    async def trickle():
        yield b'{"model": "loan-calculator", '
        await asyncio.sleep(1)
        yield b'"messages": [{"role": "user", "content": "hi"}]}'

    response = await client.post(CHAT, data=trickle(),
                                 headers={"Content-Type": "application/json"})
    assert response.status == 408
    assert (await response.json())["error"]["code"] == "request_timeout"


async def test_too_many_turns_at_once_get_429_then_503(make_client, settings, tmp_path):
    import asyncio
    client = await make_client(settings.replace(max_turns_per_key=1, max_turns=2))
    limits = client.app[__import__("agentgate.appkeys", fromlist=["LIMITS"]).LIMITS]
    async with limits.slot(f"address {'127.0.0.1'}"):
        response = await client.post(CHAT, json=GOOD)
        assert response.status == 429 and response.headers["Retry-After"] == "1"
        async with limits.slot("another key"):
            response = await client.post(CHAT, json=GOOD)
            assert response.status == 503 and response.headers["Retry-After"] == "1"
    await asyncio.sleep(0)
    assert (await client.post(CHAT, json=GOOD)).status == 200


async def test_a_long_model_name_is_cut_in_the_error(client):
    response = await client.post(CHAT, json={**GOOD, "model": "m" * 1_000_000})
    assert response.status == 404
    assert len((await response.json())["error"]["message"]) < 300
