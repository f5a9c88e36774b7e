"""Reading with the internal LLM: one structured call fills the values stated in the user's
message and, in the same answer, writes the follow-up question. Used only for messages the
offline reader is not sure of; its answer is a `Reading` like the offline reader's, and goes
through the same `machine.decide`.

The user's text is data. The schema offers only this workflow's query inputs, so nothing
the user writes can set a fixed input or another workflow's input, and fixed values are
never sent to the LLM. Every value is checked by `workflow.values` before it is used.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from agentgate.conversation.state import State
from agentgate.extraction.followup import Phrases
from agentgate.extraction.reading import Proposal, Reading, Refusal
from agentgate.extraction.schema import ACTIONS
from agentgate.llm import InternalLLM, LLMUnavailable
from agentgate.workflow.values import InvalidValue, coerce, shown


def _quoted(text: str) -> str:
    """The user's text, unable to close the tag it is wrapped in."""
    return text.replace("</message>", "</ message>").replace("</earlier>", "</ earlier>")


class LLMReader:
    def __init__(self, workflow, llm: InternalLLM, phrases: Phrases):
        self.workflow, self.llm, self.phrases = workflow, llm, phrases

    async def read(self, state: State, texts: list[str], today: dt.date,
                   earlier: list[str] = ()) -> Reading:
        text = "\n\n".join(texts)  # read together: one call
        try:
            answer, usage = await self.llm.structured(
                self.workflow.extraction_model, self.messages(state, text, list(earlier),
                                                              today),
                self.llm.deadline())
        except LLMUnavailable as failure:
            return Reading(unavailable=failure.reason, usage=failure.usage)
        labelled = {name for _, name in self.workflow.profile.names_in(text)}
        fixed = tuple(name for name in self.workflow.fixed if name in labelled)
        action = answer.action if answer.action in ACTIONS else "none"
        command = None
        if action == "start_over":
            return Reading(command="reset", usage=usage, refused_fixed=fixed)
        if action == "run_again" and state.status != "gathering":
            command = "rerun"
        proposals, refusals = self._values(answer.values.model_dump())
        reply = answer.reply.strip() if isinstance(answer.reply, str) and \
            answer.reply.strip() else None
        return Reading(proposals=tuple(proposals), refusals=tuple(refusals),
                       refused_fixed=fixed, command=command, reply=reply, usage=usage,
                       talk=None if proposals or refusals else "unclear")

    def _values(self, extracted: dict[str, Any]) -> tuple[list[Proposal], list[Refusal]]:
        proposals, refusals = [], []
        for name, raw in extracted.items():
            if raw is None or raw == "" or raw == []:
                continue
            try:
                value = coerce(self.workflow.inputs[name], raw)
            except InvalidValue as exc:
                refusals.append(Refusal(name, str(exc)))  # worded as the offline reader does
                continue
            proposals.append(Proposal(name, value, "llm", shown(raw)))
        return proposals, refusals

    def messages(self, state: State, text: str, earlier: list[str],
                 today: dt.date) -> list[dict[str, str]]:
        context = self.phrases.workflow_context(self.workflow)
        known = [(name, shown(value)) for name, value in state.values.items()]
        system = self.phrases.render("extract_system", workflow=context,
                                     today=today.isoformat())
        user = self.phrases.render("extract_user", known=known, asked=state.asked,
                                   finished=state.status in ("finished", "failed"),
                                   earlier=[_quoted(t) for t in earlier], message=_quoted(text))
        return [{"role": "system", "content": system}, {"role": "user", "content": user}]

