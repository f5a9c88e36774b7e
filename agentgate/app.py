"""The application factory used by the CLI, the tests and anyone embedding agentgate."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from aiohttp import web

from agentgate import __version__
from agentgate.api import middleware
from agentgate.api.chat import chat_completions
from agentgate.api.response_store import ResponseStore
from agentgate.api.responses import create_response, delete_response, get_response
from agentgate.api.models import get_model, list_models
from agentgate.api.limits import TurnLimits
from agentgate.api import observe
from agentgate.appkeys import CATALOG, DEPS, LIMITS, METRICS, RESPONSES, SETTINGS
from agentgate.backends import build
from agentgate.conversation.dialogue import Deps
from agentgate.conversation.store_base import Store
from agentgate.errors import StoreUnavailable
from agentgate.extraction.followup import Phrases
from agentgate.metrics import Metrics
from agentgate.settings import Settings
from agentgate.warmup import warm_up
from agentgate.workflow.http_client import HttpClient
from agentgate.workflow.loader import Catalog, load_paths
from agentgate.workflow.runtime import RunLimits

if TYPE_CHECKING:
    from agentgate.llm import InternalLLM

API_PREFIXES = ("/v1", "/openai/v1")
log = logging.getLogger(__name__)


async def health(request: web.Request) -> web.Response:
    """`ok`, `degraded` while some workflow file does not load (the others serve), or
    `unavailable` (HTTP 503) while the store cannot be reached."""
    catalog, store = request.app[CATALOG], request.app[DEPS].store
    problems = [str(problem)[:500] for problem in catalog.problems[:50]]
    reachable = await store.reachable()
    status = "unavailable" if not reachable else "degraded" if catalog.problems else "ok"
    body = {"status": status, "version": __version__, "workflows": len(catalog.workflows),
            "workflow_errors": len(catalog.problems), "problems": problems,
            "store": {"kind": store.kind, "reachable": reachable}}
    if not reachable:
        body.update(StoreUnavailable("The conversation store is unreachable right now; "
                                     "turns are refused until it answers.").envelope())
        return web.json_response(body, status=503)
    return web.json_response(body)


async def _watch_workflows(app: web.Application):
    """Picks up edited, added and removed workflow files without a restart."""
    catalog, every = app[CATALOG], app[SETTINGS].reload_seconds

    async def watch() -> None:
        while True:
            await asyncio.sleep(every)
            try:
                await asyncio.to_thread(catalog.refresh)
            except Exception:  # keep watching; the next change may fix it
                log.exception("reloading the workflows failed")

    task = asyncio.create_task(watch())
    yield
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def _sweep_temporary_files(app: web.Application):
    """At start: temporary files a crash left behind are removed (they hold full states)."""
    try:
        removed = await asyncio.to_thread(app[DEPS].store.sweep_temporary)
        if removed:
            log.info("removed %d temporary files left by an interrupted write", removed)
    except Exception:
        log.exception("removing temporary files failed")
    yield


async def _expire_conversations(app: web.Application):
    """Deletes conversation records and stored responses past the retention period, once an
    hour."""
    store, days = app[DEPS].store, app[SETTINGS].retention_days

    async def expire() -> None:
        while True:
            try:
                removed = await store.sweep(days * 86400)
                if removed:
                    log.info("removed %d conversations older than %g days", removed, days)
                removed = await app[RESPONSES].sweep(days * 86400)
                if removed:
                    log.info("removed %d stored responses older than %g days", removed, days)
            except Exception:
                log.exception("removing old conversations failed")
            await asyncio.sleep(3600)

    task = asyncio.create_task(expire())
    yield
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def _report(app: web.Application) -> None:
    from agentgate.startup import report
    report(app)


def create_app(settings: Settings, *, catalog: Catalog | None = None,
               store: Store | None = None,
               llm: "InternalLLM | None" = None,
               today: Callable[[], dt.date] = dt.date.today,
               report_on_startup: bool = True,
               responses: ResponseStore | None = None) -> web.Application:
    """The whole service. `llm` defaults to the one the settings describe (None: offline);
    `today` is the clock relative dates are read against; `responses` stores Responses API
    objects; `store` and `responses` default to what `AGENTGATE_STORE` names. The start-up
    report (workflows served, problems, warnings) is logged when the app starts, unless the
    caller logs it itself once the port is bound (`agentgate.startup.report`)."""
    app = web.Application(client_max_size=settings.max_body_bytes,
                          middlewares=[observe.observe, middleware.errors,
                                       middleware.cors_preflight, middleware.authenticate])
    app.on_response_prepare.append(middleware.add_cors_headers)
    app.on_response_prepare.append(observe.on_prepare)
    app[METRICS] = Metrics()
    app[SETTINGS] = settings
    backends = build(settings)
    app[LIMITS] = TurnLimits(settings.max_turns, settings.max_turns_per_key, backends.counter)
    app[CATALOG] = catalog if catalog is not None else load_paths([Path(settings.workflows)],
                                                                  quiet=True)
    app[RESPONSES] = responses if responses is not None else backends.responses
    owned_llm = llm is None
    if llm is None and settings.llm_base_url:
        from agentgate.llm import InternalLLM  # imported only when one is configured
        llm = InternalLLM.from_settings(settings)
    app[DEPS] = Deps(store=store or backends.store,
                     phrases=Phrases(settings.prompts), id_style=settings.id_style, llm=llm,
                     catalog=app[CATALOG], limits=RunLimits.from_settings(settings),
                     date_order=settings.date_order, today=today, http=HttpClient())

    async def close_clients(app: web.Application):
        yield
        await app[DEPS].http.close()
        if owned_llm and llm is not None:
            await llm.close()
        await backends.close()

    app.cleanup_ctx.append(close_clients)
    if llm is not None:
        app[METRICS].instrument(llm)
    if report_on_startup:
        app.on_startup.append(_report)

    async def warm(app: web.Application) -> None:
        await warm_up(app[DEPS], app[CATALOG], settings.id_style, settings.reasoning)

    app.on_startup.append(warm)
    if catalog is None and settings.reload_seconds > 0:
        app.cleanup_ctx.append(_watch_workflows)
    app.cleanup_ctx.append(_sweep_temporary_files)
    if settings.retention_days > 0:
        app.cleanup_ctx.append(_expire_conversations)
    app.router.add_get("/", health)
    app.router.add_get("/health", health)
    app.router.add_get("/metrics", observe.metrics_page)
    for prefix in API_PREFIXES:
        app.router.add_get(f"{prefix}/models", list_models)
        app.router.add_get(f"{prefix}/models/{{model:.+}}", get_model)
        app.router.add_post(f"{prefix}/chat/completions", chat_completions)
        app.router.add_post(f"{prefix}/responses", create_response)
        app.router.add_get(f"{prefix}/responses/{{response_id}}", get_response)
        app.router.add_delete(f"{prefix}/responses/{{response_id}}", delete_response)
    return app
