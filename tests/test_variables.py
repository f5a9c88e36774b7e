"""Request-scoped variables: `X-Agentgate-Var-<name>` headers reach templates as `vars.<name>`
for one request, only when the workflow declares them, and are never stored or shown when
secret."""

from __future__ import annotations

import json
import logging

import pytest

from agentgate.workflow.loader import WorkflowInvalid, load_file
from agentgate.workflow.schema import workflow_schema
from conftest import Chat

TOKEN = "tok-Zq81xVv04LmNpp"
TENANT = "acme-7QfLw"


def write(folder, name: str, **fields) -> None:
    body = {"name": name, "description": "Shows variables.",
            "nodes": [{"id": "a", "type": "template", "template": "ok"}], "output": "a"}
    body.update(fields)
    (folder / f"{name}.json").write_text(json.dumps(body))


@pytest.fixture
def folder(tmp_path):
    folder = tmp_path / "workflows"
    folder.mkdir()
    write(folder, "tenant", fixed={"region": "eu-west"},
          variables={"tenant": {"description": "The tenant", "pattern": "[A-Za-z0-9-]+"},
                     "token": {"description": "A token", "secret": True, "default": "none"}},
          nodes=[{"id": "look", "type": "template", "title": "Looking up",
                  "template": "{{ vars.token | length }}",
                  "summary": "token {{ vars.token }} for {{ vars.tenant }}"},
                 {"id": "a", "type": "template",
                  "template": "Tenant {{ vars.tenant }} in {{ fixed.region }}, "
                              "{{ nodes.look.text }} characters."}])
    write(folder, "leaky", variables={"token": {"secret": True}},
          nodes=[{"id": "a", "type": "template", "title": "Breaking",
                  "template": "{{ {}[vars.token | upper] }}"}])
    write(folder, "caller", variables={"tenant": {}},
          nodes=[{"id": "a", "type": "workflow", "workflow": "tenant"}])
    return folder


async def test_a_header_variable_reaches_the_template_and_is_not_stored(
        make_client, settings, folder):
    client = await make_client(settings.replace(workflows=str(folder)))
    chat = Chat(client, "tenant", headers={"X-Agentgate-Var-Tenant": TENANT,
                                          "x-agentgate-var-TOKEN": TOKEN})
    reply = await chat.say("go")
    assert f"Tenant {TENANT} in eu-west, {len(TOKEN)} characters." in reply
    assert f"token *** for {TENANT}" in reply and TOKEN not in reply
    stored = "".join(p.read_text() for p in (folder.parent / "data").rglob("*") if p.is_file())
    assert stored and TENANT not in stored and TOKEN not in stored


async def test_a_default_is_used_and_dashes_stand_for_underscores(make_client, settings,
                                                                  tmp_path):
    folder = tmp_path / "w"
    folder.mkdir()
    write(folder, "dash", variables={"team_name": {"default": "core"}},
          nodes=[{"id": "a", "type": "template", "template": "Team {{ vars.team_name }}."}])
    client = await make_client(settings.replace(workflows=str(folder)))
    assert "Team core." in await Chat(client, "dash").say("go")
    named = Chat(client, "dash", headers={"X-Agentgate-Var-Team-Name": "web"})
    assert "Team web." in await named.say("go", stream=True)


@pytest.mark.parametrize("headers, status, code, param", [
    ({"X-Agentgate-Var-Region": "us-east", "X-Agentgate-Var-Tenant": "tenant-one"}, 400,
     "unknown_variable", "X-Agentgate-Var-Region"),
    ({}, 400, "missing_required_parameter", "X-Agentgate-Var-tenant"),
    ({"X-Agentgate-Var-Tenant": "Not Allowed!"}, 400, "invalid_value",
     "X-Agentgate-Var-tenant"),
    ({"X-Agentgate-Var-Tenant": "a" * 1001}, 400, "invalid_value", "X-Agentgate-Var-tenant"),
])
async def test_refused_variables(make_client, settings, folder, headers, status, code, param):
    client = await make_client(settings.replace(workflows=str(folder)))
    response = await client.post("/v1/chat/completions", headers=headers, json={
        "model": "tenant", "messages": [{"role": "user", "content": "go"}]})
    assert response.status == status
    error = (await response.json())["error"]
    assert (error["code"], error["param"]) == (code, param)
    for value in headers.values():
        assert value not in error["message"]
    stored = [p for p in (folder.parent / "data").rglob("*") if p.is_file()]
    assert not stored  # nothing ran, nothing was stored


async def test_a_variable_never_overrides_a_fixed_value(make_client, settings, folder):
    client = await make_client(settings.replace(workflows=str(folder)))
    response = await client.post("/v1/chat/completions", headers={
        "X-Agentgate-Var-Tenant": "a", "X-Agentgate-Var-Region": "us-east"},
        json={"model": "tenant", "messages": [{"role": "user", "content": "go"}]})
    assert response.status == 400
    reply = await Chat(client, "tenant", headers={"X-Agentgate-Var-Tenant": "a"}).say("go")
    assert "in eu-west" in reply


async def test_a_secret_variable_is_redacted_from_failures_and_logs(
        make_client, settings, folder, caplog):
    caplog.set_level(logging.DEBUG)
    client = await make_client(settings.replace(workflows=str(folder)))
    reply = await Chat(client, "leaky", headers={"X-Agentgate-Var-Token": TOKEN}).say("go")
    assert "Breaking failed" in reply
    for form in (TOKEN, TOKEN.upper(), TOKEN[2:12]):
        assert form not in reply and form not in caplog.text


async def test_a_called_workflow_sees_the_variables_it_declares(make_client, settings,
                                                                folder):
    client = await make_client(settings.replace(workflows=str(folder)))
    reply = await Chat(client, "caller", headers={"X-Agentgate-Var-Tenant": TENANT}).say("go")
    assert f"Tenant {TENANT} in eu-west, 4 characters." in reply


@pytest.mark.parametrize("variables, nodes, problem", [
    ({}, [{"id": "a", "type": "template", "template": "{{ vars.who }}"}],
     "references undeclared variable 'who'"),
    ({"who": {}, "WHO": {}}, None, "differ only in case"),
    ({"who": {"pattern": "[a-z]+", "default": "X1"}}, None, "a value the variable accepts"),
    ({"who": {"secret": "maybe"}}, None, "$.variables.who.secret"),
    ({"who": {"colour": "red"}}, None, "unknown field"),
])
def test_declarations_are_checked_at_load_time(tmp_path, variables, nodes, problem):
    fields = {"variables": variables} | ({"nodes": nodes} if nodes else {})
    write(tmp_path, "bad", **fields)
    with pytest.raises(WorkflowInvalid) as caught:
        load_file(tmp_path / "bad.json")
    assert problem in str(caught.value)


def test_the_schema_describes_variables():
    schema = workflow_schema()
    variables = schema["properties"]["variables"]
    declaration = schema["$defs"][variables["additionalProperties"]["$ref"].split("/")[-1]]
    assert {"description", "default", "secret", "pattern", "max_length"} <= set(
        declaration["properties"])
    assert declaration["additionalProperties"] is False


def test_a_secret_is_redacted_whole_whatever_order_its_forms_come_in(monkeypatch):
    from agentgate.workflow import runner
    secret = "tok-Rw8Lq2Vb"
    forms = runner.secret_forms(secret)
    # The title-case form first: a slice of it matches the secret as written.
    ordered = [secret.title()] + sorted(forms - {secret.title()})
    monkeypatch.setattr(runner, "secret_forms", lambda value: ordered)
    assert runner.redact(f"token {secret} here", [secret]) == "token *** here"
