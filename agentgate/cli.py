"""`agentgate serve | validate | describe | graph | run | eval | schema`."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from agentgate import __version__
from agentgate.settings import SETTINGS, Settings, SettingsError


def _settings_epilog() -> str:
    lines = ["environment variables (defaults in brackets):"]
    for setting in SETTINGS:
        default = "" if setting.secret else f" [{setting.default if setting.default != () else ''}]"
        lines.append(f"  {setting.env}{default}\n      {setting.help}")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="agentgate", description="Serve workflows as chat models behind an "
        "OpenAI-compatible API.", epilog=_settings_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"agentgate {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the workflows over HTTP")
    serve.add_argument("--host", help="listen address (AGENTGATE_HOST)")
    serve.add_argument("--port", type=int, help="listen port (AGENTGATE_PORT)")
    serve.add_argument("--workflows", metavar="DIR", help="workflow folder (AGENTGATE_WORKFLOWS)")
    serve.add_argument("--data", metavar="DIR", dest="data_dir",
                       help="conversation store folder (AGENTGATE_DATA_DIR)")

    validate = commands.add_parser("validate", help="check workflow files and report problems")
    validate.add_argument("paths", nargs="*", metavar="PATH",
                          help="files or folders (default: the workflows folder)")

    describe = commands.add_parser("describe", help="show a workflow's inputs (what users "
                                   "are asked) and steps")
    describe.add_argument("name", help="the workflow's name")
    describe.add_argument("--workflows", metavar="DIR",
                          help="workflow folder (AGENTGATE_WORKFLOWS)")

    graph = commands.add_parser("graph", help="print a workflow's steps as a Mermaid "
                                "flowchart")
    graph.add_argument("name", help="the workflow's name")
    graph.add_argument("--workflows", metavar="DIR", help="workflow folder (AGENTGATE_WORKFLOWS)")

    run = commands.add_parser("run", help="run a workflow once from the terminal: progress "
                              "on stderr, the answer on stdout")
    run.add_argument("name", help="the workflow's name")
    run.add_argument("values", nargs="*", metavar="INPUT=VALUE",
                     help="input values, read like a user's answers")
    run.add_argument("--workflows", metavar="DIR", help="workflow folder (AGENTGATE_WORKFLOWS)")

    commands.add_parser("schema", help="print the JSON Schema of the workflow file format")

    evaluate = commands.add_parser("eval", help="play a corpus of conversations and score "
                                   "how the reader understood them")
    evaluate.add_argument("paths", nargs="+", metavar="PATH",
                          help="corpus files or folders (YAML or JSON)")
    evaluate.add_argument("--workflows", metavar="DIR", help="workflow folder "
                          "(AGENTGATE_WORKFLOWS)")
    evaluate.add_argument("--fake-llm", action="store_true", help="read with a FakeLLM that "
                          "answers what the corpus says each message means (counts calls)")
    evaluate.add_argument("-v", "--verbose", action="store_true",
                          help="show every conversation that was not right")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        overrides = {k: v for k, v in vars(args).items()
                     if k in Settings.__dataclass_fields__}
        settings = Settings.from_env(**overrides)
    except SettingsError as exc:
        print(f"agentgate: {exc}", file=sys.stderr)
        return 2
    from agentgate.logs import configure
    configure(settings.log_level, settings.log_format)
    # instructor logs each failed call with the provider's error text; agentgate logs its
    # own one-line summary of every failed attempt instead.
    logging.getLogger("instructor").setLevel(logging.CRITICAL)
    for name in ("httpx", "httpx2", "openai"):  # one line per internal LLM request is noise
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLogger().level))
    if args.command == "serve":
        return _serve(settings)
    if args.command == "validate":
        return _validate([Path(p) for p in args.paths] or [Path(settings.workflows)])
    if args.command in ("describe", "graph"):
        return _show(settings, args.name, args.command)
    if args.command == "run":
        import asyncio

        from agentgate.run_command import run_once
        return asyncio.run(run_once(settings, args.name, args.values))
    if args.command == "eval":
        import asyncio

        from agentgate.eval_command import run_eval
        return asyncio.run(run_eval(settings, args.paths, args.fake_llm, args.verbose))
    if args.command == "schema":
        from agentgate.workflow.schema import workflow_schema
        print(json.dumps(workflow_schema(), indent=2))
        return 0
    return 2


def _serve(settings: Settings) -> int:
    import gc
    # Start-up makes many objects that live as long as the server: collecting while they
    # are made only slows the start. They are frozen once it is done (see _started).
    gc.disable()
    from aiohttp import web

    from agentgate.app import create_app
    from agentgate.extraction.followup import PromptsMissing
    from agentgate.startup import report

    if not Path(settings.workflows).is_dir():
        print(f"agentgate: the workflows folder {settings.workflows!r} does not exist "
              "(set --workflows or AGENTGATE_WORKFLOWS)", file=sys.stderr)
        return 2
    try:
        app = create_app(settings, report_on_startup=False)
    except PromptsMissing as exc:
        print(f"agentgate: {exc} (set AGENTGATE_PROMPTS)", file=sys.stderr)
        return 2
    app.on_startup.append(_started)
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    url = f"http://{host}:{settings.port}/v1"
    try:
        # run_app calls `print` once the port is bound: the report comes after that.
        web.run_app(app, host=settings.host, port=settings.port,
                    print=lambda _: report(app, url),
                    handler_cancellation=True, access_log_format='%a "%r" %s %b %Tfs %{X-Request-Id}o')
    except OSError as exc:  # e.g. the port is taken
        print(f"agentgate: cannot listen on {settings.host}:{settings.port}: "
              f"{exc.strerror or exc}", file=sys.stderr)
        return 2
    return 0


async def _started(app) -> None:
    import gc
    gc.freeze()  # what start-up made stays: later collections need not look at it
    gc.enable()


def _show(settings: Settings, name: str, what: str) -> int:
    from agentgate.workflow import describe, diagram
    from agentgate.workflow.loader import load_paths
    from agentgate.workflow.suggest import did_you_mean

    catalog = load_paths([Path(settings.workflows)], quiet=True)
    workflow = catalog.get(name)
    if workflow is None:
        print(f"agentgate: no workflow named {name!r} in {settings.workflows}"
              f"{did_you_mean(name, catalog.workflows)} "
              f"(found: {', '.join(catalog.workflows) or 'none'})", file=sys.stderr)
        return 2
    if what == "graph":
        print(diagram.mermaid(workflow), end="")
    else:
        print(describe.text(workflow, catalog, llm_configured=bool(settings.llm_base_url)))
    return 0


def _validate(paths: list[Path]) -> int:
    from agentgate.workflow.describe import count
    from agentgate.workflow.loader import load_paths

    catalog = load_paths(paths, quiet=True)
    for problem in catalog.problems:
        print(problem, file=sys.stderr)
    for workflow in catalog.workflows.values():
        print(f"ok: {workflow.source} ({workflow.name}: "
              f"{count(len(workflow.inputs), 'input')}, {count(len(workflow.nodes), 'node')})")
    return 1 if catalog.problems else 0
