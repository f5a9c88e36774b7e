"""Extraction with the internal LLM: one structured call per turn fills the values stated in
the user's message and, in the same answer, writes the follow-up question.

The user's text is data. The schema offers only this workflow's query inputs, so nothing
the user writes can set a fixed input or another workflow's input, and fixed values are
never sent to the LLM. Every value is checked by `workflow.values` before it is stored.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from agentgate.conversation.state import State
from agentgate.extraction.base import Absorbed, local_command, reset
from agentgate.extraction.followup import Phrases
from agentgate.extraction.offline import OfflineGatherer
from agentgate.extraction.schema import ACTIONS, extraction_model
from agentgate.llm import InternalLLM, LLMUnavailable
from agentgate.workflow.loader import Workflow
from agentgate.workflow.values import InvalidValue, coerce, shown


def _quoted(text: str) -> str:
    """The user's text, unable to close the tag it is wrapped in."""
    return text.replace("</message>", "</ message>").replace("</earlier>", "</ earlier>")


class LLMGatherer:
    def __init__(self, workflow: Workflow, llm: InternalLLM, phrases: Phrases):
        self.workflow, self.llm, self.phrases = workflow, llm, phrases
        self.model = extraction_model(workflow)
        self.earlier: list[str] = []
        self._pairs = OfflineGatherer(workflow)

    async def rebuild(self, state: State, earlier: list[str]) -> None:
        # Read together with the newest message, so a rebuild costs no extra call.
        self.earlier = list(earlier)

    async def absorb(self, state: State, texts: list[str]) -> Absorbed:
        text = "\n\n".join(texts)  # read together: one call
        command = local_command(state, text)
        if command == "reset":
            reset(state)
        if command is not None:
            return Absorbed(command=command)
        try:
            answer, usage = await self.llm.structured(
                self.model, self.messages(state, text, self.earlier), self.llm.deadline())
        except LLMUnavailable as failure:
            return Absorbed(unavailable=failure.reason, usage=failure.usage)
        result = Absorbed(usage=usage)
        result.refused_fixed = [name for name, _ in self._pairs.split_pairs(text)
                                if name in self.workflow.fixed]
        action = answer.action if answer.action in ACTIONS else "none"
        if action == "start_over":
            reset(state)
            result.command = "reset"
            return result
        if action == "run_again" and state.status != "gathering":
            result.command = "rerun"
        self._apply(state, answer.values.model_dump(), result)
        if isinstance(answer.reply, str) and answer.reply.strip():
            result.reply = answer.reply.strip()
        return result

    def _apply(self, state: State, extracted: dict[str, Any], result: Absorbed) -> None:
        for name, raw in extracted.items():
            if raw is None or raw == "" or raw == []:
                continue
            try:
                value = coerce(self.workflow.inputs[name], raw)
            except InvalidValue as exc:
                result.problems[name] = f"you gave {shown(raw)}, but {exc}"
                continue
            if state.values.get(name) != value:
                state.values[name] = value
                result.accepted.append(name)

    def messages(self, state: State, text: str, earlier: list[str]) -> list[dict[str, str]]:
        context = self.phrases.workflow_context(self.workflow)
        known = [(name, shown(value)) for name, value in state.values.items()]
        system = self.phrases.render("extract_system", workflow=context,
                                     today=dt.date.today().isoformat())
        user = self.phrases.render("extract_user", known=known, asked=state.asked,
                                   finished=state.status != "gathering",
                                   earlier=[_quoted(t) for t in earlier], message=_quoted(text))
        return [{"role": "system", "content": system}, {"role": "user", "content": user}]
