"""Wire conformance is checked for everyone: against OpenAI's published schemas where they
lie beside the clone, otherwise against the installed `openai` SDK's own types. Either way
the check rejects what a client would choke on."""

from __future__ import annotations

import copy

import pytest

import conftest

COMPLETION = {"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "m",
              "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                           "message": {"role": "assistant", "content": "hi",
                                       "refusal": None}}],
              "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}
CHUNK = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "m",
         "choices": [{"index": 0, "delta": {"content": "h"}, "logprobs": None,
                      "finish_reason": None}]}
ERROR = {"error": {"message": "no", "type": "invalid_request_error", "param": None,
                   "code": None}}
MODELS = {"object": "list", "data": [{"id": "m", "object": "model", "created": 1,
                                      "owned_by": "agentgate", "agentgate": {}}]}


def bent(document: dict, path: tuple, value=None, drop: bool = False) -> dict:
    changed = copy.deepcopy(document)
    target = changed
    for key in path[:-1]:
        target = target[key]
    if drop:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return changed


# The SDK's types always; OpenAI's schemas too where they lie beside the clone.
@pytest.fixture(params=["sdk", "spec"] if conftest.SPEC.is_file() else ["sdk"])
def check(request):
    return conftest._sdk_checker() if request.param == "sdk" else conftest._openai_checker()


@pytest.mark.parametrize("name, document", [
    ("CreateChatCompletionResponse", COMPLETION), ("CreateChatCompletionStreamResponse", CHUNK),
    ("ErrorResponse", ERROR), ("ListModelsResponse", MODELS),
    ("Model", MODELS["data"][0])])
def test_what_the_server_sends_passes(check, name, document):
    check(name, document)


@pytest.mark.parametrize("name, document", [
    ("CreateChatCompletionResponse", bent(COMPLETION, ("model",), drop=True)),
    ("CreateChatCompletionResponse", bent(COMPLETION, ("created",), "1")),
    ("CreateChatCompletionResponse", bent(COMPLETION, ("choices", 0, "finish_reason"),
                                          "done")),
    ("CreateChatCompletionStreamResponse", bent(CHUNK, ("object",), "chat.completion")),
    ("ErrorResponse", bent(ERROR, ("error", "message"), drop=True)),
    ("ListModelsResponse", bent(MODELS, ("data", 0, "created"), "yesterday")),
])
def test_what_a_client_would_choke_on_fails(check, name, document):
    with pytest.raises(AssertionError):
        check(name, document)


def test_the_sdk_types_also_want_every_error_field():
    with pytest.raises(AssertionError, match="code"):
        conftest._sdk_checker()("ErrorResponse", bent(ERROR, ("error", "code"), drop=True))


def test_without_the_schemas_the_sdk_types_check(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr(conftest, "SPEC", conftest.ROOT / "no-such-spec.json")
    check = conftest._openai_checker()
    with pytest.raises(AssertionError, match="openai SDK types"):
        check("CreateChatCompletionResponse", bent(COMPLETION, ("model",), drop=True))
