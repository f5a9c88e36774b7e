"""`agentgate eval PATH …`: play a conversation corpus and print how the reader did.

Offline by default; with `AGENTGATE_LLM_BASE_URL` set, against that internal LLM; with
`--fake-llm`, against a `FakeLLM` that answers every extraction with exactly the values the
corpus says the message means (to count calls and exercise the LLM path without a model).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from agentgate.corpus import CorpusError, Outcome, Player, load_corpus, report
from agentgate.extraction.followup import Phrases
from agentgate.settings import Settings
from agentgate.workflow.loader import load_paths


def oracle(player: Player, workflow_inputs: dict[str, list[str]]):
    """A FakeLLM script entry answering with what the message being read means."""
    from agentgate.testing import Values

    def answer(body: dict[str, Any]):
        step = player.current
        values = {name: None for name in workflow_inputs.get(player.current_workflow, [])}
        action = "none"
        if step is not None:
            values.update({k: (v.isoformat() if hasattr(v, "isoformat") else v)
                           for k, v in step.means.items()})
            action = "start_over" if step.reset else "none"
        return Values({"values": values, "reply": None, "action": action})
    return answer


async def evaluate(paths: list[Path], settings: Settings, *, fake_llm: bool = False,
                   verbose: bool = False, out=None) -> tuple[list[Outcome], str]:
    out = out or sys.stdout
    conversations = load_corpus(paths)
    catalog = load_paths([Path(settings.workflows)])
    phrases = Phrases(settings.prompts)
    llm = fake = None
    calls = None
    if fake_llm:
        from agentgate.llm import InternalLLM
        from agentgate.testing import FakeLLM
        fake = await FakeLLM().start()
        llm = InternalLLM.from_settings(settings.replace(llm_base_url=fake.url))
        calls = lambda: len(fake.requests)  # noqa: E731
    elif settings.llm_base_url:
        from agentgate.llm import InternalLLM
        llm = InternalLLM.from_settings(settings)
        counter = _Counter(llm)
        calls = counter.count
    player = Player(catalog, phrases, llm=llm, count_calls=calls,
                    date_order=settings.date_order)
    if fake is not None:
        fake.default = oracle(player, {w.name: list(w.inputs)
                                       for w in catalog.workflows.values()})
    outcomes = []
    started = time.perf_counter()
    try:
        for conversation in conversations:
            outcomes.append(await player.play(conversation))
    finally:
        player.close()
        if llm is not None:
            await llm.close()
        if fake is not None:
            await fake.stop()
    seconds = time.perf_counter() - started
    turns = sum(len(o.transcript) for o in outcomes)
    mode = "fake LLM" if fake_llm else ("LLM " + settings.llm_model if llm else "offline")
    text = report(outcomes, verbose) + (f"\n\n{mode}: {turns} turns in {seconds:.1f} s "
                                        f"({1000 * seconds / max(turns, 1):.2f} ms a turn)")
    return outcomes, text


class _Counter:
    """Counts the structured calls made through an InternalLLM."""

    def __init__(self, llm):
        self.calls = 0
        original = llm.structured

        async def counted(*args, **kwargs):
            self.calls += 1
            return await original(*args, **kwargs)
        llm.structured = counted

    def count(self) -> int:
        return self.calls


async def run_eval(settings: Settings, paths: list[str], fake_llm: bool,
                   verbose: bool) -> int:
    try:
        outcomes, text = await evaluate([Path(p) for p in paths], settings,
                                        fake_llm=fake_llm, verbose=verbose)
    except CorpusError as exc:
        print(f"agentgate: {exc}", file=sys.stderr)
        return 2
    print(text)
    return 0 if all(not o.misreads for o in outcomes) else 1
