"""TypeScript projects end to end, in shapes seen in real code: which queue object a call is
on, and what may produce a handled name."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import found, run

WORKERS = """
    import { Worker } from 'bullmq';
    new Worker('invoices', async (job) => { if (job.name === 'render') return; throw new Error(job.name); });
    new Worker('emails', async (job) => { if (job.name === 'send') return; throw new Error(job.name); });
"""


def test_each_function_s_own_queue_variable(tmp_path: Path) -> None:
    """Two functions each declaring `const queue`: a call is on its own function's queue, and
    a module-level queue is seen from every function."""
    diagnostics = run(tmp_path, {"src/workers.ts": WORKERS, "src/producers.ts": """
        import { Queue } from 'bullmq';
        const shared = new Queue('emails');
        export async function enqueueInvoice() { const queue = new Queue('invoices'); return queue.add('render', {}); }
        export async function enqueueEmail() { const queue = new Queue('emails'); return queue.add('send', {}); }
        export async function enqueueTypo() { return shared.add('sned', {}); }
    """})
    assert found(tmp_path, diagnostics) == {("src/producers.ts", 6, "QL102")}
    assert "on queue 'emails'" in diagnostics[0].message


def test_a_queue_field_given_its_queue_in_the_constructor(tmp_path: Path) -> None:
    """`private queue: Queue;` set by `this.queue = new Queue('emails').on(…)`: the field is
    that queue (a listener method returns the emitter)."""
    diagnostics = run(tmp_path, {"src/workers.ts": WORKERS, "src/mailer.ts": """
        import { Queue } from 'bullmq';
        export class Mailer {
          private queue: Queue;
          constructor() { this.queue = new Queue('emails').on('error', (e) => console.error(e)); }
          async send() { await this.queue.add('sent', {}); }
        }
        const invoices = new Queue('invoices').once('ready', () => undefined);
        export const render = () => invoices.add('render', {});
    """})
    assert found(tmp_path, diagnostics) == {("src/mailer.ts", 6, "QL102"), ("src/workers.ts", 4, "QL103")}


def test_a_producer_whose_queue_is_unknown_may_produce_a_handled_name(tmp_path: Path) -> None:
    """QL103 says nothing produces a name: not so if a producer whose queue cannot be told
    produces that name; other names are still reported."""
    workers = WORKERS.replace("if (job.name === 'render') return;",
                              "if (job.name === 'render') return; if (job.name === 'archive') return;")
    diagnostics = run(tmp_path, {"src/workers.ts": workers, "src/send.ts": """
        import { Queue } from 'bullmq';
        export const sendTo = async (queueName: string) => { const q = new Queue(queueName); return q.add('render', {}); };
        export const send = () => { const q = new Queue('emails'); return q.add('send', {}); };
        export const archive = () => { const q = new Queue('invoices'); return q.add('archive', {}); };
    """, "src/use.ts": """
        import { sendTo } from './send';
        export const go = (region: string) => sendTo(`${region}-invoices`);
    """})
    assert found(tmp_path, diagnostics) == set()
    diagnostics = run(tmp_path, {"src/send.ts": """
        import { Queue } from 'bullmq';
        export const sendTo = async (queueName: string) => { const q = new Queue(queueName); return q.add('rendered', {}); };
        export const send = () => { const q = new Queue('emails'); return q.add('send', {}); };
        export const archive = () => { const q = new Queue('invoices'); return q.add('archive', {}); };
    """})
    assert found(tmp_path, diagnostics) == {("src/workers.ts", 3, "QL103")}


def test_names_routed_by_a_list_lookup(tmp_path: Path) -> None:
    """`['a', 'b'].includes(job.name)` routes those names; a list held elsewhere routes names
    not known here, so the queue's names are not checked."""
    diagnostics = run(tmp_path, {"src/orchestrator.ts": """
        import { Queue, Worker } from 'bullmq';
        const allowed = ['retry', 'timeout'];
        const tasks = new Queue('tasks');
        export const retry = () => tasks.add('retry', {});
        export const timeout = () => tasks.add('timeout', {});
        export const schedule = () => tasks.add('schedule', {});
        export const typo = () => tasks.add('retyr', {});
        new Worker('tasks', async (job) => {
          if (['retry', 'timeout'].includes(job.name)) { return 1; }
          if (job.name === 'schedule') { return 2; }
          throw new Error(`unknown job ${job.name}`);
        });
        const other = new Queue('other');
        export const anything = () => other.add('anything', {});
        new Worker('other', async (job) => {
          if (allowed.includes(job.name)) { return 1; }
          throw new Error(`unknown job ${job.name}`);
        });
    """})
    assert found(tmp_path, diagnostics) == {("src/orchestrator.ts", 8, "QL102")}
    assert diagnostics[0].hint == "did you mean 'retry'?"


def test_an_error_kept_in_the_catch_and_thrown_later_is_not_swallowed(tmp_path: Path) -> None:
    """`catch (e) { err = e; }` then `finally { if (err) throw … }` or `if (err) throw err;`
    after the `try`: the job still fails. Keeping it and never throwing is still swallowing."""
    processor = """
        import { Processor, WorkerHost } from '@nestjs/bullmq';
        import { Job, UnrecoverableError } from 'bullmq';

        @Processor('sync')
        export class SyncProcessor extends WorkerHost {
          async process(job: Job): Promise<void> {
            let err: any;
            try { await this.runSync(job.data); }
            catch (e) { console.error(e); err = e; }
            LATER
          }
          private async runSync(data: unknown) {}
        }
    """
    for later, swallowed in [("finally { if (err) throw new UnrecoverableError(err.message); }", False),
                             ("if (err) throw err;", False),
                             ("if (err) console.warn(err);", True)]:
        diagnostics = run(tmp_path, {"src/sync.processor.ts": processor.replace("LATER", later)})
        assert (("src/sync.processor.ts", 10, "QL202") in found(tmp_path, diagnostics)) is swallowed, later


def test_a_silent_fallback_after_a_list_lookup_names_the_list(tmp_path: Path) -> None:
    diagnostics = run(tmp_path, {"src/worker.ts": """
        import { Worker } from 'bullmq';
        import { allowedJobs } from './jobs';
        new Worker('orchestrator', async (job) => {
          if (allowedJobs.includes(job.name)) { return run(job); }
          if (job.name === 'schedule') { return schedule(job); }
        });
        declare function run(job: unknown): Promise<void>;
        declare function schedule(job: unknown): Promise<void>;
    """})
    assert [d.code for d in diagnostics] == ["QL203"]
    assert "anything but 'schedule', `allowedJobs` completes" in diagnostics[0].message


def test_dispatch_through_a_map_written_out_in_the_file(tmp_path: Path) -> None:
    """`this.handlers[job.name](job)` with the map a field written out in the class: the
    processor takes its keys (a name outside them fails at run time); a map that code fills
    in elsewhere (`registry[name] = fn`) takes names not known here."""
    diagnostics = run(tmp_path, {
        "src/ingest.processor.ts": """
            import { Processor, WorkerHost } from '@nestjs/bullmq';
            import { Job } from 'bullmq';
            import { JobName } from './names';

            @Processor('ingest')
            export class IngestProcessor extends WorkerHost {
              private handlers: Record<string, (job: Job) => Promise<void>> = {
                [JobName.Custom]: async (job) => this.custom(job),
                message: async (job) => this.message(job),
              };
              async process(job: Job): Promise<void> { await this.handlers[job.name](job); }
              private async custom(job: Job) {}
              private async message(job: Job) {}
            }
        """,
        "src/names.ts": "export enum JobName { Custom = 'custom' }\n",
        "src/ingest.service.ts": """
            import { InjectQueue } from '@nestjs/bullmq';
            import { Queue } from 'bullmq';
            export class IngestService {
              constructor(@InjectQueue('ingest') private readonly queue: Queue) {}
              async custom() { await this.queue.add('custom', {}); }
              async message() { await this.queue.add('message', {}); }
              async thirdParty() { await this.queue.add('thirdparty', {}); }
            }
        """,
        "src/registry.ts": """
            import { Queue, Worker } from 'bullmq';
            const registry: Record<string, (job: unknown) => Promise<void>> = { first: async () => undefined };
            export function register(name: string, fn: (job: unknown) => Promise<void>) { registry[name] = fn; }
            const events = new Queue('events');
            export const emit = () => events.add('second', {});
            new Worker('events', async (job) => registry[job.name]?.(job));
        """,
    })
    assert found(tmp_path, diagnostics) == {("src/ingest.service.ts", 8, "QL102")}


def test_a_generic_requeue_endpoint_does_not_hide_dead_handlers(tmp_path: Path) -> None:
    """A producer whose queue and name both come from a request names nothing: QL103 still
    reports a handled name nothing produces."""
    diagnostics = run(tmp_path, {
        "src/producer.ts": """
            import { Queue } from 'bullmq';
            const mail = new Queue('mail');
            export async function welcome() { await mail.add('welcome', {}); }
        """,
        "src/worker.ts": """
            import { Worker } from 'bullmq';
            new Worker('mail', async (job) => { switch (job.name) {
              case 'welcome': return; case 'goodbye': return; default: throw new Error(job.name); } });
        """,
        "src/admin.ts": """
            import { Queue } from 'bullmq';
            export async function requeue(queueName: string, jobName: string) {
              const queue = new Queue(queueName);
              await queue.add(jobName, {});
            }
        """,
    })
    assert ("src/worker.ts", 4, "QL103") in found(tmp_path, diagnostics)


def test_each_block_s_own_queue_variable(tmp_path: Path) -> None:
    """`const q` in each branch of an `if` is that branch's; a `var` is its function's."""
    diagnostics = run(tmp_path, {"src/workers.ts": WORKERS, "src/producers.ts": """
        import { Queue } from 'bullmq';
        export function go(urgent: boolean) {
          if (urgent) { const q = new Queue('invoices'); q.add('render', {}); }
          else { const q = new Queue('emails'); q.add('send', {}); }
        }
        export function later() {
          if (Math.random() > 0.5) { var q = new Queue('emails'); }
          q.add('sent', {});
        }
    """})
    assert found(tmp_path, diagnostics) == {("src/producers.ts", 9, "QL102")}


SANDBOX_WORKER = """
    import path from 'path';
    import {{ Queue, Worker }} from 'bullmq';
    const images = new Queue('images');
    await images.add('resize', {{}});
    await images.add('crop', {{}});
    new Worker('images', {where});
"""


@pytest.mark.parametrize(("where", "module", "processor"), [
    ("path.join(__dirname, 'processors', 'images.js')", "src/processors/images.ts",
     "export default async function (job) {\n"
     "  switch (job.name) {\n    case 'resize': {\n      const out = await resize(job.data);\n"
     "      if (!out) return new Error('resize failed');\n      return out;\n    }\n"
     "    default: throw new Error('unknown job');\n  }\n}\n"),
    ("`${__dirname}/images.js`", "src/images.js",
     "module.exports = async (job) => {\n"
     "  switch (job.name) {\n    case 'resize': {\n      const out = await resize(job.data);\n"
     "      if (!out) return new Error('resize failed');\n      return out;\n    }\n"
     "    default: throw new Error('unknown job');\n  }\n};\n"),
    ("path.resolve(__dirname, 'images.cjs')", "src/images.cjs",
     "async function run(job) {\n"
     "  switch (job.name) {\n    case 'resize': {\n      const out = await resize(job.data);\n"
     "      if (!out) return new Error('resize failed');\n      return out;\n    }\n"
     "    default: throw new Error('unknown job');\n  }\n}\nmodule.exports = run;\n"),
])
def test_a_sandboxed_processor_module_is_the_worker_handler(tmp_path: Path, where: str, module: str,
                                                             processor: str) -> None:
    diagnostics = run(tmp_path, {"src/queues.ts": SANDBOX_WORKER.format(where=where), module: processor})
    line_of_return = next(n for n, text in enumerate(processor.splitlines(), 1) if "resize failed" in text)
    assert found(tmp_path, diagnostics) == {("src/queues.ts", 6, "QL102"), (module, line_of_return, "QL201")}


@pytest.mark.parametrize("where", ["path.join(__dirname, 'gone.js')", "'./dist/images.js'", "processorPath"])
def test_a_sandboxed_processor_that_cannot_be_read_handles_every_name(tmp_path: Path, where: str) -> None:
    """A module not in the project (build output, a path from the working directory, a
    variable): the worker may handle any name, so no name is claimed unhandled."""
    diagnostics = run(tmp_path, {"src/queues.ts": SANDBOX_WORKER.format(where=where),
                                 "dist/images.js": "module.exports = async (job) => resize(job.data);\n"})
    assert not [d for d in diagnostics if d.code == "QL102"]


def test_a_module_that_is_a_queue_as_a_whole_is_followed_under_any_local_name(tmp_path: Path) -> None:
    """`module.exports = new Queue(…)`, `module.exports = queue`, `exports.x = new Queue(…)` and
    `export default new Queue(…)`: importers name the queue as they like, and the files using
    it need not name the library."""
    diagnostics = run(tmp_path, {
        "package.json": '{"name": "shop", "dependencies": {"bull": "^4.0.0", "bullmq": "^5.0.0"}}',
        "lib/mailQueue.js": "const Queue = require('bull');\nmodule.exports = new Queue('mail');\n",
        "lib/reports.js": "const Queue = require('bull');\nconst reports = new Queue('reports');\nmodule.exports = reports;\n",
        "lib/queues.js": "const Queue = require('bull');\nexports.audit = new Queue('audit');\n",
        "src/thumbs.ts": "import { Queue } from 'bullmq';\nexport default new Queue('thumbs');\n",
        "lib/workers.js": "const mail = require('./mailQueue');\nconst r = require('./reports');\n"
                          "const { audit } = require('./queues');\n"
                          "mail.process('welcome', async () => {});\nr.process('daily', async () => {});\n"
                          "audit.process('entry', async () => {});\n",
        "lib/app.js": "const outbox = require('./mailQueue');\nconst r = require('./reports');\n"
                      "const queues = require('./queues');\n"
                      "outbox.add('welcome', {});\noutbox.add('welcom', {});\nr.add('daily', {});\n"
                      "queues.audit.add('entry', {});\n",
        "src/worker.ts": "import { Worker } from 'bullmq';\n"
                         "new Worker('thumbs', async (job) => { if (job.name === 'make') return; throw new Error(job.name); });\n",
        "src/upload.ts": "import pictures from './thumbs';\nexport const up = () => pictures.add('mkae', {});\n",
    })
    # 'make' is handled but never produced (the misspelt 'mkae' is): the QL103 says so.
    assert found(tmp_path, diagnostics) == {("lib/app.js", 5, "QL102"), ("src/upload.ts", 2, "QL102"),
                                            ("src/worker.ts", 2, "QL103")}


def test_a_function_given_the_job_s_data_is_read_for_its_own_body_only(tmp_path: Path) -> None:
    """`processFetch(redis, job.data)` hands the work to another module's function whose first
    parameter is a client, not the job: what it passes that client to is not the job's work
    (a best-effort cache check that logs is left alone); its own `catch` is."""
    diagnostics = run(tmp_path, {
        "src/fetch.ts": """
            async function isBlocked(redis: any, domain: string) {
              try {
                return (await redis.get(domain)) === 'blocked';
              } catch (error) {
                console.error('block check failed', error);
                return false;
              }
            }
            export async function processFetch(redis: any, data: { url: string }) {
              try {
                if (await isBlocked(redis, data.url)) return;
                await download(data.url);
              } catch (error) {
                console.error('fetch failed', error);
              }
            }
        """,
        "src/worker.ts": """
            import { Worker } from 'bullmq';
            import { processFetch } from './fetch';
            export const start = (redis: any) => new Worker('fetch', async (job) => {
              await processFetch(redis, job.data);
            });
        """,
    })
    assert found(tmp_path, diagnostics) == {("src/fetch.ts", 14, "QL202")}


DISPATCH = """
    import { Job } from 'bullmq';
    type Handler = (job: Job) => Promise<void>;
    export function dispatcher(handlers: Record<string, Handler>) {
      return async (job: Job) => {
        const handler = handlers[job.name];
        if (!handler) {
          console.warn(`no handler for ${job.name}`);
          return;
        }
        await handler(job);
      };
    }
    export const lookup = (table: Record<string, Handler>) => async (job: Job) => table[job.name](job);
    export function guarded(work: Handler) {
      return async (job: Job) => {
        try { await work(job); } catch (error) { console.error(error); }
      };
    }
    export function fromRegistry(name: string) { return registry.get(name); }
"""


def test_a_processor_a_factory_makes_from_the_map_it_is_given(tmp_path: Path) -> None:
    """`new Worker('mail', dispatcher({ welcome: sendWelcome }))`: the processor is what the
    factory returns, and the names it handles are the keys of the map the call passes; a
    factory written as an arrow too, in Bull's `process('*', …)` too."""
    diagnostics = run(tmp_path, {"src/dispatch.ts": DISPATCH, "src/worker.ts": """
        import { Worker, Queue } from 'bullmq';
        import Bull from 'bull';
        import { dispatcher, lookup } from './dispatch';
        async function sendWelcome() {}
        async function sendReset() {}
        export const mailer = new Worker('mail', dispatcher({ welcome: sendWelcome, reset: sendReset }));
        const mail = new Queue('mail');
        export const go = () => Promise.all([mail.add('welcome', {}), mail.add('reset', {}), mail.add('invoice', {})]);
        const exports = new Bull('exports');
        exports.process('*', lookup({ csv: sendWelcome }));
        export const send = () => exports.add('pdf', {});
    """})
    assert found(tmp_path, diagnostics) == {
        ("src/worker.ts", 9, "QL102"),  # 'invoice': not a key of the map
        ("src/worker.ts", 12, "QL102"),  # 'pdf' on 'exports'
        ("src/worker.ts", 11, "QL103"),  # 'csv' never added
    }


def test_a_processor_factory_not_followed_handles_every_name(tmp_path: Path) -> None:
    """A map not written out at the call, or a factory that returns no function written out:
    what the processor handles is not known, and nothing is claimed; a factory wrapping the
    work in a `catch` that only logs is read for how it fails."""
    diagnostics = run(tmp_path, {"src/dispatch.ts": DISPATCH, "src/worker.ts": """
        import { Worker, Queue } from 'bullmq';
        import { dispatcher, fromRegistry, guarded } from './dispatch';
        import { table } from './table';
        async function work() {}
        export const a = new Worker('a', dispatcher(table));
        export const b = new Worker('b', fromRegistry('b'));
        export const c = new Worker('c', guarded(work));
        export const go = () => Promise.all([new Queue('a').add('x', {}), new Queue('b').add('y', {}),
                                             new Queue('c').add('z', {})]);
    """})
    assert found(tmp_path, diagnostics) == {("src/dispatch.ts", 17, "QL202")}  # the `catch` that logs


def test_a_library_class_held_by_a_constant(tmp_path: Path) -> None:
    """`const QueueClass = pro ? Queue : require('bullmq-pro').QueuePro; new QueueClass('mail')`,
    `const W = Worker`: the library's class, under a name of the module's own. One branch a
    class of the project's own (`require('./fake')`) is not known to be a queue."""
    diagnostics = run(tmp_path, {"src/mail.ts": """
        import { Queue, Worker } from 'bullmq';
        const pro = process.env.PRO === '1';
        const W = Worker;
        export const worker = new W('mail', async (job) => { if (job.name === 'welcome') return; throw new Error(job.name); });
        export function send() {
          const QueueClass = !pro ? Queue : require('@taskforcesh/bullmq-pro').QueuePro;
          return new QueueClass('mail').add('welcom', {});
        }
        export function maybe() {
          const Local = pro ? Queue : require('./fake').FakeQueue;
          return new Local('mail').add('other', {});
        }
    """})
    # 'welcom' (so 'welcome' is never produced); 'other' is not on a queue known.
    assert found(tmp_path, diagnostics) == {("src/mail.ts", 8, "QL102"), ("src/mail.ts", 5, "QL103")}
