"""Producer wrappers: functions whose parameter becomes the job name are producers at their call sites."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import found, run

PROCESSOR = """
import { Processor, Process } from '@nestjs/bull';
import { JobName } from './names';

@Processor('data')
export class DataProcessor {
  @Process({ name: JobName.Profile, concurrency: 2 })
  async profile(job: any) {}
}
"""
SERVICE = """
import { Injectable } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bull';
import { Queue, JobOptions } from 'bull';

@Injectable()
export class DataService {
  constructor(@InjectQueue('data') private readonly queue: Queue) {}

  public async addJobToQueue({ data, name, opts }: { data: any; name: string; opts?: JobOptions }) {
    return this.queue.add(name, data, opts);
  }

  public async addNamed(name: string, data: unknown) {
    return this.queue.add(name, data);
  }
}
"""
NAMES = "export enum JobName { Profile = 'profile', History = 'history' }\n"


def service_project(controller: str) -> dict[str, str]:
    """The processor, the service wrapping its queue, and a controller calling the service."""
    return {"src/names.ts": NAMES, "src/data.processor.ts": PROCESSOR, "src/data.service.ts": SERVICE,
            "src/admin.controller.ts": controller}


def test_service_method_wrapper_called_from_a_file_without_queue_code(tmp_path: Path) -> None:
    diagnostics = run(tmp_path, service_project("""
            import { DataService } from './data.service';
            import { JobName } from './names';

            export class AdminController {
              constructor(private readonly dataService: DataService) {}

              async gather() {
                await this.dataService.addJobToQueue({ data: {}, name: JobName.Profile, opts: {} });
                await this.dataService.addJobToQueue({ data: {}, name: JobName.History });
                await this.dataService.addNamed('profil', {});
              }
            }
        """))
    assert found(tmp_path, diagnostics) == {("src/admin.controller.ts", 10, "QL102"), ("src/admin.controller.ts", 11, "QL102")}
    by_line = {d.span.line: d for d in diagnostics}
    assert by_line[11].hint == "did you mean 'profile'?"
    assert by_line[10].span.column == 60  # anchored at the name the caller passes


ENQUEUE_AND_WORKER = """
    import { Queue, Worker } from 'bullmq';
    const q = new Queue('mail');
    export function enqueue(name: string, data: unknown) { return q.add(name, data); }
    new Worker('mail', async (job) => {
      if (job.name === 'welcome') return 1;
      throw new Error('unknown');
    });
"""


def test_wrapper_of_a_wrapper_and_plain_functions(tmp_path: Path) -> None:
    diagnostics = run(tmp_path, {
        "src/queue.ts": ENQUEUE_AND_WORKER,
        "src/notify.ts": """
            import { enqueue } from './queue';
            export const notify = (kind: string) => enqueue(kind, {});
        """,
        "src/signup.ts": """
            import { notify } from './notify';
            notify('welcome');
            notify('farewell');
        """,
    })
    assert found(tmp_path, diagnostics) == {("src/signup.ts", 4, "QL102")}
    assert diagnostics[0].message.startswith("job 'farewell' has no handler on queue 'mail'")


def test_wrapper_without_callers_stays_unknown_and_quiet(tmp_path: Path) -> None:
    diagnostics = run(tmp_path, {"src/names.ts": NAMES, "src/data.processor.ts": PROCESSOR, "src/data.service.ts": SERVICE})
    assert diagnostics == []


def test_queue_passed_into_a_constructor(tmp_path: Path) -> None:
    diagnostics = run(tmp_path, {
        "src/mailer.ts": """
            import { Queue } from 'bullmq';
            export class Mailer {
              constructor(private readonly queue: Queue) {}
              welcome(to: string) { return this.queue.add('welcome', { to }); }
              digest(to: string) { return this.queue.add('digest', { to }); }
            }
        """,
        "src/main.ts": """
            import { Queue, Worker } from 'bullmq';
            import { Mailer } from './mailer';
            export const mailQueue = new Queue('mail');
            export const mailer = new Mailer(mailQueue);
            new Worker('mail', async (job) => {
              if (job.name === 'welcome') return 1;
              throw new Error('unknown');
            });
        """,
    })
    assert found(tmp_path, diagnostics) == {("src/mailer.ts", 6, "QL102")}
    assert diagnostics[0].message.startswith("job 'digest' has no handler on queue 'mail'")


def test_python_wrapper_of_enqueue_job(tmp_path: Path) -> None:
    diagnostics = run(tmp_path, {
        "worker/jobs.py": """
            from arq import ArqRedis


            async def send_invoice(ctx, invoice_id):
                ...


            async def enqueue_with_backoff(redis: ArqRedis, job_name, attempt, *args):
                return await redis.enqueue_job(job_name, *args, _defer_by=attempt * 10)


            class WorkerSettings:
                functions = [send_invoice]
        """,
        "worker/api.py": """
            from .jobs import enqueue_with_backoff


            async def bill(redis, invoice_id):
                await enqueue_with_backoff(redis, "send_invoice", 1, invoice_id)
                await enqueue_with_backoff(redis, "send_invoic", 1, invoice_id)
        """,
    })
    assert found(tmp_path, diagnostics) == {("worker/api.py", 7, "QL102")}


def test_many_call_sites_are_read_over_the_process_pool_with_the_same_result(tmp_path: Path) -> None:
    """Enough call-site files to go over the process pool: same findings, in the same order."""
    from queuelint import engine, pool
    from queuelint.config import Settings
    from tests.helpers import write_project

    files = {
        "src/queue.ts": ENQUEUE_AND_WORKER,
    }
    for index in range(pool.PARALLEL_THRESHOLD + 6):
        job = "welcome" if index % 10 else f"job-{index}"
        files[f"src/callers/caller{index:03}.ts"] = f"import {{ enqueue }} from '../queue';\nenqueue('{job}', {{}});\n"
    write_project(tmp_path, files)
    results = [engine.analyse([str(tmp_path)], Settings(root=str(tmp_path)), jobs=jobs).diagnostics for jobs in (1, 2)]
    assert results[0] == results[1]
    assert [Path(d.span.path).name for d in results[0]] == [f"caller{i:03}.ts" for i in range(0, 70, 10)]


def test_a_method_wrapper_is_looked_for_only_where_its_class_is_named(tmp_path: Path) -> None:
    """`DataService.addNamed` is called through a field typed `DataService`: a file that never
    names the class cannot call it in a way we resolve, so it is not read again, however often
    it says `addNamed`."""
    from queuelint import engine
    from queuelint.config import Settings
    from tests.helpers import write_project

    write_project(tmp_path, {
        **service_project("""
            import { DataService } from './data.service';
            export class AdminController {
              constructor(private readonly dataService: DataService) {}
              gather() { return this.dataService.addNamed('profil', {}); }
            }
        """),
        "src/unrelated.ts": "export const list = { addNamed(name: string) { return name; } };\nlist.addNamed('x');\n",
    })
    result = engine.analyse([str(tmp_path)], Settings(root=str(tmp_path)), jobs=1)
    assert found(tmp_path, result.diagnostics) == {("src/admin.controller.ts", 5, "QL102")}
    reread = {Path(path).name for path in result.reread}
    assert "admin.controller.ts" in reread
    assert "unrelated.ts" not in reread


def _double(chunk: list[int]) -> list[int]:
    return [2 * item for item in chunk]


def test_workers_give_results_in_order_and_run_the_meanwhile_step_once() -> None:
    from queuelint import pool

    calls: list[int] = []
    workers = pool.Workers(2)
    try:
        assert workers.map(_double, list(range(100)), meanwhile=lambda: calls.append(1)) == [2 * i for i in range(100)]
    finally:
        workers.close()
    assert calls == [1]


def test_a_producer_a_wrapper_runs_only_when_asked_is_not_at_every_call(tmp_path: Path) -> None:
    """`makeQueue(name, options)` adds a repeatable job only `if (options?.daily)`: a call that
    does not pass it produces nothing; one that does produces the job."""
    diagnostics = run(tmp_path, {
        "src/factory.ts": """
            import { Queue } from 'bullmq';
            export const makeQueue = (queueName: string, options?: { daily?: boolean }) => {
              const queue = new Queue(queueName);
              if (options?.daily) { queue.add(queueName, null, { repeat: { pattern: '0 1 * * *' } }); }
              return queue;
            };
        """,
        "src/queues.ts": """
            import { makeQueue } from './factory';
            export const mail = makeQueue('mail');
            export const cleanup = makeQueue('cleanup', { daily: true });
            export const digest = makeQueue('digest', {});
        """,
        "src/workers.ts": """
            import { Worker } from 'bullmq';
            new Worker('mail', async (job) => { if (job.name === 'welcome') return; throw new Error(job.name); });
            new Worker('cleanup', async (job) => { if (job.name === 'clean') return; throw new Error(job.name); });
            new Worker('digest', async (job) => { if (job.name === 'digest') return; throw new Error(job.name); });
        """,
    })
    assert found(tmp_path, diagnostics) == {("src/queues.ts", 4, "QL102"), ("src/workers.ts", 4, "QL103")}
    assert "job 'cleanup' has no handler on queue 'cleanup'" in diagnostics[0].message


def test_a_queue_name_built_from_the_wrapper_s_parameters(tmp_path: Path) -> None:
    """`new Queue(`${service}-${queueName}`)` in a wrapper: each call's arguments fill it in;
    a call that leaves one out is unresolved, said in words (no code quoted that is not code)."""
    from queuelint import engine
    from queuelint.config import Settings

    files = {
        "src/send.ts": """
            import { Queue } from 'bullmq';
            export const sendMessage = async ({ service, queueName, jobName }: {
              service: string; queueName: string; jobName: string;
            }) => {
              const queue = new Queue(`${service}-${queueName}`);
              return queue.add(jobName, {});
            };
        """,
        "src/use.ts": """
            import { sendMessage } from './send';
            export async function run() {
              await sendMessage({ service: 'billing', queueName: 'invoices', jobName: 'render' });
              await sendMessage({ service: 'billing', queueName: 'invoices', jobName: 'rendre' });
              await sendMessage({ queueName: 'invoices', jobName: 'render' });
            }
        """,
        "src/worker.ts": """
            import { Worker } from 'bullmq';
            new Worker('billing-invoices', async (job) => { if (job.name === 'render') return; throw new Error(job.name); });
        """,
    }
    assert found(tmp_path, run(tmp_path, files)) == {("src/use.ts", 5, "QL102")}
    result = engine.analyse([str(tmp_path)], Settings(root=str(tmp_path)), jobs=1)
    assert result.graph is not None
    assert [what for _, what in result.graph.unresolved] == [
        "queue of this producer: the object the call passes has no `service`"]


FACTORY_WORKERS = """
    import { Worker } from 'bullmq';
    new Worker('mail', async (job) => { if (job.name === 'welcome') return; throw new Error(job.name); });
    new Worker('cleanup', async (job) => { if (job.name === 'clean') return; throw new Error(job.name); });
"""


def test_a_guarded_producer_narrows_only_its_own_calls(tmp_path: Path) -> None:
    """Beside a guarded producer, the wrapper's unguarded one is made at every call, whatever
    their order; a call whose options spread another object may pass the option."""
    for first, second in [("if (options?.daily) { queue.add('daily-report', null); }", "queue.add('warmup', null);"),
                          ("queue.add('warmup', null);", "if (options?.daily) { queue.add('daily-report', null); }")]:
        diagnostics = run(tmp_path, {
            "src/factory.ts": f"""
                import {{ Queue }} from 'bullmq';
                export const makeQueue = (queueName: string, options?: {{ daily?: boolean }}) => {{
                  const queue = new Queue(queueName);
                  {first}
                  {second}
                  return queue;
                }};
            """,
            "src/queues.ts": """
                import { makeQueue } from './factory';
                const DAILY = { daily: true };
                export const mail = makeQueue('mail');
                export const cleanup = makeQueue('cleanup', { ...DAILY, retries: 3 });
            """,
            "src/workers.ts": FACTORY_WORKERS,
        })
        messages = sorted(d.message.split(";")[0] for d in diagnostics if d.code == "QL102")
        assert messages == ["job 'daily-report' has no handler on queue 'cleanup'",
                            "job 'warmup' has no handler on queue 'cleanup'",
                            "job 'warmup' has no handler on queue 'mail'"], (first, second)


def test_a_guard_met_by_a_call_is_not_asked_again_of_its_caller(tmp_path: Path) -> None:
    diagnostics = run(tmp_path, {
        "src/wrap.ts": """
            import { Queue } from 'bullmq';
            const urgent = new Queue('urgent');
            export async function enqueue(name: string, opts?: { urgent?: boolean }) {
              if (opts?.urgent) { await urgent.add(name, {}); }
            }
        """,
        "src/outer.ts": """
            import { enqueue } from './wrap';
            export async function enqueueUrgent(name: string) { await enqueue(name, { urgent: true }); }
        """,
        "src/caller.ts": "import { enqueueUrgent } from './outer';\nexport async function go() { await enqueueUrgent('nope'); }\n",
        "src/workers.ts": """
            import { Worker } from 'bullmq';
            new Worker('urgent', async (job) => { if (job.name === 'page') return; throw new Error(job.name); });
        """,
    })
    assert ("src/caller.ts", 2, "QL102") in found(tmp_path, diagnostics)


def test_a_job_name_built_from_the_wrapper_s_parameter_is_named_at_each_call(tmp_path: Path) -> None:
    diagnostics = run(tmp_path, {
        "src/queue.ts": """
            import { Queue, Worker } from 'bullmq';
            const search = new Queue('search');
            export function reindex(entity: string, id: string) {
              return search.add(`index-${entity}`, { id });
            }
            new Worker('search', async (job) => {
              switch (job.name) {
                case 'index-product': return;
                case 'index-category': return;
                default: throw new Error(`unknown ${job.name}`);
              }
            });
        """,
        "src/catalog.ts": """
            import { reindex } from './queue';
            export async function saved(id: string) {
              await reindex('product', id);
              await reindex('category', id);
              await reindex('catgory', id);
            }
        """,
    })
    # Only the misspelt call: the other two name handled jobs; none is "chosen at run time".
    assert found(tmp_path, diagnostics) == {("src/catalog.ts", 6, "QL102")}
