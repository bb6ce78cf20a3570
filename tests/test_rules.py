"""Rule behaviour beyond the pages: hints, related locations, and what must stay quiet."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from queuelint.findings import Severity
from queuelint.rules import REGISTRY
from tests.helpers import found, run

SWITCH_WORKER = """
import { Worker } from 'bullmq';
new Worker('mail', async (job) => {
  switch (job.name) {
    case 'send-welcome': return 1;
    case 'send-digest': return 2;
    default: throw new Error('unknown');
  }
});
"""


def test_registry_is_sorted_and_unique() -> None:
    codes = [r.code for r in REGISTRY]
    assert codes == sorted(codes) and len(set(codes)) == len(codes)
    assert len({r.name for r in REGISTRY}) == len(REGISTRY)


def test_ql102_did_you_mean_and_related_handlers(tmp_path: Path) -> None:
    (diagnostic,) = run(tmp_path, select=("QL102",), files={
        "src/worker.ts": SWITCH_WORKER,
        "src/producer.ts": "import { Queue } from 'bullmq';\nconst q = new Queue('mail');\n"
                           "await q.add('send-welcom', {});\n",
    })
    assert diagnostic.code == "QL102" and diagnostic.severity is Severity.ERROR
    assert diagnostic.hint == "did you mean 'send-welcome'?"
    assert [(Path(r.span.path).name, r.span.line) for r in diagnostic.related] == [("worker.ts", 6), ("worker.ts", 5)]  # sorted by name


def test_ql102_default_job_into_named_handlers(tmp_path: Path) -> None:
    (diagnostic,) = run(tmp_path, select=("QL102",), files={
        "worker.js": "const Queue = require('bull');\nconst q = new Queue('img');\n"
                     "q.process('resize', (job) => 1);\nq.add({ file: 'x' });\n",
    })
    assert diagnostic.message.startswith("job without a name (`__default__`) has no handler on queue 'img'")


def test_ql102_queue_without_consumers_is_not_a_name_mismatch(tmp_path: Path) -> None:
    assert run(tmp_path, {"p.ts": "import { Queue } from 'bullmq';\nconst q = new Queue('ext');\nawait q.add('a', {});\n"}) == []


def test_ql101_is_a_warning_when_a_consumer_takes_every_name(tmp_path: Path) -> None:
    files = {
        "p.ts": "import { Queue } from 'bullmq';\nconst q = new Queue('crawl');\nawait q.add(`c-${Date.now()}`, {});\n",
        "w.ts": "import { Worker } from 'bullmq';\nnew Worker('crawl', async (job) => crawl(job.data));\n",
    }
    (diagnostic,) = run(tmp_path, files)
    assert diagnostic.code == "QL101" and diagnostic.severity.value == "warning"
    assert "no handler can match" not in diagnostic.message and "take every name" in diagnostic.message


def test_ql101_without_known_consumers_still_warns(tmp_path: Path) -> None:
    diagnostics = run(tmp_path, {"p.ts": "import { Queue } from 'bullmq';\nconst q = new Queue('x');\n"
                                         "export const f = (orderId: string) => q.add(orderId, {});\n"})
    assert found(tmp_path, diagnostics) == {("p.ts", 3, "QL101")}
    assert "the id variable `orderId`" in diagnostics[0].message and "opts.jobId" in diagnostics[0].hint


def test_ql104_processors_in_different_packages_are_different_apps(tmp_path: Path) -> None:
    processor = "import { Processor, Process } from '@nestjs/bull';\n@Processor('q')\nexport class P { @Process() a(job) {} }\n"
    files = {
        "apps/a/package.json": "{}", "apps/a/src/p.ts": processor,
        "apps/b/package.json": "{}", "apps/b/src/p.ts": processor,
    }
    assert run(tmp_path, files) == []
    files["apps/a/src/q.ts"] = processor.replace("class P", "class Q")
    assert found(tmp_path, run(tmp_path, files)) == {("apps/a/src/q.ts", 3, "QL104")}


def test_ql104_bullmq_workers_are_competing_consumers(tmp_path: Path) -> None:
    worker = "import { Worker } from 'bullmq';\nnew Worker('q', async (job) => 1);\n"
    assert run(tmp_path, {"a.ts": worker, "b.ts": worker}) == []


def test_ql201_and_ql202_are_anchored_in_the_delegate(tmp_path: Path) -> None:
    diagnostics = run(tmp_path, {"w.ts": """
import { Worker, Job } from 'bullmq';
async function run(job: Job) {
  try {
    await work(job.data);
  } catch (error) {
    logger.error(error);
  }
}
new Worker('q', async (job) => run(job));
"""})
    assert found(tmp_path, diagnostics) == {("w.ts", 6, "QL202")}
    assert diagnostics[0].message.startswith("`run` (called by the processor of Worker('q'))")


def test_ql202_nested_best_effort_try_is_left_alone(tmp_path: Path) -> None:
    assert run(tmp_path, {"w.ts": """
import { Worker } from 'bullmq';
new Worker('q', async (job) => {
  for (const hook of job.data.hooks) {
    try { await notify(hook); } catch (e) { console.warn(e); }
  }
  await work(job.data);
});
"""}) == []


def test_ql203_missing_default_when_cases_break_is_reported(tmp_path: Path) -> None:
    diagnostics = run(tmp_path, {"w.ts": """
import { Worker } from 'bullmq';
new Worker('q', async (job) => {
  switch (job.name) {
    case 'a': await a(); break;
  }
  await markDone(job.id);
});
"""})
    assert found(tmp_path, diagnostics) == {("w.ts", 4, "QL203")}
    assert diagnostics[0].message.startswith("`switch (job.name)` has no default")


def test_ql202_try_beside_the_real_work_is_best_effort(tmp_path: Path) -> None:
    assert run(tmp_path, {"w.ts": """
import { Worker, Job } from 'bullmq';
export async function sessionsJob(job: Job) {
  const result = await closeSession(job.data);
  try {
    await updateCounters(job.data.projectId);
  } catch (error) {
    logger.error(error, 'counters are best effort');
  }
  return result;
}
new Worker('sessions', sessionsJob);
"""}) == []


NAME = st.text(alphabet="abcde-_1", min_size=1, max_size=12)


@given(NAME, st.lists(NAME, max_size=30))
@settings(max_examples=300, deadline=None)
def test_closest_name_is_difflib_s_closest_match(value: str, candidates: list[str]) -> None:
    """The pruned search gives exactly what `difflib.get_close_matches` gives."""
    import difflib

    from queuelint.rules.base import _closest

    ordered = tuple(sorted(set(candidates)))
    expected = difflib.get_close_matches(value, ordered, n=1, cutoff=0.75)
    assert _closest(value, ordered) == (expected[0] if expected else None)


def test_a_scheduler_per_tenant_is_no_dynamic_job_name_but_is_checked_against_routing(tmp_path: Path) -> None:
    # Named by their ids: one scheduler per tenant keys the schedules (no QL101 on the catch-all
    # worker); on a router, names like 'sync-…' that no case handles are a real miss (QL102).
    catch_all = """
import { Queue, Worker } from 'bullmq';
const sync = new Queue('sync');
export const every = (tenant: string) => sync.upsertJobScheduler(`sync-${tenant}`, { every: 60000 });
new Worker('sync', async (job) => job.data);
"""
    routed = """
import { Queue, Worker } from 'bullmq';
const reports = new Queue('reports');
export const daily = (tenant: string) => reports.upsertJobScheduler(`report-${tenant}`, { every: 60000 });
new Worker('reports', async (job) => {
  switch (job.name) {
    case 'generate': return 1;
    default: throw new Error(`unknown job ${job.name}`);
  }
});
"""
    diagnostics = run(tmp_path, {"src/sync.ts": catch_all, "src/reports.ts": routed})
    assert {(path, code) for path, _, code in found(tmp_path, diagnostics)} == {("src/reports.ts", "QL102")}
