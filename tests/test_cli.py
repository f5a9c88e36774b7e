"""The command line: validate, schema, and settings from the environment."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from jsonschema import Draft202012Validator

from agentgate.cli import build_parser, main
from agentgate.settings import SETTINGS, Settings, SettingsError
from conftest import FIXTURES, WORKFLOWS


def test_validate_reports_ok_files_and_exits_zero(capsys):
    assert main(["validate", str(WORKFLOWS)]) == 0
    out = capsys.readouterr().out
    assert "ok: " in out and "loan-calculator" in out


def test_validate_names_file_path_and_problem(capsys):
    assert main(["validate", str(FIXTURES / "bad" / "cycle.json"), str(WORKFLOWS)]) == 1
    err = capsys.readouterr().err
    assert f"{FIXTURES / 'bad' / 'cycle.json'}: $.nodes: nodes form a cycle" in err


def test_validate_defaults_to_the_configured_folder(capsys, monkeypatch):
    monkeypatch.setenv("AGENTGATE_WORKFLOWS", str(FIXTURES / "bad"))
    assert main(["validate"]) == 1
    assert "unknown node type 'templat'" in capsys.readouterr().err


def test_schema_accepts_bundled_workflows_and_rejects_broken_ones(capsys):
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    validator = Draft202012Validator(schema)
    Draft202012Validator.check_schema(schema)
    for path in WORKFLOWS.glob("*.json"):
        errors = list(validator.iter_errors(json.loads(path.read_text())))
        assert not errors, (path, errors[0].message)
    for name in ("unknown-node-type.json", "missing-parameter.json", "unknown-field.json"):
        bad = json.loads((FIXTURES / "bad" / name).read_text())
        assert list(validator.iter_errors(bad)), name


def _schema_errors(document: dict) -> list[tuple[list, str]]:
    from agentgate.workflow.schema import workflow_schema
    validator = Draft202012Validator(workflow_schema())
    return [(list(e.absolute_path), e.message) for e in validator.iter_errors(document)]


def test_schema_reports_the_wrong_field_of_a_node_by_its_type():
    errors = _schema_errors({"nodes": [{"id": "a", "type": "template", "template": "x",
                                        "titel": "T"}], "output": "a"})
    assert errors == [(["nodes", 0], "Additional properties are not allowed ('titel' was "
                                     "unexpected)")]
    errors = _schema_errors({"nodes": [{"id": "a", "type": "branch", "condition": "true",
                                        "then": ["a"], "temperature": 1}], "output": "a"})
    assert errors == [(["nodes", 0], "Additional properties are not allowed ('temperature' "
                                     "was unexpected)")]


def test_schema_reports_an_unknown_node_type_on_the_type():
    [(path, message)] = _schema_errors({"nodes": [{"id": "a", "type": "templte"}],
                                        "output": "a"})
    assert path == ["nodes", 0, "type"] and message.startswith("'templte' is not one of")


def test_schema_checks_the_nodes_inside_a_map():
    inner = {"id": "b", "type": "template", "templat": "x"}
    errors = _schema_errors({"nodes": [{"id": "a", "type": "map", "items": "[1]",
                                        "output": "b", "nodes": [inner]}], "output": "a"})
    assert (["nodes", 0, "nodes", 0], "'template' is a required property") in errors
    assert (["nodes", 0, "nodes", 0], "Additional properties are not allowed ('templat' was "
                                      "unexpected)") in errors
    inner = {"id": "b", "type": "template", "template": "{{ item }}"}
    assert _schema_errors({"nodes": [{"id": "a", "type": "map", "items": "[1]",
                                      "output": "b", "nodes": [inner]}], "output": "a"}) == []


def test_module_entry_point_runs():
    result = subprocess.run([sys.executable, "-m", "agentgate", "--version"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.startswith("agentgate ")


def test_help_lists_every_environment_variable():
    text = build_parser().format_help()
    for setting in SETTINGS:
        assert setting.env in text


def test_settings_table_matches_the_settings_class():
    fields = Settings.__dataclass_fields__
    assert [s.name for s in SETTINGS] == list(fields)
    defaults = Settings()
    for setting in SETTINGS:
        assert getattr(defaults, setting.name) == setting.default, setting.name


def test_settings_from_environment_and_overrides():
    env = {"AGENTGATE_PORT": "9001", "AGENTGATE_API_KEYS": "key-alpha, key-beta,,", "AGENTGATE_ID_STYLE":
           "Reference", "AGENTGATE_HOST": ""}
    settings = Settings.from_env(env, data_dir="/tmp/x", host=None)
    assert settings.port == 9001 and settings.api_keys == ("key-alpha", "key-beta")
    assert settings.id_style == "reference" and settings.data_dir == "/tmp/x"
    assert settings.host == "127.0.0.1"
    assert "key-alpha" not in repr(settings)


@pytest.mark.parametrize("env, message", [
    ({"AGENTGATE_PORT": "eighty"}, "AGENTGATE_PORT='eighty'"),
    ({"AGENTGATE_ID_STYLE": "emoji"}, "must be one of reference, fence"),
    ({"AGENTGATE_MAX_BODY_BYTES": "-1"}, "positive"),
])
def test_bad_settings_are_reported(env, message):
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env)


def test_bad_setting_exits_with_a_message(monkeypatch, capsys):
    monkeypatch.setenv("AGENTGATE_PORT", "eighty")
    assert main(["validate"]) == 2
    assert "AGENTGATE_PORT" in capsys.readouterr().err


def test_serve_refuses_a_missing_workflows_folder(tmp_path, capsys):
    assert main(["serve", "--workflows", str(tmp_path / "nowhere")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_serve_refuses_incomplete_prompts(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("AGENTGATE_PROMPTS", str(tmp_path))
    assert main(["serve", "--workflows", str(WORKFLOWS)]) == 2
    assert "ask.md.j2" in capsys.readouterr().err


def test_run_prints_progress_then_the_answer(capsys, monkeypatch):
    monkeypatch.setenv("AGENTGATE_WORKFLOWS", str(WORKFLOWS))
    assert main(["run", "loan-calculator", "principal=300k", "annual_rate=6.5%",
                 "years=30"]) == 0
    captured = capsys.readouterr()
    assert "$1,896.20" in captured.out and "▸" not in captured.out
    assert captured.err.index("▸ Computing the monthly payment") < captured.err.index(
        "✓ Writing the answer")


def test_run_reports_bad_and_missing_values(capsys, monkeypatch):
    monkeypatch.setenv("AGENTGATE_WORKFLOWS", str(WORKFLOWS))
    assert main(["run", "loan-calculator", "principal=-1", "currency=EUR", "nope"]) == 2
    err = capsys.readouterr().err
    assert "principal: it must be at least 1" in err
    assert "currency: set by the workflow" in err and "'nope': write INPUT=VALUE" in err
    assert "years: missing" in err
    assert main(["run", "no-such-flow"]) == 2
    assert "no workflow named 'no-such-flow'" in capsys.readouterr().err


def test_run_reports_a_failed_step(capsys, monkeypatch):
    monkeypatch.setenv("AGENTGATE_WORKFLOWS", str(FIXTURES / "good"))
    assert main(["run", "leaky-failure", "word=x"]) == 1
    err = capsys.readouterr().err
    assert "“Looking up the key” failed" in err and "SECRET" not in err
