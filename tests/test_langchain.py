"""LangChain's ChatOpenAI against a real listening server: invoke and stream, a single turn
and a two-turn conversation that resends the history, with nothing but the local server
contacted."""

from __future__ import annotations

import functools
import operator
import socket

import pytest
import tiktoken
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_openai import ChatOpenAI

from agentgate.conversation import ids
from conftest import ROOT, doc_example

QUESTION = "principal: 300000, annual_rate: 6.5, years: 30"
ANSWER = "$1,896.20"
LOCAL = ("127.0.0.1", "::1", "localhost")


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    """Fails the test if anything other than the local server is contacted, or if tiktoken
    is asked for an encoding (which it would download)."""
    outside: list[object] = []
    real_connect, real_getaddrinfo = socket.socket.connect, socket.getaddrinfo

    def connect(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in LOCAL:
            outside.append(address)
            raise OSError(f"test is offline: refused to connect to {address}")
        return real_connect(sock, address)

    def getaddrinfo(host, *args, **kwargs):
        if host not in LOCAL:
            outside.append(host)
            raise OSError(f"test is offline: refused to resolve {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    def no_tiktoken(*args, **kwargs):
        outside.append(("tiktoken", args))
        raise RuntimeError("tiktoken was asked for an encoding")

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(tiktoken, "get_encoding", no_tiktoken)
    monkeypatch.setattr(tiktoken, "encoding_for_model", no_tiktoken)
    for name in ("LANGSMITH_TRACING", "LANGCHAIN_TRACING_V2", "LANGSMITH_API_KEY",
                 "LANGCHAIN_API_KEY", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    yield
    assert not outside, f"reached outside the local server: {outside}"


def reply(model: ChatOpenAI, messages: list[BaseMessage], stream: bool) -> AIMessage:
    if not stream:
        message = model.invoke(messages)
    else:
        chunks = list(model.stream(messages))
        assert len(chunks) > 2
        message = functools.reduce(operator.add, chunks)
    assert message.response_metadata["finish_reason"] == "stop"
    assert ids.find(message.content) is not None
    return message


@pytest.mark.parametrize("stream", [False, True])
def test_single_message_reaches_the_answer(live_server, stream):
    model = ChatOpenAI(base_url=live_server().url, api_key="x", model="loan-calculator",
                       max_retries=0)
    answer = reply(model, [HumanMessage(QUESTION)], stream).content
    assert answer.index("<thinking>") < answer.index("</thinking>") < answer.index(ANSWER)


@pytest.mark.parametrize("stream", [False, True])
def test_two_turns_with_the_history_resent(live_server, stream):
    model = ChatOpenAI(base_url=live_server().url, api_key="x", model="loan-calculator",
                       max_retries=0)
    history: list[BaseMessage] = [HumanMessage("hello")]
    first = reply(model, history, stream)
    assert "How much do you want to borrow?" in first.content
    history += [first, HumanMessage(QUESTION)]
    second = reply(model, history, stream)
    assert ANSWER in second.content
    assert ids.find(second.content).conversation == ids.find(first.content).conversation


def test_docs_example(live_server, capsys):
    """The LangChain example in docs/clients.md, as written but for the address."""
    code = doc_example(ROOT / "docs" / "clients.md", "clients-langchain")
    url = "http://127.0.0.1:8000/v1"
    assert url in code
    exec(compile(code.replace(url, live_server().url), "docs/clients.md", "exec"), {})
    out = capsys.readouterr().out
    assert "$1,896.20" in out and ids.find(out) is not None
