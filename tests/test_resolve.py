"""Names resolved across files: relative imports, barrels, re-exports, namespaces, CommonJS."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import found, run

WORKER = """
import { Worker } from 'bullmq';
import { Q, J } from './names';
new Worker(Q.Mail, async (job) => {
  switch (job.name) {
    case J.Welcome: return 1;
    default: throw new Error('unknown');
  }
});
"""


def test_names_through_barrel_reexports_and_namespaces(tmp_path: Path) -> None:
    diagnostics = run(tmp_path, {
        "src/names/queues.ts": "export enum QueueName { Mail = 'mail' }\n",
        "src/names/jobs.ts": "export const JOBS = { Welcome: 'welcome', Digest: 'digest' } as const;\n",
        "src/names/index.ts": "export * from './queues';\nexport { JOBS as J } from './jobs';\n"
                              "export { QueueName as Q } from './queues';\n",
        "src/worker.ts": WORKER,
        "src/producer.ts": """
            import { Queue } from 'bullmq';
            import * as names from './names/index.js';
            import { QueueName } from './names';
            const q = new Queue(QueueName.Mail);
            await q.add(names.J.Welcome, {});
            await q.add(names.J.Digest, {});
        """,
    })
    assert found(tmp_path, diagnostics) == {("src/producer.ts", 7, "QL102")}
    assert "job 'digest' has no handler on queue 'mail'" in diagnostics[0].message


def test_commonjs_exports_and_require(tmp_path: Path) -> None:
    diagnostics = run(tmp_path, {
        "lib/names.js": "module.exports = { MAIL: 'mail', WELCOME: 'welcome' };\nexports.DIGEST = 'digest';\n",
        "lib/worker.js": """
            const Queue = require('bull');
            const { MAIL, WELCOME } = require('./names');
            const names = require('./names');
            const q = new Queue(MAIL);
            q.process(WELCOME, async (job) => 1);
            q.add(names.DIGEST, {});
            q.add(WELCOME, {});
        """,
    })
    assert found(tmp_path, diagnostics) == {("lib/worker.js", 7, "QL102")}


def test_unresolvable_names_are_never_a_mismatch(tmp_path: Path) -> None:
    diagnostics = run(tmp_path, {
        "src/worker.ts": """
            import { Worker } from 'bullmq';
            import { J } from '@acme/shared';
            new Worker('mail', async (job) => {
              switch (job.name) {
                case 'welcome': return 1;
                default: throw new Error('unknown');
              }
            });
        """,
        "src/producer.ts": """
            import { Queue } from 'bullmq';
            import { J } from '@acme/shared';
            const q = new Queue('mail');
            await q.add(J.Digest, {});
            await q.add(process.env.JOB_NAME, {});
        """,
    })
    assert diagnostics == []


def test_an_unresolved_handled_name_silences_the_queue(tmp_path: Path) -> None:
    diagnostics = run(tmp_path, {
        "src/worker.ts": """
            import { Worker } from 'bullmq';
            import { J } from '@acme/shared';
            new Worker('mail', async (job) => {
              if (job.name === J.Welcome) return 1;
              throw new Error('unknown');
            });
        """,
        "src/producer.ts": """
            import { Queue } from 'bullmq';
            const q = new Queue('mail');
            await q.add('welcome', {});
        """,
    })
    assert diagnostics == []


def test_queue_object_exported_from_another_module_names_the_worker_queue(tmp_path: Path) -> None:
    diagnostics = run(tmp_path, {
        "src/queues.ts": "import { Queue } from 'bullmq';\nexport const mailQueue = new Queue('mail');\n",
        "src/worker.ts": """
            import { Worker } from 'bullmq';
            import { mailQueue } from './queues';
            new Worker(mailQueue.name, async (job) => {
              if (job.name === 'welcome') return 1;
              throw new Error('unknown');
            });
        """,
        "src/local.ts": """
            import { Queue, Worker } from 'bullmq';
            const local = new Queue('local');
            await local.add('x', {});
            new Worker(local.name, async (job) => { if (job.name === 'y') return 1; throw new Error(); });
        """,
    })
    assert found(tmp_path, diagnostics) == {("src/local.ts", 4, "QL102"), ("src/local.ts", 5, "QL103")}


PRODUCER_NEEDS = """
import { Queue } from 'bullmq';
import { JOBS } from 'SPEC';
const q = new Queue('mail');
await q.add(JOBS.Welcome, {});
await q.add(JOBS.Digest, {});
"""
SIMPLE_WORKER = """
import { Worker } from 'bullmq';
new Worker('mail', async (job) => {
  if (job.name === 'welcome') return 1;
  throw new Error('unknown');
});
"""
NAMES = "export const JOBS = { Welcome: 'welcome', Digest: 'digest' } as const;\n"


def test_tsconfig_paths_with_extends_and_base_url(tmp_path: Path) -> None:
    diagnostics = run(tmp_path, {
        "tsconfig.base.json": '{ // comments and trailing commas are allowed\n'
                              ' "compilerOptions": { "baseUrl": ".", "paths": { "@app/common/*": ["libs/common/src/*"], }, }, }\n',
        "apps/api/tsconfig.json": '{ "extends": "../../tsconfig.base.json" }\n',
        "libs/common/src/jobs.ts": NAMES,
        "apps/api/src/producer.ts": PRODUCER_NEEDS.replace("SPEC", "@app/common/jobs"),
        "apps/api/src/base-url.ts": PRODUCER_NEEDS.replace("SPEC", "libs/common/src/jobs"),
        "apps/worker/worker.ts": SIMPLE_WORKER,
    })
    assert found(tmp_path, diagnostics) == {("apps/api/src/producer.ts", 6, "QL102"), ("apps/api/src/base-url.ts", 6, "QL102")}


def test_workspace_package_resolves_to_its_source(tmp_path: Path) -> None:
    diagnostics = run(tmp_path, {
        "package.json": '{ "private": true, "workspaces": ["packages/*", "apps/*"] }',
        "packages/shared/package.json": '{ "name": "@acme/shared", "main": "dist/index.js", "types": "dist/index.d.ts" }',
        "packages/shared/src/index.ts": "export * from './jobs';\n",
        "packages/shared/src/jobs.ts": NAMES,
        "node_modules/@acme/other/package.json": '{ "name": "@acme/other" }',
        "apps/api/src/producer.ts": PRODUCER_NEEDS.replace("SPEC", "@acme/shared"),
        "apps/api/src/subpath.ts": PRODUCER_NEEDS.replace("SPEC", "@acme/shared/src/jobs"),
        "apps/worker/src/worker.ts": SIMPLE_WORKER,
    })
    assert found(tmp_path, diagnostics) == {("apps/api/src/producer.ts", 6, "QL102"), ("apps/api/src/subpath.ts", 6, "QL102")}


def test_queue_objects_imported_from_another_module(tmp_path: Path) -> None:
    diagnostics = run(tmp_path, {
        "src/queues.ts": "import { Queue } from 'bullmq';\nexport const mailQueue = new Queue('mail');\n",
        "src/index.ts": "export * from './queues';\n",
        # mentions no queue library at all: found through the exported queue's name
        "src/signup.ts": """
            import { mailQueue } from './queues';
            import * as q from './index';
            import { seen } from './seen';
            export async function signup() {
              await mailQueue.add('welcome', {});
              await q.mailQueue.add('welcom', {});
              seen.add('welcome');
            }
        """,
        "src/seen.ts": "export const seen = new Set<string>();\n",
        "src/worker.ts": SIMPLE_WORKER,
    })
    assert found(tmp_path, diagnostics) == {("src/signup.ts", 7, "QL102")}
    assert diagnostics[0].hint == "did you mean 'welcome'?"


def test_worker_processor_imported_from_another_module(tmp_path: Path) -> None:
    diagnostics = run(tmp_path, {
        "src/jobs/mail.ts": """
            import type { Job } from 'bullmq';
            export async function mailJob(job: Job) {
              switch (job.name) {
                case 'welcome': return welcome(job.data);
                default: throw new Error('unknown');
              }
            }
        """,
        "src/boot.ts": """
            import { Queue, Worker } from 'bullmq';
            import { mailJob } from './jobs/mail';
            const mail = new Queue('mail');
            new Worker('mail', mailJob);
            await mail.add('welcome', {});
            await mail.add('digest', {});
        """,
    })
    assert found(tmp_path, diagnostics) == {("src/boot.ts", 7, "QL102")}


def test_code_quoted_in_a_reason_is_one_short_line(tmp_path: Path) -> None:
    from queuelint.model import Expr
    from queuelint.modules import ModuleLocator
    from queuelint.resolve import Resolver

    resolver = Resolver(lambda path: None, ModuleLocator([str(tmp_path)]))
    spread = "self.create_job(\n    func,\n    args=args,\n    kwargs=kwargs,\n    timeout=timeout,\n    result_ttl=ttl,\n)"
    reason = resolver.name(Expr.unknown(spread), str(tmp_path / "queue.py")).reason
    assert reason == "`self.create_job( func, args=args, kwargs=kwargs, timeout=ti…` is not known statically"
    assert resolver.name(Expr.unknown("x", "said in words"), str(tmp_path / "queue.py")).reason == "said in words"
