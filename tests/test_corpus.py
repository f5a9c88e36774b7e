"""The conversation corpus (`tests/conversations/`), played as clients play it.

Offline, every conversation; with the internal LLM (a FakeLLM answering what each message
means), a sample, to check the same engine spends less than one call per gathering turn.
`make eval` prints the full table.
"""

from __future__ import annotations

from pathlib import Path

from agentgate.corpus import load_corpus, report
from agentgate.eval_command import evaluate
from agentgate.settings import Settings
from conftest import ROOT, WORKFLOWS

CORPUS = ROOT / "tests" / "conversations"


async def test_offline_reader_never_misreads_and_gets_95_percent_right(tmp_path):
    outcomes, table = await evaluate([CORPUS], Settings(workflows=str(WORKFLOWS)))
    assert len(outcomes) >= 200
    misread = [o for o in outcomes if o.misreads]
    assert not misread, report(misread, verbose=True)
    correct = sum(o.correct for o in outcomes)
    assert correct >= 0.95 * len(outcomes), report(outcomes, verbose=True)


async def test_with_the_llm_fewer_than_one_call_per_gathering_turn(tmp_path):
    sample = tmp_path / "sample.yaml"
    conversations = load_corpus([CORPUS])[::6]
    _write_sample(sample, conversations)
    outcomes, table = await evaluate([sample], Settings(workflows=str(WORKFLOWS)),
                                     fake_llm=True)
    turns = sum(o.gathering_turns for o in outcomes)
    calls = sum(o.llm_calls for o in outcomes)
    assert not [o for o in outcomes if o.misreads], table
    assert all(o.llm_calls <= o.gathering_turns for o in outcomes)
    assert 0 < calls < turns, table  # the LLM reads only what the offline reader cannot


def test_every_corpus_file_names_a_bundled_workflow():
    names = {path.stem for path in WORKFLOWS.glob("*.json")}
    for conversation in load_corpus([CORPUS]):
        assert conversation.workflow in names, conversation.id


def _write_sample(path: Path, conversations) -> None:
    import yaml
    data = {"conversations": [
        {"id": c.id, "workflow": c.workflow, "answer": list(c.answer), "runs": c.runs,
         "turns": [{"say": s.say, "means": s.means, "reset": s.reset} for s in c.steps]}
        for c in conversations]}
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
