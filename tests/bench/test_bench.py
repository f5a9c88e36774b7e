"""`make bench`: every row of the performance table, each against a baseline measured in
the same run (see docs/performance.md). Figures are printed, not asserted: the only failures
are errors, such as a request that does not succeed."""

from __future__ import annotations

import asyncio
import shutil

from harness import pin_client, table
from rows_replicas import redis_rows
from rows_runner import runner_rows
from rows_scale import memory_rows, stored_rows
from rows_serving import latency_rows, startup_rows
from conftest import WORKFLOWS


def test_performance_table(tmp_path):
    pin_client()
    workflows = tmp_path / "workflows"
    shutil.copytree(WORKFLOWS, workflows)
    rows = []
    rows += asyncio.run(latency_rows(workflows, tmp_path))
    rows += asyncio.run(stored_rows(workflows, tmp_path))
    rows += asyncio.run(memory_rows(workflows, tmp_path))
    rows += runner_rows(tmp_path)
    rows += asyncio.run(startup_rows(workflows, tmp_path))
    rows += asyncio.run(redis_rows(workflows, tmp_path))
    print("\n" + table(rows))
