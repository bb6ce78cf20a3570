"""The flow stage: queues and names followed through factories, singletons, memoised getters,
name functions and the environment, across files; claims of absence only over a closed world."""

from __future__ import annotations

from pathlib import Path

from queuelint import engine
from queuelint.config import Settings
from tests.helpers import found, run, write_project

QUEUES = """
import { Queue } from 'bullmq';
export const queueName = (name: string) => process.env.QUEUE_PREFIX ? `{${name}}` : name;
export function createQueue(name: string) { return new Queue(queueName(name), { connection: {} }); }
export const mailQueue = createQueue('mail');
export class ReportQueue {
  private static instance: Queue | null = null;
  static getInstance(): Queue | null {
    if (ReportQueue.instance) return ReportQueue.instance;
    ReportQueue.instance = process.env.REDIS_URL ? new Queue('reports') : null;
    return ReportQueue.instance;
  }
}
const cache: Record<string, Queue> = {};
export async function getQueue(name: string = 'default') { return (cache[name] ??= new Queue(name)); }
"""


def produced(root: Path, files: dict[str, str]) -> set[tuple[str, int, str, str]]:
    """(file, line, queue, job) of every producer whose queue and name are known."""
    write_project(root, files)
    result = engine.analyse([str(root)], Settings(root=str(root)), jobs=1)
    assert result.graph is not None and not result.internal_errors
    return {(Path(s.path).relative_to(root).as_posix(), s.span.line, s.queue.value, s.job.value)
            for s in result.graph.producers() if s.queue.is_value and s.job.is_value}


def test_factories_singletons_and_memoised_getters_in_a_file_that_names_no_queue_library(tmp_path: Path) -> None:
    uses = """
    import { mailQueue, ReportQueue, getQueue, createQueue } from './queues';
    export async function go() {
      await mailQueue.add('welcome', {});
      await ReportQueue.getInstance()?.add('render', {});
      const reports = ReportQueue.getInstance();
      await reports?.add('render-again', {});
      await (await getQueue()).add('cleanup', {});
      await (await getQueue('audit')).add('record', {});
      await createQueue('inline').add('now', {});
    }
    """
    assert produced(tmp_path, {"src/queues.ts": QUEUES, "src/use.ts": uses}) == {
        ("src/use.ts", 4, "mail", "welcome"),
        ("src/use.ts", 5, "reports", "render"),
        ("src/use.ts", 7, "reports", "render-again"),
        ("src/use.ts", 8, "default", "cleanup"),  # the parameter's default
        ("src/use.ts", 9, "audit", "record"),
        ("src/use.ts", 10, "inline", "now"),
    }


def test_a_factory_layered_over_another_and_constants_holding_its_queues(tmp_path: Path) -> None:
    files = {
        "src/queues.ts": QUEUES,
        "src/billing/queue.ts": "import { createQueue } from '../queues';\n"
                                "export const makeBillingQueue = () => createQueue('billing');\n"
                                "export const billing = makeBillingQueue();\n",
        "src/billing/charge.ts": "import { billing } from './queue';\nexport const charge = () => billing.add('charge', {});\n",
    }
    assert produced(tmp_path, files) == {("src/billing/charge.ts", 2, "billing", "charge")}


def test_an_object_that_is_not_a_queue_is_no_producer(tmp_path: Path) -> None:
    files = {
        "src/queues.ts": QUEUES,
        "src/cart.ts": "export function makeCart() { return new Set<string>(); }\n"
                       "export const defaultName = () => 'x';\n",
        "src/use.ts": "import { makeCart, defaultName } from './cart';\nimport { mailQueue } from './queues';\n"
                      "makeCart().add('item');\nconst c = makeCart();\nc.add(defaultName());\n",
    }
    assert produced(tmp_path, files) == set()


def test_a_queue_name_chosen_by_the_environment_is_the_one_with_nothing_set(tmp_path: Path) -> None:
    files = {
        "src/producer.ts": """
        import { Queue } from 'bullmq';
        const prefix = process.env.PREFIX ?? 'app';
        const q = new Queue(`${prefix}-mail`);
        const r = new Queue(process.env.REPORTS_QUEUE || 'reports');
        const s = new Queue(process.env.NODE_ENV === 'test' ? 'sync-test' : 'sync');
        const t = new Queue(!process.env.SHARDED ? 'plain' : 'sharded');
        q.add('welcome', {}); r.add('render', {}); s.add('pull', {}); t.add('go', {});
        """,
    }
    assert {(queue, job) for _, _, queue, job in produced(tmp_path, files)} == {
        ("app-mail", "welcome"), ("reports", "render"), ("sync", "pull"), ("plain", "go")}


def test_a_name_function_gives_producer_and_worker_the_same_queue(tmp_path: Path) -> None:
    files = {
        "src/queues.ts": QUEUES,
        "src/worker.ts": """
        import { Worker } from 'bullmq';
        import { queueName } from './queues';
        new Worker(queueName('mail'), async (job) => {
          switch (job.name) {
            case 'welcome': return;
            default: throw new Error(`unknown ${job.name}`);
          }
        });
        """,
        "src/use.ts": "import { mailQueue } from './queues';\nmailQueue.add('welcome', {});\nmailQueue.add('welcom', {});\n",
    }
    diagnostics = run(tmp_path, files)
    assert found(tmp_path, diagnostics) == {("src/use.ts", 3, "QL102")}
    assert "did you mean 'welcome'" in diagnostics[0].hint


WORKER = """
import { Worker } from 'bullmq';
new Worker('mail', async (job) => {
  if (job.name === 'welcome') return;
  throw new Error('unknown job');
});
"""
PRODUCER = "import { Queue } from 'bullmq';\nnew Queue('mail').add('digest', {});\n"
WELCOME = "import { Queue } from 'bullmq';\nnew Queue('mail').add('welcome', {});\n"


def test_a_worker_in_test_code_does_not_serve_production_producers(tmp_path: Path) -> None:
    files = {"src/mail.ts": PRODUCER, "src/__tests__/mail.test.ts": WORKER.replace("'welcome'", "'digest'")}
    diagnostics = run(tmp_path, files)
    assert found(tmp_path, diagnostics) == {("src/mail.ts", 2, "QL105")}  # nothing in production consumes it


def test_a_producer_in_test_code_is_checked_against_production_workers(tmp_path: Path) -> None:
    files = {"src/worker.ts": WORKER, "src/welcome.ts": WELCOME, "tests/mail.spec.ts": PRODUCER}
    assert found(tmp_path, run(tmp_path, files)) == {("tests/mail.spec.ts", 2, "QL102")}


def test_a_worker_whose_queue_is_not_known_closes_absence_claims(tmp_path: Path) -> None:
    helper = "import { Worker } from 'bullmq';\nexport const startWorker = (name: string, fn: any) => new Worker(name, fn);\n"
    files = {"src/worker.ts": WORKER, "src/welcome.ts": WELCOME, "src/helper.ts": helper, "src/mail.ts": PRODUCER,
             "src/other.ts": "import { Queue } from 'bullmq';\nnew Queue('audit').add('record', {});\n"}
    # 'digest' may be handled by the helper's worker, and 'audit' consumed by it: no claim.
    assert found(tmp_path, run(tmp_path, files)) == set()
    del files["src/helper.ts"]
    (tmp_path / "src/helper.ts").unlink()
    assert found(tmp_path, run(tmp_path, files)) == {("src/mail.ts", 2, "QL102"), ("src/other.ts", 2, "QL105")}


MANAGER = """
import { Worker, Processor } from 'bullmq';
export class WorkerManager {
  private static workers: Record<string, Worker> = {};
  private static instrument(processor: Processor, name: string): Processor { return async (job) => processor(job); }
  static register(queueName: string, processor: Processor, options = {}) {
    WorkerManager.workers[queueName] = new Worker(queueName, WorkerManager.instrument(processor, queueName), options);
  }
}
export function startWorker(queue: { name: string }, fn: Processor) { return new Worker(queue.name, fn); }
"""
MAIL_PROCESSOR = """
import { Job } from 'bullmq';
export const mailProcessor = async (job: Job) => {
  switch (job.name) {
    case 'welcome': return send(job.data);
    default: throw new Error(`unknown ${job.name}`);
  }
};
"""


def test_registration_helpers_are_workers_at_their_calls_with_the_processor_passed(tmp_path: Path) -> None:
    files = {
        "src/manager.ts": MANAGER,
        "src/jobs/mail.ts": MAIL_PROCESSOR,
        "src/main.ts": """
        import { Queue } from 'bullmq';
        import { WorkerManager, startWorker } from './manager';
        import { mailProcessor } from './jobs/mail';
        const audit = new Queue('audit');
        WorkerManager.register('mail', mailProcessor);
        startWorker(audit, async (job) => record(job.data));
        """,
        "src/send.ts": "import { Queue } from 'bullmq';\nconst mail = new Queue('mail');\n"
                       "mail.add('welcome', {});\nmail.add('digest', {});\nnew Queue('audit').add('entry', {});\n",
    }
    diagnostics = run(tmp_path, files)
    # 'digest' is checked against the routes of the processor the helper was given; 'audit'
    # is consumed by the worker `startWorker` builds from the queue object passed in.
    assert found(tmp_path, diagnostics) == {("src/send.ts", 4, "QL102")}
    assert "its consumers handle 'welcome'" in diagnostics[0].message


def test_a_helper_consuming_through_a_queue_getter(tmp_path: Path) -> None:
    files = {
        "src/queues.ts": "import Bull from 'bull';\nconst made: Record<string, Bull.Queue> = {};\n"
                         "export function getQueue(name: string) { if (!made[name]) made[name] = new Bull(name); return made[name]; }\n",
        "src/register.ts": "import { getQueue } from './queues';\n"
                           "export function registerQueue(name: string, fn: any) { getQueue(name).process(fn); }\n",
        "src/boot.ts": "import { registerQueue } from './register';\nregisterQueue('thumbnails', async (job) => resize(job));\n",
        "src/upload.ts": "import { getQueue } from './queues';\nexport const upload = () => getQueue('thumbnails').add({});\n"
                         "export const other = () => getQueue('exports').add({});\n",
    }
    # 'thumbnails' is consumed through the helper; 'exports' is not consumed by anything.
    assert found(tmp_path, run(tmp_path, files)) == {("src/upload.ts", 3, "QL105")}


CELERY_UTILS = """
from celery import shared_task

retryable_task = shared_task(bind=True, autoretry_for=(IOError,), max_retries=3)
plain = shared_task


def io_task(**options):
    return shared_task(queue="io", **options)


@plain
def cleanup():
    pass
"""


def test_in_house_celery_decorators_aliases_and_factories_register_tasks(tmp_path: Path) -> None:
    files = {
        "app/__init__.py": "",
        "app/celery_utils.py": CELERY_UTILS,
        "app/tasks.py": "from app.celery_utils import retryable_task, io_task\n\n\n"
                        "@retryable_task\ndef send_mail(self, to):\n    pass\n\n\n"
                        "@io_task(name='app.resize')\ndef resize(path):\n    pass\n",
        "app/views.py": "from celery import current_app\nfrom app.tasks import send_mail, resize\n"
                        "from app.celery_utils import cleanup\n\n\ndef view():\n"
                        "    send_mail.delay('x')\n    resize.delay('p')\n    cleanup.delay()\n"
                        "    current_app.send_task('app.tasks.send_mial')\n    current_app.send_task('app.resize')\n",
    }
    assert produced(tmp_path, files) >= {("app/views.py", 7, "celery", "app.tasks.send_mail"),
                                         ("app/views.py", 8, "celery", "app.resize"),
                                         ("app/views.py", 9, "celery", "app.celery_utils.cleanup")}
    diagnostics = run(tmp_path, files)
    assert found(tmp_path, diagnostics) == {("app/views.py", 10, "QL102")}
    assert "did you mean 'app.tasks.send_mail'" in diagnostics[0].hint


def test_modules_using_in_house_task_decorators_and_nothing_else_are_read(tmp_path: Path) -> None:
    # A class whose instances decorate (`__call__` returns what `shared_task` makes of the
    # function) and a factory: the modules using them name nothing else of Celery, so only
    # the decorators tell that their functions are tasks.
    files = {
        "hub/__init__.py": "",
        "hub/decorators.py": "from functools import wraps\n\nfrom celery import shared_task\n\n\n"
                             "class durable_task:\n    def __init__(self, **options):\n        self.options = options\n\n"
                             "    def __call__(self, fn):\n        @wraps(fn)\n        def run(*args, **kwargs):\n"
                             "            return fn(*args, **kwargs)\n        task = shared_task(**self.options)(run)\n"
                             "        return task\n\n\n"
                             "def quick_task(**options):\n    return shared_task(**options)\n",
        "hub/ingest.py": "from hub.decorators import durable_task\n\n\n"
                         "@durable_task(name='ingest-log', max_retries=3)\ndef ingest(log_id):\n    pass\n",
        "hub/thumbs.py": "from hub.decorators import quick_task\n\n\n"
                         "@quick_task(name='thumbs.make')\ndef make(image_id):\n    pass\n",
        "hub/views.py": "from celery import current_app\n\nfrom hub.ingest import ingest\nfrom hub.thumbs import make\n\n\n"
                        "def upload(log_id):\n    ingest.apply_async(args=[log_id], queue='logs')\n    make.delay(1)\n"
                        "    current_app.send_task('thumbs.mkae')\n",
    }
    assert found(tmp_path, run(tmp_path, files)) == {("hub/views.py", 10, "QL102")}


def test_a_dramatiq_decorator_factory_sets_the_queue_of_its_actors(tmp_path: Path) -> None:
    files = {
        "jobs.py": "import dramatiq\n\n\ndef io_actor(**options):\n    return dramatiq.actor(queue_name='io', **options)\n\n\n"
                   "@io_actor(max_retries=3)\ndef fetch(url):\n    pass\n\n\ndef go():\n    fetch.send('u')\n",
    }
    assert produced(tmp_path, files) == {("jobs.py", 14, "io", "fetch")}


def test_a_decorator_factory_registering_a_wrapper_of_the_function_in_an_inner_decorator(tmp_path: Path) -> None:
    # `actor(wrapped, queue_name=queue_name)` inside `def decorator(fn)`: the use site's
    # `queue_name` names the queue; where it gives none, the factory chooses, and that is
    # listed as not followed rather than guessed.
    jobs = """
import functools
from dramatiq import actor as register

def background(actor_name=None, queue_name=None, urgent=False):
    if queue_name is None:
        queue_name = "urgent" if urgent else "slow"

    def decorator(fn):
        @functools.wraps(fn)
        def wrapped(*args):
            return fn(*args)

        register(wrapped, actor_name=actor_name, queue_name=queue_name)
        return wrapped

    return decorator

@background(actor_name="invoice.render", queue_name="billing")
def render(invoice_id):
    pass

@background(actor_name="invoice.remind", urgent=True)
def remind(invoice_id):
    pass

def go():
    render.send(1)
    remind.send(2)
"""
    assert produced(tmp_path, {"jobs.py": jobs}) == {("jobs.py", 28, "billing", "invoice.render")}
    result = engine.analyse([str(tmp_path)], Settings(root=str(tmp_path)), jobs=1)
    assert result.graph is not None
    assert {span.line for span, what in result.graph.unresolved if "`@background(…)` chooses" in what} == {24, 29}


def test_a_decorator_imported_from_the_project_that_is_no_task_decorator_makes_no_task(tmp_path: Path) -> None:
    files = {
        "app/__init__.py": "",
        "app/auth.py": "def login_required(fn):\n    return fn\n",
        "app/celery.py": "from celery import Celery\napp = Celery('app')\n",
        "app/views.py": "from app.auth import login_required\nfrom app.celery import app\n\n\n"
                        "@login_required\ndef index(request):\n    app.send_task('app.views.index')\n",
    }
    write_project(tmp_path, files)
    result = engine.analyse([str(tmp_path)], Settings(root=str(tmp_path)), jobs=1)
    assert result.graph is not None and result.graph.consumers() == []


def test_rq_jobs_enqueued_by_reference_are_named_by_the_module_defining_them(tmp_path: Path) -> None:
    files = {
        "app/__init__.py": "",
        "app/jobs/__init__.py": "from app.jobs.mail import send_mail\n",
        "app/jobs/mail.py": "def send_mail(message):\n    pass\n",
        "app/views.py": "from rq import Queue\nfrom app.jobs import send_mail\n\nmail = Queue('mail')\n\n\n"
                        "def signup():\n    mail.enqueue(send_mail, {'to': 'x'})\n",
    }
    assert produced(tmp_path, files) == {("app/views.py", 8, "mail", "app.jobs.mail.send_mail")}


def test_a_getter_choosing_the_queue_by_a_parameter(tmp_path: Path) -> None:
    files = {
        "src/names.ts": "export enum QueueName { Mail = 'mail', Audit = 'audit' }\n",
        "src/queues.ts": """
        import { Queue } from 'bullmq';
        import { QueueName } from './names';
        export class MailQueue { static getInstance() { return new Queue(QueueName.Mail); } }
        export function getQueue(name: QueueName): Queue | null {
          switch (name) {
            case QueueName.Mail: return MailQueue.getInstance();
            case QueueName.Audit: return new Queue(QueueName.Audit);
            default: return null;
          }
        }
        export function shardOf(key: string): Queue { return pickShard(key); }
        """,
        "src/use.ts": "import { getQueue, shardOf } from './queues';\nimport { QueueName } from './names';\n"
                      "getQueue(QueueName.Mail)?.add('welcome', {});\ngetQueue(QueueName.Audit)?.add('entry', {});\n"
                      "shardOf('k').add('ingest', {});\n",
    }
    assert produced(tmp_path, files) == {("src/use.ts", 3, "mail", "welcome"), ("src/use.ts", 4, "audit", "entry")}
    # The sharded one is declared to return a queue: listed as not followed, not lost.
    result = engine.analyse([str(tmp_path)], Settings(root=str(tmp_path)), jobs=1)
    assert result.graph is not None
    assert any("the queue `shardOf()` returns is chosen at run time" in what for _, what in result.graph.unresolved)


def test_actors_defined_inside_functions_are_registered_apart(tmp_path: Path) -> None:
    files = {
        "tests/test_jobs.py": """
        import dramatiq


        def test_one(stub_broker):
            @dramatiq.actor
            def work():
                pass

            work.send()


        def test_two(stub_broker):
            @dramatiq.actor
            def work():
                pass

            work.send()


        def test_twice(stub_broker):
            @dramatiq.actor(actor_name="same")
            def first():
                pass

            @dramatiq.actor(actor_name="same")
            def second():
                pass

            first.send()
        """,
    }
    # Each test defines its own `work` (and sends it): one duplicate, inside `test_twice`.
    assert found(tmp_path, run(tmp_path, files)) == {("tests/test_jobs.py", 26, "QL104")}


def test_modules_with_a_broker_of_their_own_are_separate_registries(tmp_path: Path) -> None:
    program = "import dramatiq\nfrom dramatiq.brokers.redis import RedisBroker\n\ndramatiq.set_broker(RedisBroker())\n\n\n" \
              "@dramatiq.actor\ndef add(x, y):\n    return x + y\n\n\nadd.send(1, 2)\n"
    files = {"examples/basic/example.py": program, "examples/other/example.py": program,
             "app/a.py": "import dramatiq\n\n\n@dramatiq.actor\ndef ping():\n    pass\n\n\nping.send()\n",
             "app/b.py": "import dramatiq\n\n\n@dramatiq.actor\ndef ping():\n    pass\n"}
    assert found(tmp_path, run(tmp_path, files)) == {("app/b.py", 5, "QL104")}


def test_routing_in_a_processor_a_worker_factory_defines(tmp_path: Path) -> None:
    files = {"src/worker.ts": """
    import { Worker, Queue } from 'bullmq';
    export function createWorker(connection: unknown) {
      const processor = async (job: { name: string }) => {
        switch (job.name) {
          case 'resize': return resize(job);
          default: console.warn(`unknown job ${job.name}`);
        }
      };
      return new Worker('images', processor, { connection });
    }
    new Queue('images').add('crop', {});
    new Queue('images').add('resize', {});
    """}
    assert found(tmp_path, run(tmp_path, files)) == {("src/worker.ts", 7, "QL203"), ("src/worker.ts", 12, "QL102")}


def test_bull_process_with_a_concurrency_written_as_a_constant(tmp_path: Path) -> None:
    files = {
        "src/settings.ts": "export const CONCURRENCY = 4;\n",
        "src/worker.ts": """
        import Bull from 'bull';
        import { CONCURRENCY } from './settings';
        const LOCAL = 2;
        const mail = new Bull('mail');
        const audit = new Bull('audit');
        mail.process(CONCURRENCY, async (job) => send(job.data));
        audit.process(LOCAL, async (job) => record(job.data));
        mail.add({ to: 'x' });
        audit.add({ entry: 1 });
        audit.add('named', { entry: 2 });
        """,
    }
    # Both handle unnamed jobs: only the named job on 'audit' has no handler.
    assert found(tmp_path, run(tmp_path, files)) == {("src/worker.ts", 11, "QL102")}


def test_add_bulk_of_jobs_made_by_map(tmp_path: Path) -> None:
    files = {"src/sync.ts": """
    import { Queue } from 'bullmq';
    import Bull from 'bull';
    const JOB = { Sync: 'sync' } as const;
    const q = new Queue('sync');
    const legacy = new Bull('legacy');
    export const all = (ids: string[]) => q.addBulk(ids.map((id) => ({ name: JOB.Sync, data: { id } })));
    export const each = (ids: string[]) => q.addBulk(ids.map((id) => { return { name: 'sync-one', data: { id } }; }));
    export const old = (ids: string[]) => legacy.addBulk(ids.map((id) => ({ data: { id } })));
    export const built = (jobs: any[]) => q.addBulk(jobs);
    """}
    assert produced(tmp_path, files) == {("src/sync.ts", 7, "sync", "sync"), ("src/sync.ts", 8, "sync", "sync-one"),
                                         ("src/sync.ts", 9, "legacy", "__default__")}


def test_django_rq_queues_and_celery_chunks(tmp_path: Path) -> None:
    files = {
        "app/__init__.py": "",
        "app/jobs.py": "def rebuild(index):\n    pass\n",
        "app/tasks.py": "from celery import shared_task\n\n\n@shared_task\ndef resize(path):\n    pass\n",
        "app/views.py": "import django_rq\nfrom django_rq import get_queue\nfrom app.jobs import rebuild\nfrom app.tasks import resize\n\n\n"
                        "def view(paths):\n    get_queue('high').enqueue(rebuild, 'i')\n"
                        "    low = django_rq.get_queue('low')\n    low.enqueue('app.jobs.rebuild', 'j')\n"
                        "    resize.chunks(zip(paths), 10).apply_async()\n"
                        "    group(resize.map(paths), resize.signature(('a',))).apply_async()\n",
    }
    files["app/views.py"] = "from celery import group\n" + files["app/views.py"]
    assert produced(tmp_path, files) == {("app/views.py", 9, "high", "app.jobs.rebuild"),
                                         ("app/views.py", 11, "low", "app.jobs.rebuild"),
                                         ("app/views.py", 12, "celery", "app.tasks.resize"),
                                         ("app/views.py", 13, "celery", "app.tasks.resize")}


def test_queues_of_different_libraries_that_share_a_name_are_apart(tmp_path: Path) -> None:
    files = {
        "worker.py": "import dramatiq\nfrom rq import Queue\n\n\n@dramatiq.actor\ndef notify(user_id):\n    pass\n\n\n"
                     "def export(user_id):\n    pass\n\n\ndef go(redis):\n    notify.send(1)\n"
                     "    Queue('default', connection=redis).enqueue('worker.export', 1)\n",
    }
    # The RQ job on 'default' is not checked against the Dramatiq actors of 'default'.
    assert found(tmp_path, run(tmp_path, files)) == set()


def test_a_place_given_different_queues_is_no_summary(tmp_path: Path) -> None:
    files = {"src/q.ts": """
    import { Queue, Worker } from 'bullmq';
    export function queueFor(kind: string) {
      let queue;
      if (kind === 'mail') queue = new Queue('mail'); else queue = new Queue('sms');
      return queue;
    }
    new Worker('mail', async (job) => { if (job.name === 'welcome') return; throw new Error(job.name); });
    queueFor('sms').add('code', {});
    queueFor('mail').add('welcome', {});
    """}
    # Neither call is taken for 'mail': no false "no handler on queue 'mail'" for 'code'.
    assert found(tmp_path, run(tmp_path, files)) == set()


def test_nothing_is_claimed_missing_over_a_name_the_environment_chose(tmp_path: Path) -> None:
    files = {
        "src/send.ts": "import { Queue } from 'bullmq';\n"
                       "new Queue(process.env.NODE_ENV === 'production' ? 'emails' : 'emails-dev').add('send', {});\n",
        "src/worker.ts": "import { Worker } from 'bullmq';\nnew Worker('emails', async (job) => { if (job.name === 'send') return; "
                         "throw new Error(job.name); });\n",
    }
    assert found(tmp_path, run(tmp_path, files)) == set()  # 'emails-dev' where nothing is set: no QL105 on it


def test_a_worker_of_unknown_queue_closes_only_the_claims_it_could_answer(tmp_path: Path) -> None:
    files = {
        "src/mail.ts": "import { Queue, Worker } from 'bullmq';\nconst mail = new Queue('mail');\nmail.add('welcom', {});\n"
                       "new Worker('mail', async (job) => { if (job.name === 'welcome') return; throw new Error(job.name); });\n",
        "src/reports.ts": "import { Worker } from 'bullmq';\nnew Worker(process.env.REPORTS_QUEUE!, async (job) => {\n"
                          "  if (job.name === 'daily') return;\n  throw new Error(job.name);\n});\n",
    }
    # The reports worker, whatever its queue, handles only 'daily': it cannot be the one for 'welcom'.
    assert ("src/mail.ts", 3, "QL102") in found(tmp_path, run(tmp_path, files))


def test_unknown_queue_says_when_its_only_workers_are_in_test_code(tmp_path: Path) -> None:
    files = {"src/producer.ts": "import { Queue } from 'bullmq';\nnew Queue('emails').add('send', {});\n",
             "tests/worker.test.ts": "import { Worker } from 'bullmq';\nnew Worker('emails', async () => {});\n"}
    (diagnostic,) = run(tmp_path, files)
    assert diagnostic.code == "QL105" and "its only workers are in test code" in diagnostic.message
    assert "did you mean" not in diagnostic.hint and diagnostic.related


def test_the_processor_a_helper_passes_on_is_not_taken_for_its_queue(tmp_path: Path) -> None:
    files = {
        "src/helpers.ts": "import { Worker } from 'bullmq';\nconst withMetrics = (name: string, fn: any) => fn;\n"
                          "export function startWorker(queue: string, processor: any) {\n"
                          "  return new Worker(queue, withMetrics(queue, processor));\n}\n",
        "src/jobs.ts": "export const mail = async (job: any) => {\n  switch (job.name) {\n    case 'welcome': return;\n"
                       "    default: throw new Error(job.name);\n  }\n};\n",
        "src/main.ts": "import { startWorker } from './helpers';\nimport { mail } from './jobs';\nstartWorker('mail', mail);\n",
        "src/send.ts": "import { Queue } from 'bullmq';\nconst q = new Queue('mail');\nq.add('welcome', {});\nq.add('welcom', {});\n",
    }
    assert found(tmp_path, run(tmp_path, files)) == {("src/send.ts", 4, "QL102")}


def test_a_processor_written_out_at_a_registration_helper_s_call_is_read_there(tmp_path: Path) -> None:
    helper = """
import { Worker, Job } from 'bullmq';
export function startWorker(queue: string, processor: (job: Job) => Promise<unknown>) {
  return new Worker(queue, processor, { connection: {} });
}
"""
    registered = """
import { startWorker } from './helper';
startWorker('billing', async (job) => {
  if (job.name === 'invoice') return renderInvoice(job.data);
  if (job.name === 'refund') {
    try { await refund(job.data); } catch (error) { console.error(error); }
    return;
  }
  throw new Error(`unknown job ${job.name}`);
});
declare function renderInvoice(data: unknown): Promise<void>;
declare function refund(data: unknown): Promise<void>;
"""
    producer = """
import { Queue } from 'bullmq';
const billing = new Queue('billing');
export const bill = () => billing.add('invoce', {});
export const refund = () => billing.add('refund', {});
"""
    diagnostics = run(tmp_path, {"src/helper.ts": helper, "src/billing.worker.ts": registered, "src/billing.ts": producer})
    assert found(tmp_path, diagnostics) == {
        ("src/billing.ts", 4, "QL102"),  # 'invoce': the names the inline processor routes on are known
        ("src/billing.worker.ts", 4, "QL103"),  # 'invoice' handled, nothing produces it
        ("src/billing.worker.ts", 6, "QL202"),  # the refund's error swallowed
    }


def test_actors_of_an_in_house_dramatiq_decorator_imported_from_another_module(tmp_path: Path) -> None:
    # The decorator registers a wrapper of the function in an inner decorator; the modules using
    # it name no queue library, nor do the modules sending their actors.
    worker = """
import functools
import dramatiq

def background(actor_name=None, queue_name="slow", **options):
    def decorator(fn):
        @functools.wraps(fn)
        def wrapped(*args):
            return fn(*args)

        dramatiq.actor(wrapped, actor_name=actor_name, queue_name=queue_name, **options)
        return wrapped

    return decorator
"""
    tasks = """
from app.worker import background

@background(actor_name="invoice.render", queue_name="billing")
def render(invoice_id):
    pass

@background(actor_name="invoice.archive")
def archive(invoice_id):
    pass
"""
    views = """
from app.tasks import render, archive

def close(invoice_id):
    render.send(invoice_id)
    archive.send(invoice_id)
"""
    files = {"app/__init__.py": "", "app/worker.py": worker, "app/tasks.py": tasks, "app/views.py": views}
    # The second names no queue: the factory's default for the parameter it passes on.
    assert produced(tmp_path, files) == {("app/views.py", 5, "billing", "invoice.render"),
                                         ("app/views.py", 6, "slow", "invoice.archive")}
    result = engine.analyse([str(tmp_path)], Settings(root=str(tmp_path)), jobs=1)
    assert result.graph is not None
    assert {(s.queue.value, s.routes[0][1].value) for s in result.graph.consumer_sites} == {
        ("billing", "invoice.render"), ("slow", "invoice.archive")}
    assert run(tmp_path) == []


def test_a_bull_worker_on_an_object_not_followed_keeps_absence_claims_closed(tmp_path: Path) -> None:
    # `const { queue } = new Media()`: not followed, so `queue.process(…)` is a worker of a
    # queue not known here; 'media' is not claimed to have no consumer, and the site is listed.
    media = """
import Bull from 'bull';
export class Media {
  readonly queue = new Bull('media');
  resize(id: string) { return this.queue.add('resize', { id }); }
}
"""
    worker = """
import { Job } from 'bull';
import { Media } from './media';
const { queue } = new Media();
queue.process('resize', async (job: Job) => job.data);
"""
    diagnostics = run(tmp_path, {"src/media.ts": media, "src/worker.ts": worker})
    assert found(tmp_path, diagnostics) == set()
    write_project(tmp_path, {})
    result = engine.analyse([str(tmp_path)], Settings(root=str(tmp_path)), jobs=1)
    assert result.graph is not None
    assert any(Path(span.path).name == "worker.ts" and "not known to be a queue" in what
               for span, what in result.graph.unresolved)


def test_functions_given_a_queue_declared_as_the_library_s_queue(tmp_path: Path) -> None:
    queue = """
import Bull from 'bull';
export const images = new Bull('images');
"""
    handlers = """
import type { Job, Queue } from 'bull';
async function resize(job: Job) { return job.data; }
export function registerImageHandlers(queue: Queue<{ key: string }>) {
  queue.process('resize', 4, resize);
}
export function registerLegacyHandlers(q: Queue) {
  q.process('resize', resize);
}
export function enqueueResize(target: Queue, key: string) {
  return target.add('resize', { key });
}
export function enqueueCrop(target: Queue, key: string) {
  return target.add('crop', { key });
}
"""
    worker = """
import { images } from './queue';
import { registerImageHandlers, registerLegacyHandlers, enqueueResize, enqueueCrop } from './handlers';
registerImageHandlers(images);
registerLegacyHandlers(images);
export const go = () => Promise.all([enqueueResize(images, 'a'), enqueueCrop(images, 'b')]);
"""
    diagnostics = run(tmp_path, {"src/queue.ts": queue, "src/handlers.ts": handlers, "src/worker.ts": worker})
    assert found(tmp_path, diagnostics) == {
        ("src/handlers.ts", 8, "QL104"),  # 'resize' registered twice on the queue both helpers are given
        ("src/handlers.ts", 14, "QL102"),  # 'crop' has no handler on 'images'
    }


def test_an_in_house_actor_decorator_taking_the_queue_under_a_name_of_its_own(tmp_path: Path) -> None:
    base = """
import functools
import dramatiq

def job(queue="default", retries=3, **options):
    def decorator(fn):
        @functools.wraps(fn)
        def timed(*args):
            return fn(*args)

        return dramatiq.actor(timed, actor_name=fn.__name__, queue_name=queue, max_retries=retries, **options)

    return decorator
"""
    tasks = """
import logging
from app.base import job

@job(queue="media", retries=5)
def transcode(asset_id):
    pass

@job(retries=8)
def notify(asset_id):
    try:
        post(asset_id)
    except Exception:
        logging.exception("could not notify")

def post(asset_id):
    pass
"""
    api = "from app.tasks import transcode, notify\n\ndef upload(asset_id):\n    transcode.send(asset_id)\n    notify.send(asset_id)\n"
    files = {"app/__init__.py": "", "app/base.py": base, "app/tasks.py": tasks, "app/api.py": api}
    assert produced(tmp_path, files) == {("app/api.py", 4, "media", "transcode"), ("app/api.py", 5, "default", "notify")}
    assert found(tmp_path, run(tmp_path)) == {("app/tasks.py", 13, "QL202")}


def test_an_actor_factory_choosing_the_queue_by_another_of_its_parameters(tmp_path: Path) -> None:
    """`if lane is None: match urgency: …` (or an `if` chain): the queue of each use site is
    the case its own `urgency=` takes, else the one its default takes; a name passed on under
    a keyword of the factory's own is the actor's name."""
    kinds = """
from enum import IntEnum, StrEnum

class Urgency(IntEnum):
    NOW = 0
    SOON = 5
    LATER = 9

class Lane(StrEnum):
    FAST = "fast-lane"
    NORMAL = "normal-lane"
    SLOW = "slow-lane"
"""
    worker = """
import dramatiq
from app.kinds import Lane, Urgency

def job(name=None, lane=None, urgency=Urgency.LATER, **options):
    if lane is None:
        match urgency:
            case Urgency.NOW:
                lane = Lane.FAST
            case Urgency.SOON:
                lane = Lane.NORMAL
            case _:
                lane = Lane.SLOW

    def decorator(fn):
        dramatiq.actor(fn, actor_name=name, queue_name=lane, **options)
        return fn

    return decorator

def chore(level="low", queue_name=None):
    if queue_name is None:
        if level == "high":
            queue_name = "chores-high"
        elif level == "mid":
            queue_name = "chores-mid"

    def decorator(fn):
        dramatiq.actor(fn, queue_name=queue_name)
        return fn

    return decorator

def odd(queue_name=None, level="x"):
    if queue_name is None:
        queue_name = pick(level)

    def decorator(fn):
        dramatiq.actor(fn, queue_name=queue_name)
        return fn

    return decorator

@job(name="local.ping", urgency=Urgency.NOW)
def ping():
    pass
"""
    tasks = """
from app.kinds import Lane, Urgency
from app.worker import chore, job, odd

@job(name="mail.send", urgency=Urgency.NOW)
def send():
    pass

@job(name="mail.digest", urgency=Urgency.SOON)
def digest():
    pass

@job(name="mail.cleanup")
def cleanup():
    pass

@job(name="mail.pinned", lane=Lane.NORMAL, urgency=Urgency.NOW)
def pinned():
    pass

@chore(level="high")
def sweep():
    pass

@chore()
def tidy():
    pass

@odd(level="y")
def strange():
    pass
"""
    views = """
from app.tasks import cleanup, digest, pinned, send, strange, sweep, tidy
from app.worker import ping

def go():
    send.send()
    digest.send()
    cleanup.send()
    pinned.send()
    sweep.send()
    ping.send()
    tidy.send()
    strange.send()
"""
    files = {"app/__init__.py": "", "app/kinds.py": kinds, "app/worker.py": worker, "app/tasks.py": tasks,
             "app/views.py": views}
    assert produced(tmp_path, files) == {
        ("app/views.py", 6, "fast-lane", "mail.send"), ("app/views.py", 7, "normal-lane", "mail.digest"),
        ("app/views.py", 8, "slow-lane", "mail.cleanup"),  # `case _:` for the default urgency
        ("app/views.py", 9, "normal-lane", "mail.pinned"),  # the lane given wins
        ("app/views.py", 10, "chores-high", "sweep"), ("app/views.py", 11, "fast-lane", "local.ping"),
    }
    result = engine.analyse([str(tmp_path)], Settings(root=str(tmp_path)), jobs=1)
    assert result.graph is not None
    unknown = {s.routes[0][1].value for s in result.graph.consumer_sites if not s.queue.is_value}
    assert unknown == {"tidy", "strange"}  # no case taken; a queue made by a call not followed
    assert run(tmp_path) == []


def test_tasks_a_factory_names_from_its_parameter_are_named_at_each_call(tmp_path: Path) -> None:
    """`@app.task(name=f"reports.{kind}")` inside `make_report_task(kind)`: one task per call,
    named by the call's argument, so a name no call gives is not registered; a factory no
    one calls leaves its task's name open, and no absence is claimed over it."""
    app = "from celery import Celery\n\napp = Celery('shop')\n"
    reports = """
from shop.celery_app import app

def make_report_task(kind):
    @app.task(name=f"reports.{kind}")
    def build(report_id):
        return report_id

    return build

def make_sync_task(target, queue="sync"):
    @app.task(name=target, queue=queue)
    def push(item_id):
        return item_id

    return push

csv_report = make_report_task("csv")
xlsx_report = make_report_task("xlsx")
crm_sync = make_sync_task("sync.crm")
"""
    views = """
from shop.celery_app import app

def export(report_id):
    app.send_task("reports.csv", args=[report_id])
    app.send_task("reports.pdf", args=[report_id])
    app.send_task("sync.crm", args=[report_id], queue="sync")
    app.send_task("sync.erp", args=[report_id], queue="sync")
"""
    files = {"shop/__init__.py": "", "shop/celery_app.py": app, "shop/reports.py": reports,
             "shop/views.py": views}
    write_project(tmp_path, files)
    result = engine.analyse([str(tmp_path)], Settings(root=str(tmp_path)), jobs=1)
    assert result.graph is not None
    assert {(Path(s.path).name, s.routes[0][0].span.line, s.queue.value, s.routes[0][1].value)
            for s in result.graph.consumer_sites} == {
        ("reports.py", 18, "celery", "reports.csv"), ("reports.py", 19, "celery", "reports.xlsx"),
        ("reports.py", 20, "celery", "sync.crm")}  # each at the argument that names it; one registry
    assert found(tmp_path, run(tmp_path)) == {("shop/views.py", 6, "QL102"), ("shop/views.py", 8, "QL102")}

    # The same factories, never called: their tasks' names are not known, nothing is claimed.
    uncalled = reports.split("csv_report")[0]
    write_project(tmp_path, {**files, "shop/reports.py": uncalled})
    assert found(tmp_path, run(tmp_path)) == set()


def test_a_worker_factory_routing_on_the_name_its_caller_gives(tmp_path: Path) -> None:
    """`makeWorker(jobName)` whose processor handles `job.name === jobName` and throws on
    anything else: each call is a worker of the name it passes."""
    workers = """
import { Worker, Queue } from 'bullmq';
export function makeWorker(jobName: string) {
  return new Worker('sync', async (job) => {
    if (job.name === jobName) { return 1; }
    throw new Error(`unknown ${job.name}`);
  });
}
export const crm = makeWorker('sync-crm');
const queue = new Queue('sync');
export const go = () => Promise.all([queue.add('sync-crm', {}), queue.add('sync-erp', {})]);
"""
    write_project(tmp_path, {"src/workers.ts": workers})
    assert found(tmp_path, run(tmp_path)) == {("src/workers.ts", 11, "QL102")}  # 'sync-erp' only
    # Nothing calls the factory: what it handles is not known, and nothing is claimed.
    write_project(tmp_path, {"src/workers.ts": workers.replace("export const crm = makeWorker('sync-crm');", "")})
    assert found(tmp_path, run(tmp_path)) == set()


def test_a_name_read_off_an_object_the_caller_passes(tmp_path: Path) -> None:
    """`enqueue(spec)` adding `spec.name`, `startWorker(spec)` making `new Worker(spec.name, …)`,
    called with `QUEUE_SPECS.repoIndex` (an object literal of the project's), directly or
    through a function that hands the object on: its `name`."""
    specs = """
export const QUEUE_SPECS = {
  repoIndex: { name: 'repo-index', attempts: 3 },
  prune: { name: 'attachment-prune', attempts: 1 },
} as const;
"""
    client = """
import { Queue, Worker } from 'bullmq';
type Spec = { name: string };
const shared = new Queue('repo-index');
export function enqueue(spec: Spec, data: object) { return shared.add(spec.name, data); }
export function startWorker(spec: Spec) {
  return new Worker(spec.name, async (job) => { if (job.name === 'repo-index') return; throw new Error(job.name); });
}
"""
    use = """
import { enqueue, startWorker } from './client';
import { QUEUE_SPECS } from './specs';
export const go = () => enqueue(QUEUE_SPECS.repoIndex, {});
export const other = () => enqueue(QUEUE_SPECS.prune, {});
startWorker(QUEUE_SPECS.repoIndex);
"""
    files = {"src/specs.ts": specs, "src/client.ts": client, "src/use.ts": use}
    assert produced(tmp_path, files) == {("src/use.ts", 4, "repo-index", "repo-index"),
                                         ("src/use.ts", 5, "repo-index", "attachment-prune")}
    assert found(tmp_path, run(tmp_path)) == {("src/use.ts", 5, "QL102")}

    # Handed on whole through another layer (`trigger(spec)` calling `enqueue(spec, …)`).
    layered = client + """
export function trigger(spec: Spec) { return enqueue(spec, {}); }
export function boot(spec: Spec) { return startWorker(spec); }
"""
    calls = use.replace("enqueue(", "trigger(").replace("startWorker(", "boot(").replace(
        "import { enqueue, startWorker }", "import { trigger, boot }")
    files = {"src/specs.ts": specs, "src/client.ts": layered, "src/use.ts": calls}
    assert produced(tmp_path, files) == {("src/use.ts", 4, "repo-index", "repo-index"),
                                         ("src/use.ts", 5, "repo-index", "attachment-prune")}
    assert found(tmp_path, run(tmp_path)) == {("src/use.ts", 5, "QL102")}


def test_an_object_handed_through_layers_to_a_memoised_getter(tmp_path: Path) -> None:
    """`jobs.trigger(QUEUE_SPECS.repoIndex)` on a parameter declared `jobs: JobManager`, whose
    `trigger(spec)` calls `this.client.enqueue(spec)`, which adds on `this.getQueue(spec)`: a
    queue memoised in a `Map` under `spec.name` (`let queue = …get(n); if (!queue) queue = new
    Queue(n)`, the `queue` of that method only). The queue and the name are the object's."""
    specs = "export const QUEUE_SPECS = { repoIndex: { name: 'repo-index' }, prune: { name: 'prune' } } as const;\n"
    client = """
import { Queue } from 'bullmq';
type Spec = { name: string };
export class Client {
  private readonly queues = new Map<string, Queue>();
  getQueue(spec: Spec): Queue {
    const queueName = spec.name;
    let queue = this.queues.get(queueName);
    if (!queue) { queue = new Queue(queueName); this.queues.set(queueName, queue); }
    return queue;
  }
  async enqueue(spec: Spec, data: object) {
    const queue = this.getQueue(spec);
    return queue.add(spec.name, data);
  }
}
"""
    manager = """
import { Client } from './client';
type Spec = { name: string };
export class JobManager {
  constructor(private readonly client: Client) {}
  trigger(spec: Spec, data: object) { return this.client.enqueue(spec, data); }
}
"""
    use = """
import { JobManager } from './manager';
import { QUEUE_SPECS } from './specs';
export const go = (jobs: JobManager) => jobs.trigger(QUEUE_SPECS.repoIndex, {});
export const tidy = (jobs: JobManager) => jobs.trigger(QUEUE_SPECS.prune, {});
"""
    files = {"src/specs.ts": specs, "src/client.ts": client, "src/manager.ts": manager, "src/use.ts": use}
    assert produced(tmp_path, files) == {("src/use.ts", 4, "repo-index", "repo-index"),
                                         ("src/use.ts", 5, "prune", "prune")}


ARQ_POOLS = """
from arq import create_pool
from arq.connections import RedisSettings

_reports = None


async def reports_pool():
    global _reports
    if _reports is None:
        _reports = await create_pool(RedisSettings(), default_queue_name="reports")
    return _reports


async def fresh_pool():
    return await create_pool(RedisSettings())


class Pools:
    main = None

    @classmethod
    async def start(cls):
        cls.main = await create_pool(RedisSettings())
"""
ARQ_WORKERS = """
async def send_mail(ctx, user_id): ...
async def build_report(ctx): ...
async def prune(ctx): ...

class WorkerSettings:
    functions = [send_mail, prune]

class ReportWorker:
    functions = [build_report]
    queue_name = "reports"
"""


def test_arq_pools_followed_from_files_that_do_not_import_arq(tmp_path: Path) -> None:
    # Every way the object reaches the call: a getter's result held in a local, a FastAPI
    # dependency, a class attribute set by a classmethod, a module variable declared with its
    # type in a directory without `__init__.py`, and a getter called inline.
    state = """
from typing import Optional
from arq.connections import ArqRedis

pool: Optional[ArqRedis] = None
"""
    routes = """
from fastapi import Depends
from app.core import state
from app.pools import Pools, fresh_pool, reports_pool


async def report():
    pool = await reports_pool()
    await pool.enqueue_job("build_report")


async def urgent(pool=Depends(reports_pool)):
    await pool.enqueue_job("build_report", _queue_name="urgent")


async def tidy():
    await Pools.main.enqueue_job("prune")


async def welcome(user_id):
    await state.pool.enqueue_job("send_mail", user_id)
    await (await fresh_pool()).enqueue_job("send_mail", user_id)
"""
    files = {"app/__init__.py": "", "app/pools.py": ARQ_POOLS, "app/workers.py": ARQ_WORKERS,
             "app/core/state.py": state, "app/api/routes.py": routes}
    assert produced(tmp_path, files) == {
        ("app/api/routes.py", 9, "reports", "build_report"),
        ("app/api/routes.py", 13, "urgent", "build_report"),
        ("app/api/routes.py", 17, "arq:queue", "prune"),
        ("app/api/routes.py", 21, "arq:queue", "send_mail"),
        ("app/api/routes.py", 22, "arq:queue", "send_mail"),
    }


def test_an_arq_pool_known_by_its_type_alone_claims_no_absence(tmp_path: Path) -> None:
    # `state.pool` is declared `ArqRedis` but made elsewhere, perhaps with another default
    # queue: a misspelt name on it is not reported; on a pool made in the project it is.
    state = """
from arq.connections import ArqRedis

pool: "ArqRedis | None" = None
"""
    calls = """
from app import state
from app.pools import fresh_pool


async def go():
    await state.pool.enqueue_job("send_mial", 1)
    pool = await fresh_pool()
    await pool.enqueue_job("prnue")
"""
    diagnostics = run(tmp_path, {"app/__init__.py": "", "app/pools.py": ARQ_POOLS, "app/workers.py": ARQ_WORKERS,
                                 "app/state.py": state, "app/calls.py": calls})
    assert {(path, line, code) for path, line, code in found(tmp_path, diagnostics)
            if code in ("QL102", "QL105")} == {("app/calls.py", 9, "QL102")}


def test_enqueue_job_on_objects_the_code_does_not_say_are_arq_pools(tmp_path: Path) -> None:
    # A project's own client, a function returning something else, a parameter: none is
    # arq's; the ones the analysis tried to follow are listed, and nothing is reported.
    client = """
class Client:
    async def enqueue_job(self, name, *args): ...

client = Client()


def get_client():
    return client
"""
    calls = """
from app.client import client, get_client


async def go(thing):
    await client.enqueue_job("send_mail")
    await get_client().enqueue_job("send_mail")
    await thing.enqueue_job("send_mail")
"""
    files = {"app/__init__.py": "", "app/client.py": client, "app/calls.py": calls, "app/workers.py": ARQ_WORKERS}
    write_project(tmp_path, files)
    result = engine.analyse([str(tmp_path)], Settings(root=str(tmp_path)), jobs=1)
    assert result.graph is not None and not result.internal_errors
    assert [s for s in result.graph.producers() if s.path.endswith("calls.py")] == []
    listed = {span.line for span, _ in result.graph.unresolved if span.path.endswith("calls.py")}
    assert listed == {6, 7, 8}
    assert [d for d in result.diagnostics if d.code in ("QL102", "QL301")] == []


def test_rq_queues_defined_in_one_module_and_used_in_others(tmp_path: Path) -> None:
    queues = """
from redis import Redis
from rq import Queue

redis = Redis()
high = Queue("high", connection=redis)


class Queues:
    low = Queue("low", connection=redis)
"""
    views = """
import django_rq
from app import queues
from app.queues import Queues, high
from app.jobs import resize


def go(image_id, other):
    high.enqueue(resize, image_id)
    queues.high.enqueue(resize, image_id)
    Queues.low.enqueue_in(60, resize, image_id)
    django_rq.enqueue(resize, image_id)
    other.enqueue(resize, image_id)
"""
    files = {"app/__init__.py": "", "app/queues.py": queues, "app/jobs.py": "def resize(image_id): ...\n",
             "app/views.py": views}
    assert produced(tmp_path, files) == {
        ("app/views.py", 9, "high", "app.jobs.resize"),
        ("app/views.py", 10, "high", "app.jobs.resize"),
        ("app/views.py", 11, "low", "app.jobs.resize"),
        ("app/views.py", 12, "default", "app.jobs.resize"),
    }
    result = engine.analyse([str(tmp_path)], Settings(root=str(tmp_path)), jobs=1)
    assert result.graph is not None
    assert {span.line for span, _ in result.graph.unresolved if span.path.endswith("views.py")} == {13}


def test_enqueue_on_a_project_object_that_is_not_an_rq_queue(tmp_path: Path) -> None:
    # A module that does not use RQ calling its own `enqueue`: not a producer, not listed.
    outbox = """
class Outbox:
    def enqueue(self, message): ...

outbox = Outbox()
"""
    calls = """
from app.outbox import outbox


def go():
    outbox.enqueue("hello")
"""
    files = {"app/__init__.py": "", "app/outbox.py": outbox, "app/calls.py": calls}
    write_project(tmp_path, files)
    result = engine.analyse([str(tmp_path)], Settings(root=str(tmp_path)), jobs=1)
    assert result.graph is not None and not result.internal_errors
    assert list(result.graph.producers()) == [] and result.graph.unresolved == []


CONTAINERS = """
import { Queue } from 'bullmq';
export enum QueueName { Mail = 'mail', Sms = 'sms', Audit = 'audit' }
export const queues = {
  mail: new Queue(QueueName.Mail),
  [QueueName.Sms]: new Queue(QueueName.Sms),
  nested: { audit: new Queue(QueueName.Audit) },
};
export function queueFor(name: QueueName) { return queues[name]; }
"""


def test_queues_held_in_an_exported_object_and_picked_by_key(tmp_path: Path) -> None:
    # A container of queues, read by a static key, by a computed (enum) key, one level down,
    # through a getter indexing it by its parameter, and destructured or aliased.
    use = """
import { queues, queueFor, QueueName } from './queues';
export async function go() {
  await queues.mail.add('welcome', {});
  await queues[QueueName.Sms].add('code', {});
  await queues.nested.audit.add('login', {});
  await queueFor(QueueName.Mail).add('again', {});
  const { mail } = queues;
  await mail.add('destructured', {});
  const sms = queues[QueueName.Sms];
  await sms.add('aliased', {});
}
"""
    assert produced(tmp_path, {"src/queues.ts": CONTAINERS, "src/use.ts": use}) == {
        ("src/use.ts", 4, "mail", "welcome"),
        ("src/use.ts", 5, "sms", "code"),
        ("src/use.ts", 6, "audit", "login"),
        ("src/use.ts", 7, "mail", "again"),
        ("src/use.ts", 9, "mail", "destructured"),
        ("src/use.ts", 11, "sms", "aliased"),
    }


def test_job_names_picked_from_a_table_by_a_computed_key(tmp_path: Path) -> None:
    # `{ [Kind.Invoice]: 'render-invoice' }` read by a key known at the call: the name is the
    # entry; a key from the request is not known, and not reported as dynamic.
    names = """
export enum Kind { Invoice = 'invoice', Receipt = 'receipt' }
export const JOB_FOR = { [Kind.Invoice]: 'render-invoice', [Kind.Receipt]: 'render-receipt' };
"""
    use = """
import { Queue } from 'bullmq';
import { JOB_FOR, Kind } from './names';
const documents = new Queue('documents');
export async function render(kind: Kind) { return documents.add(JOB_FOR[kind], {}); }
export const invoice = () => render(Kind.Invoice);
export async function fromRequest(req: { body: { kind: Kind } }) {
  return documents.add(JOB_FOR[req.body.kind], {});
}
"""
    files = {"src/names.ts": names, "src/use.ts": use}
    assert produced(tmp_path, files) == {("src/use.ts", 6, "documents", "render-invoice")}
    result = engine.analyse([str(tmp_path)], Settings(root=str(tmp_path)), jobs=1)
    assert result.graph is not None
    jobs = {s.span.line: s.job for s in result.graph.producers() if s.path.endswith("use.ts")}
    assert jobs[8].status == "unknown"
    assert not [d for d in result.diagnostics if d.code == "QL101"]


def test_methods_of_an_object_a_module_makes_and_exports(tmp_path: Path) -> None:
    publisher = """
import { Queue } from 'bullmq';
class BasePublisher {
  protected readonly q = new Queue('events');
  publish(name: string, data: object) { return this.q.add(name, data); }
}
export class AuditPublisher extends BasePublisher {}
export const publisher = new AuditPublisher();
"""
    use = """
import { publisher as events } from './publisher';
export const login = () => events.publish('user-login', {});
"""
    assert produced(tmp_path, {"src/publisher.ts": publisher, "src/use.ts": use}) == {
        ("src/use.ts", 3, "events", "user-login")}


def test_python_in_house_queue_objects_and_the_functions_handed_to_them(tmp_path: Path) -> None:
    # An object a module makes (its class keeps an RQ queue, a base class enqueues), a
    # function wrapping it, and the job function passed by reference or as a dotted path.
    queueing = """
from rq import Queue


class Enqueuer:
    def __init__(self):
        self.queue = Queue("tasks")

    def add(self, func, *args):
        return self.queue.enqueue(func, *args)


class TaskQueue(Enqueuer):
    pass


task_queue = TaskQueue()


def later(func, *args):
    return task_queue.add(func, *args)
"""
    views = """
from app.jobs import resize
from app.queueing import later, task_queue


def go(image_id):
    task_queue.add(resize, image_id)
    later(resize, image_id)
    later("app.jobs.thumbnail", image_id)
"""
    files = {"app/__init__.py": "", "app/queueing.py": queueing, "app/views.py": views,
             "app/jobs.py": "def resize(image_id): ...\n\ndef thumbnail(image_id): ...\n"}
    assert produced(tmp_path, files) == {
        ("app/views.py", 7, "tasks", "app.jobs.resize"),
        ("app/views.py", 8, "tasks", "app.jobs.resize"),
        ("app/views.py", 9, "tasks", "app.jobs.thumbnail"),
    }


def test_celery_tasks_picked_from_a_dict_or_handed_to_a_function(tmp_path: Path) -> None:
    tasks = """
from celery import shared_task


@shared_task
def send_invoice(order_id): ...


@shared_task
def send_receipt(order_id): ...


SENDERS = {"invoice": send_invoice, "receipt": send_receipt}
"""
    views = """
from app.tasks import SENDERS, send_invoice
from celery import group


def later(task, *args):
    return task.apply_async(args=args, countdown=60)


def notify(kind, order_id):
    SENDERS[kind].delay(order_id)


def go(order_id):
    SENDERS["invoice"].delay(order_id)
    notify("receipt", order_id)
    later(send_invoice, order_id)
"""
    # A module that does not use Celery calling `.delay()` on what it is handed: anyone's method.
    other = """
def retry_later(thing):
    return thing.delay()


def go(order):
    retry_later(order)
"""
    files = {"app/__init__.py": "", "app/tasks.py": tasks, "app/views.py": views, "app/other.py": other}
    assert produced(tmp_path, files) == {
        ("app/views.py", 15, "celery", "app.tasks.send_invoice"),
        ("app/views.py", 16, "celery", "app.tasks.send_receipt"),
        ("app/views.py", 17, "celery", "app.tasks.send_invoice"),
    }
    result = engine.analyse([str(tmp_path)], Settings(root=str(tmp_path)), jobs=1)
    assert result.graph is not None
    assert [s for s in result.graph.producers() if s.path.endswith("other.py")] == []


def test_rq_queues_held_in_a_dict(tmp_path: Path) -> None:
    queues = """
from rq import Queue

QUEUES = {"high": Queue("high"), "low": Queue("low")}
"""
    views = """
from app.jobs import resize
from app.queues import QUEUES


def go(image_id):
    QUEUES["high"].enqueue(resize, image_id)
    QUEUES["low"].enqueue_in(30, resize, image_id)
"""
    files = {"app/__init__.py": "", "app/queues.py": queues, "app/views.py": views,
             "app/jobs.py": "def resize(image_id): ...\n"}
    assert produced(tmp_path, files) == {("app/views.py", 7, "high", "app.jobs.resize"),
                                         ("app/views.py", 8, "low", "app.jobs.resize")}


def test_an_object_made_with_its_queue_name_and_used_elsewhere(tmp_path: Path) -> None:
    # The class makes its queue from its constructor's parameter; the objects are made at
    # module level, one used in its own module, one imported, one made from a subclass that
    # passes the name on through `super(…)`.
    service = """
import { Queue } from 'bullmq';
export class QueueService {
  private readonly queue: Queue;
  constructor(name: string) { this.queue = new Queue(name); }
  add(job: string, data: object) { return this.queue.add(job, data); }
}
export class NamedService extends QueueService {
  constructor(name: string) { super(name); }
}
export const mail = new QueueService('mail');
export const audit = new NamedService('audit');
const local = new QueueService('local');
export const tidy = () => local.add('tidy', {});
"""
    use = """
import { mail, audit } from './service';
export const welcome = () => mail.add('welcome', {});
export const record = () => audit.add('record', {});
"""
    assert produced(tmp_path, {"src/service.ts": service, "src/use.ts": use}) == {
        ("src/service.ts", 14, "local", "tidy"),
        ("src/use.ts", 3, "mail", "welcome"),
        ("src/use.ts", 4, "audit", "record"),
    }


QUEUE_SERVICE = """
from rq import Queue


class QueueService:
    def __init__(self, name):
        self.queue = Queue(name)

    def add(self, func, *args):
        return self.queue.enqueue(func, *args)


mail = QueueService("mail")
"""


def test_a_python_object_made_with_its_queue_name(tmp_path: Path) -> None:
    service = QUEUE_SERVICE
    use = """
from app.jobs import welcome
from app.service import mail


def go(user_id):
    mail.add(welcome, user_id)
"""
    files = {"app/__init__.py": "", "app/service.py": service, "app/use.py": use,
             "app/jobs.py": "def welcome(user_id): ...\n"}
    assert produced(tmp_path, files) == {("app/use.py", 7, "mail", "app.jobs.welcome")}


def test_rq_functions_named_through_the_module_they_are_imported_with(tmp_path: Path) -> None:
    views = """
import app.jobs.thumbs
from app import jobs as job_modules
from app.jobs import mail
from app.queue import queue


def go(user_id):
    queue.enqueue(mail.send_welcome, user_id)
    queue.enqueue(job_modules.mail.send_welcome, user_id)
    queue.enqueue(app.jobs.thumbs.render, user_id)
    queue.enqueue(mail.no_such_function, user_id)
"""
    files = {"app/__init__.py": "", "app/jobs/__init__.py": "", "app/jobs/mail.py": "def send_welcome(u): ...\n",
             "app/jobs/thumbs.py": "def render(u): ...\n",
             "app/queue.py": "from rq import Queue\n\nqueue = Queue('default')\n", "app/views.py": views}
    assert produced(tmp_path, files) == {("app/views.py", 9, "default", "app.jobs.mail.send_welcome"),
                                         ("app/views.py", 10, "default", "app.jobs.mail.send_welcome"),
                                         ("app/views.py", 11, "default", "app.jobs.thumbs.render")}


def test_a_javascript_helper_handed_a_queue_its_caller_made(tmp_path: Path) -> None:
    # Untyped parameters: the helper's `queue.add(…)` is a producer where the call hands it a
    # queue (made in a local of the factory calling it); handed a Set, it is nothing.
    queues = """
import { Queue } from 'bullmq';
const addDaily = (name, queue) => queue.add(name, null, { repeat: { pattern: '0 1 * * *' } });
const remember = (seen, key) => seen.add(key);
export const makeQueue = (name, options) => {
  const queue = new Queue(name);
  if (options?.daily) addDaily(name, queue);
  remember(new Set(), name);
  return queue;
};
"""
    users = """
import { makeQueue } from './queues.js';
export const cleanup = makeQueue('cleanup', { daily: true });
"""
    assert produced(tmp_path, {"src/queues.js": queues, "src/users.js": users}) == {
        ("src/users.js", 3, "cleanup", "cleanup")}


def test_one_alias_imported_for_different_actors_in_different_functions(tmp_path: Path) -> None:
    # Each view imports its own actor as `actor`: each send is that view's actor, not the last
    # one imported in the module; the module-level name is none of them. (The views name no
    # queue library: they are read because they import from the actors' module, whose name
    # is distinctive enough to be searched for.)
    actors = """
import dramatiq


@dramatiq.actor
def rebuild_cards(team_id): ...


@dramatiq.actor(queue_name="github")
def invite_collaborators(team_id): ...
"""
    views = """
def rebuild(team_id):
    from app.long_running_actors import rebuild_cards as actor

    actor.send(team_id)


def invite(team_id):
    from app.long_running_actors import invite_collaborators as actor

    actor.send(team_id)
"""
    files = {"app/__init__.py": "", "app/long_running_actors.py": actors, "app/views.py": views}
    assert produced(tmp_path, files) == {("app/views.py", 5, "default", "rebuild_cards"),
                                         ("app/views.py", 11, "github", "invite_collaborators")}


def test_actors_re_exported_by_a_star_import(tmp_path: Path) -> None:
    actors = """
import dramatiq


@dramatiq.actor(queue_name="marking")
def automark(project_id): ...
"""
    files = {"app/__init__.py": "", "app/marking/__init__.py": "", "app/marking/actors.py": actors,
             "app/actors.py": "from app.marking.actors import *\n",
             "app/models.py": "def review(project_id):\n    from app.actors import automark\n\n"
                              "    automark.send(project_id)\n"}
    assert produced(tmp_path, files) == {("app/models.py", 4, "marking", "automark")}


def test_a_method_called_on_an_interface_one_class_of_the_project_implements(tmp_path: Path) -> None:
    # `jobs: JobQueue` (also a key of a destructured parameter): the one class implementing the
    # interface is the object's; with two implementations, which one it is is not known.
    types = """
export interface JobQueue { add(name: string, data: object): Promise<unknown>; }
export interface Mailer { send(name: string): Promise<unknown>; }
"""
    impl = """
import { Queue } from 'bullmq';
import type { JobQueue, Mailer } from './types';
export class BullJobQueue implements JobQueue {
  private readonly queue = new Queue('jobs');
  add(name: string, data: object) { return this.queue.add(name, data); }
}
export class SmtpMailer implements Mailer {
  private readonly queue = new Queue('smtp');
  send(name: string) { return this.queue.add(name, {}); }
}
export class SesMailer implements Mailer {
  private readonly queue = new Queue('ses');
  send(name: string) { return this.queue.add(name, {}); }
}
"""
    use = """
import type { JobQueue, Mailer } from './types';
export const welcome = (jobs: JobQueue) => jobs.add('welcome', {});
export const digest = ({ jobs }: { jobs: JobQueue; when: number }) => jobs.add('digest', {});
export const notify = (mailer: Mailer) => mailer.send('notify');
"""
    assert produced(tmp_path, {"src/types.ts": types, "src/impl.ts": impl, "src/use.ts": use}) == {
        ("src/use.ts", 3, "jobs", "welcome"),
        ("src/use.ts", 4, "jobs", "digest"),
    }


def test_star_imports_that_import_each_other_and_that_disagree(tmp_path: Path) -> None:
    # Modules star-importing each other are each walked once; a name two star imports give
    # differently is not followed (so nothing is claimed on either value).
    files = {"app/__init__.py": "", "app/a.py": "from app.b import *\nfrom app.c import *\n",
             "app/b.py": "from app.a import *\nfrom app.c import *\n", "app/c.py": "from app.a import *\nQUEUE = 'mail'\n",
             "app/v1.py": "OTHER = 'emails-v1'\n", "app/v2.py": "OTHER = 'emails'\n",
             "app/names.py": "from app.v1 import *\nfrom app.v2 import *\n",
             "app/tasks.py": "import dramatiq\nfrom app.a import QUEUE\nfrom app.names import OTHER\n\n\n"
                             "@dramatiq.actor(queue_name=QUEUE)\ndef send(x): ...\n\n\n"
                             "@dramatiq.actor(queue_name=OTHER)\ndef notify(x): ...\n",
             "app/use.py": "from app.tasks import send, notify\n\n\ndef go():\n    send.send(1)\n    notify.send(1)\n"}
    assert produced(tmp_path, files) == {("app/use.py", 5, "mail", "send")}
    assert found(tmp_path, run(tmp_path, {})) == set()


def test_the_module_s_own_import_stays_when_a_function_imports_the_name_again(tmp_path: Path) -> None:
    # The same app imported relatively at the top and absolutely in a function, and a task
    # decorator imported under `try`/`except ImportError`: the module's imports are kept.
    tasks = """
try:
    from celery import shared_task
except ImportError:
    from celery.decorators import task as shared_task
from .celery_app import app


@app.task
def send_mail(user_id): ...


@shared_task
def send_sms(user_id): ...


def later():
    from proj.celery_app import app

    return app
"""
    views = """
from proj.celery_app import app


def signup(user_id):
    app.send_task("proj.tasks.send_mail", args=[user_id])
    app.send_task("proj.tasks.send_sms", args=[user_id])
"""
    files = {"proj/__init__.py": "", "proj/celery_app.py": "from celery import Celery\n\napp = Celery('proj')\n",
             "proj/tasks.py": tasks, "proj/views.py": views}
    assert found(tmp_path, run(tmp_path, files)) == set()


def test_nested_functions_of_one_name_import_their_own(tmp_path: Path) -> None:
    views = """
def mail_later(user_id):
    def run():
        from app.mail import send as task

        task.delay(user_id)

    return run


def sms_later(user_id):
    def run():
        from app.sms import send as task

        task.delay(user_id)

    return run
"""
    task = "from celery import shared_task\n\n\n@shared_task\ndef send(user_id): ...\n"
    files = {"app/__init__.py": "", "app/mail.py": task, "app/sms.py": task, "app/views.py": views}
    assert produced(tmp_path, files) == {("app/views.py", 6, "celery", "app.mail.send"),
                                         ("app/views.py", 15, "celery", "app.sms.send")}


def test_what_is_not_read_of_a_pool_a_schedule_or_a_local_is_not_guessed(tmp_path: Path) -> None:
    # A pool given its options as `**options`, a scheduler's template spread from elsewhere, a
    # local bound by `with … as` or a tuple: none is taken for what it is not.
    pools = """
from arq import create_pool
from arq.connections import RedisSettings

POOL_OPTIONS = {"default_queue_name": "emails"}


async def get_pool():
    return await create_pool(RedisSettings(), **POOL_OPTIONS)


async def send_mail(ctx): ...


class WorkerSettings:
    functions = [send_mail]
    queue_name = "emails"
"""
    calls = """
from app.pools import get_pool


async def go():
    pool = await get_pool()
    await pool.enqueue_job("send_mail")
"""
    schedules = """
import { Queue, Worker } from 'bullmq';
const reports = new Queue('reports');
const template = { name: 'report', data: {} };
export const daily = () => reports.upsertJobScheduler('daily-report', { pattern: '0 6 * * *' }, { ...template, opts: {} });
new Worker('reports', async (job) => { if (job.name === 'report') return 1; throw new Error(job.name); });
"""
    service = QUEUE_SERVICE + """

def go(make_service, send):
    with make_service("billing") as mail:
        mail.add(send, 1)
    mail, other = QueueService("reports"), None
    mail.add(send, 2)
"""
    files = {"app/__init__.py": "", "app/pools.py": pools, "app/calls.py": calls, "src/schedules.ts": schedules,
             "app/service.py": service}
    assert found(tmp_path, run(tmp_path, files)) == set()
    assert not {s for s in produced(tmp_path, {}) if s[0] == "app/service.py" and s[2] == "mail"}


def test_other_objects_map_and_a_long_annotation(tmp_path: Path) -> None:
    # `operators.map(…)` of another package is no Celery canvas; a parameter annotated with a
    # union of 900 names does not crash the search for callers.
    union = "|".join(["Ingest"] * 900)
    files = {"app/__init__.py": "",
             "app/rx_use.py": "from rx import operators as ops\n\n\ndef go(xs):\n    return ops.map(lambda x: x)\n",
             "app/service.py": "from celery import shared_task\n\n\n@shared_task\ndef index(d): ...\n\n\n"
                               "class Ingest:\n    def ingest_document(self, d):\n        index.delay(d)\n",
             "app/routes.py": f'from app.service import Ingest\n\n\ndef handle(svc: "{union}"):\n'
                              "    svc.ingest_document(1)\n"}
    write_project(tmp_path, files)
    result = engine.analyse([str(tmp_path)], Settings(root=str(tmp_path)), jobs=1, relays=True)
    assert result.graph is not None and not result.internal_errors
    assert [s for s in result.graph.producers() if s.path.endswith("rx_use.py")] == []
