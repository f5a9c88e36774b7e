"""Work done once at start, so that no user's first turn pays for it: the store's folder
or connection; the reader's patterns and caches, the reply templates and the rendering of
a reply, by reading a sample message for each workflow (nothing is run or stored); and
with an internal LLM, each workflow's structured request and the SDKs' first-use imports
(one call answered in-process, no network)."""

from __future__ import annotations

import logging

from agentgate.api import wire
from agentgate.api.render import TextRenderer
from agentgate.conversation.dialogue import Deps
from agentgate.conversation.machine import decide
from agentgate.conversation.state import State
from agentgate.errors import StoreUnavailable
from agentgate.events import Say, Usage
from agentgate.workflow.loader import Catalog

log = logging.getLogger(__name__)
SAMPLE = ("Hi! 2 or 3 of us, 250k at 6.5% over 30 years, the second Tuesday, "
          "from next friday to 5/6/2027, yes")
ROUNDS = 2  # the interpreter specialises code that has run more than once


async def warm_up(deps: Deps, catalog: Catalog, id_style: str, reasoning: str) -> None:
    try:
        await deps.store.prepare()
    except OSError as exc:  # each turn reports it too, in its own reply
        log.warning("the conversation store cannot be used: %s", exc.strerror or exc)
    except StoreUnavailable:  # logged by the store; turns get 503 until it answers
        pass
    for workflow in list(catalog.workflows.values()) * ROUNDS:
        try:
            state = State()
            decision = decide(state, deps.reader(workflow).read(state, SAMPLE, deps.today()),
                              workflow)
            text = deps.phrases.say(decision.replies, workflow, decision.state)
            reply = TextRenderer(id_style, reasoning).render(Say(text)).content
            wire.completion(wire.completion_id(), wire.now(), workflow.name, reply, Usage())
        except Exception:  # the same message from a user is caught and reported there
            log.debug("warm-up of %s failed", workflow.name, exc_info=True)
    if deps.llm is not None and catalog.workflows:
        for workflow in catalog.workflows.values():
            deps.llm.prepare(workflow.extraction_model)
        await deps.llm.warm_up(next(iter(catalog.workflows.values())).extraction_model)
