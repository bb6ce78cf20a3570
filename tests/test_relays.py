"""Calls of the functions producers are written in: the places a job is really put on the
queue from (`new ExportTask().schedule(props)` over `BaseTask.schedule()`), followed through
class hierarchies, instances, static methods and plain helpers; findings stay at the wrapper."""

from __future__ import annotations

from pathlib import Path

from queuelint import engine
from queuelint.config import Settings
from tests.helpers import found, run, write_project

BASE_TASK = """
import Queue from 'bull';
const tasks = new Queue('tasks');
export abstract class BaseTask<T> {
  public schedule(props: T) {
    return tasks.add({ name: this.constructor.name, props });
  }
  abstract perform(props: T): Promise<void>;
}
"""
EXPORT_TASK = """
import { BaseTask } from './base/BaseTask';
export default class ExportTask extends BaseTask<{ id: string }> {
  async perform() {}
}
"""
# A Celery task, and a helper that sends it.
NOTIFY_TASKS = """
    from celery import shared_task

    @shared_task
    def send_receipt(order_id):
        pass

    def notify_customer(order_id):
        send_receipt.delay(order_id)
    """
# A layer between: the call names only the subclass of a subclass.
ZIP_EXPORT_TASK = """
import ExportTask from './ExportTask';
export class ZipExportTask extends ExportTask {}
"""


def relays(root: Path, files: dict[str, str]) -> set[tuple[str, int, str, str, str]]:
    """(file, line, queue, job, via) of each call reaching a producer through its function."""
    write_project(root, files)
    result = engine.analyse([str(root)], Settings(root=str(root)), jobs=1)
    assert result.graph is not None and not result.internal_errors
    return {(Path(s.path).relative_to(root).as_posix(), s.span.line, s.queue.value, s.job.value, s.producer.via)
            for s in result.graph.relay_sites}


def test_a_method_inherited_through_layers_is_called_on_instances_of_subclasses(tmp_path: Path) -> None:
    caller = """
    import ExportTask from '../tasks/ExportTask';
    import { ZipExportTask } from '../tasks/ZipExportTask';
    export async function onExport(id: string) {
      await new ExportTask().schedule({ id });
      const zipped = new ZipExportTask();
      await zipped.schedule({ id });
    }
    """
    assert relays(tmp_path, {"src/tasks/base/BaseTask.ts": BASE_TASK, "src/tasks/ExportTask.ts": EXPORT_TASK,
                             "src/tasks/ZipExportTask.ts": ZIP_EXPORT_TASK, "src/events/export.ts": caller}) == {
        ("src/events/export.ts", 5, "tasks", "__default__", "BaseTask.schedule"),
        ("src/events/export.ts", 7, "tasks", "__default__", "BaseTask.schedule"),
    }


def test_a_subclass_overriding_the_method_is_not_the_base_s_call(tmp_path: Path) -> None:
    own = """
    import { BaseTask } from './base/BaseTask';
    export class LocalTask extends BaseTask<{}> {
      public schedule() { return Promise.resolve(); }
      async perform() {}
    }
    """
    caller = """
    import { LocalTask } from '../tasks/LocalTask';
    import ExportTask from '../tasks/ExportTask';
    class Unrelated { schedule() {} }
    export function go() {
      new LocalTask().schedule();
      new Unrelated().schedule();
      new ExportTask().schedule({ id: '1' });
    }
    """
    assert relays(tmp_path, {"src/tasks/base/BaseTask.ts": BASE_TASK, "src/tasks/ExportTask.ts": EXPORT_TASK,
                             "src/tasks/LocalTask.ts": own, "src/events/go.ts": caller}) == {
        ("src/events/go.ts", 8, "tasks", "__default__", "BaseTask.schedule"),
    }


def test_this_calls_static_methods_and_plain_helpers(tmp_path: Path) -> None:
    mailer = """
    import { Queue } from 'bullmq';
    const mail = new Queue('mail');
    export async function sendWelcome(userId: string) {
      await mail.add('welcome', { userId });
    }
    export class Digest {
      static enqueue(day: string) { return mail.add('digest', { day }); }
      async later() { await this.nudge(); }
      private nudge() { return mail.add('nudge', {}); }
    }
    """
    caller = """
    import { sendWelcome, Digest } from './mailer';
    export async function signUp(id: string) {
      await sendWelcome(id);
      await Digest.enqueue('monday');
    }
    """
    assert relays(tmp_path, {"src/mailer.ts": mailer, "src/signup.ts": caller}) == {
        ("src/signup.ts", 4, "mail", "welcome", "sendWelcome"),
        ("src/signup.ts", 5, "mail", "digest", "Digest.enqueue"),
        ("src/mailer.ts", 9, "mail", "nudge", "Digest.nudge"),
    }


def test_findings_stay_at_the_wrapper_and_the_summary_counts_the_calls(tmp_path: Path) -> None:
    mailer = """
    import { Queue, Worker } from 'bullmq';
    const mail = new Queue('mail');
    export function sendWelcome(userId: string) { return mail.add('welcom', { userId }); }
    new Worker('mail', async (job) => {
      switch (job.name) {
        case 'welcome': return;
        default: throw new Error(`unknown ${job.name}`);
      }
    });
    """
    callers = """
    import { sendWelcome } from './mailer';
    export const a = () => sendWelcome('1');
    export const b = () => sendWelcome('2');
    """
    diagnostics = run(tmp_path, {"src/mailer.ts": mailer, "src/callers.ts": callers})
    # Once where the name is written (and the handled name nothing produces), not at each call.
    assert found(tmp_path, diagnostics) == {("src/mailer.ts", 4, "QL102"), ("src/mailer.ts", 7, "QL103")}
    result = engine.analyse([str(tmp_path)], Settings(root=str(tmp_path)), jobs=1)
    assert result.coverage.producer_calls == 2
    assert "1 producer called from 2 places through the functions they are in" in result.coverage.line()
    # No finding depends on them: a run for the findings alone (`check`, the language server)
    # does not look for them, and finds the same.
    quick = engine.analyse([str(tmp_path)], Settings(root=str(tmp_path)), jobs=1, relays=False)
    assert quick.graph is not None and quick.graph.relay_sites == [] and quick.coverage.producer_calls == 0
    assert [d.code for d in quick.diagnostics] == [d.code for d in result.diagnostics]


def test_python_helpers_called_by_name_alias_relative_import_or_through_their_module(tmp_path: Path) -> None:
    tasks = NOTIFY_TASKS
    checkout = """
    from app.mail.tasks import notify_customer as notify
    from .tasks import notify_customer

    def complete(order):
        notify(order.id)
        notify_customer(order.id)
        send_receipt(order.id)  # a task called in-process queues nothing
    """
    refund = """
    from app.mail import tasks
    import app.mail.tasks as mail_tasks

    def refund(order):
        tasks.notify_customer(order.id)
        mail_tasks.notify_customer(order.id)
        tasks.unrelated(order.id)
    """
    assert relays(tmp_path, {"app/__init__.py": "", "app/mail/__init__.py": "", "app/mail/tasks.py": tasks,
                             "app/mail/checkout.py": checkout, "app/refund.py": refund}) == {
        ("app/mail/checkout.py", 6, "celery", "app.mail.tasks.send_receipt", "notify_customer"),
        ("app/mail/checkout.py", 7, "celery", "app.mail.tasks.send_receipt", "notify_customer"),
        ("app/refund.py", 6, "celery", "app.mail.tasks.send_receipt", "notify_customer"),  # through the module
        ("app/refund.py", 7, "celery", "app.mail.tasks.send_receipt", "notify_customer"),
    }


def test_python_callers_that_do_not_parse_lose_only_their_own_calls(tmp_path: Path) -> None:
    tasks = """
    import dramatiq

    @dramatiq.actor
    def reindex(doc_id):
        pass

    def schedule_reindex(doc_id):
        reindex.send(doc_id)
    """
    broken = "from app.tasks import schedule_reindex\ndef f(:\n    schedule_reindex(1)\n"
    fine = "from app.tasks import schedule_reindex\n\ndef g():\n    schedule_reindex(2)\n"
    assert relays(tmp_path, {"app/__init__.py": "", "app/tasks.py": tasks, "app/broken.py": broken,
                             "app/fine.py": fine}) == {("app/fine.py", 4, "default", "reindex", "schedule_reindex")}


def test_python_methods_called_on_self_and_helpers_imported_where_they_are_used(tmp_path: Path) -> None:
    tasks = """
    from celery import shared_task

    @shared_task
    def rebuild(component_id):
        pass

    def schedule_rebuild(component_id):
        rebuild.delay(component_id)
    """
    models = """
    from app.tasks import rebuild

    class Component:
        def queue_rebuild(self):
            rebuild.delay(self.pk)

        def save(self):
            self.queue_rebuild()

    class Other:
        def save(self):
            self.queue_rebuild()  # not Component's method

    def on_change(component):
        from app.tasks import schedule_rebuild
        schedule_rebuild(component.pk)
    """
    assert relays(tmp_path, {"app/__init__.py": "", "app/tasks.py": tasks, "app/models.py": models}) == {
        ("app/models.py", 9, "celery", "app.tasks.rebuild", "Component.queue_rebuild"),
        ("app/models.py", 17, "celery", "app.tasks.rebuild", "schedule_rebuild"),
    }


def test_callers_of_callers_are_listed_a_few_layers_out(tmp_path: Path) -> None:
    """`signUp` calls `onboard`, which calls `sendWelcome`, which adds the job: each call is a
    place the job is put on the queue from, several functions out, through methods and
    recursion alike, in TypeScript and Python."""
    mailer = """
    import { Queue } from 'bullmq';
    const mail = new Queue('mail');
    export async function sendWelcome(userId: string) { await mail.add('welcome', { userId }); }
    """
    onboarding = """
    import { sendWelcome } from './mailer';
    export async function onboard(id: string, retry = 0) {
      await sendWelcome(id);
      if (retry > 0) await onboard(id, retry - 1);
    }
    export class Accounts {
      async create(id: string) { await onboard(id); }
    }
    """
    routes = """
    import { onboard, Accounts } from './onboarding';
    export async function signUp(id: string) { await onboard(id); }
    export async function invite(id: string) { await new Accounts().create(id); }
    export async function main() { await signUp('x'); await invite('y'); }
    """
    tasks = NOTIFY_TASKS
    checkout = """
    from app.tasks import notify_customer

    def complete(order):
        notify_customer(order.id)

    class Checkout:
        def finish(self, order):
            complete(order)
    """
    api = """
    from app.checkout import complete

    def handle(request):
        complete(request.order)

    def top(request):
        handle(request)
    """
    assert relays(tmp_path, {"src/mailer.ts": mailer, "src/onboarding.ts": onboarding, "src/routes.ts": routes,
                             "app/__init__.py": "", "app/tasks.py": tasks, "app/checkout.py": checkout,
                             "app/api.py": api}) == {
        ("src/onboarding.ts", 4, "mail", "welcome", "sendWelcome"),
        ("src/onboarding.ts", 5, "mail", "welcome", "onboard > sendWelcome"),  # calls itself: listed once
        ("src/onboarding.ts", 8, "mail", "welcome", "onboard > sendWelcome"),
        ("src/routes.ts", 3, "mail", "welcome", "onboard > sendWelcome"),
        ("src/routes.ts", 4, "mail", "welcome", "Accounts.create > onboard > sendWelcome"),
        ("src/routes.ts", 5, "mail", "welcome", "signUp > onboard > sendWelcome"),
        ("src/routes.ts", 5, "mail", "welcome", "invite > Accounts.create > onboard > sendWelcome"),
        ("app/checkout.py", 5, "celery", "app.tasks.send_receipt", "notify_customer"),
        ("app/checkout.py", 9, "celery", "app.tasks.send_receipt", "complete > notify_customer"),
        ("app/api.py", 5, "celery", "app.tasks.send_receipt", "complete > notify_customer"),
        ("app/api.py", 8, "celery", "app.tasks.send_receipt", "handle > complete > notify_customer"),
    }


def test_callers_are_listed_up_to_five_functions_out(tmp_path: Path) -> None:
    chain = """
    import { Queue } from 'bullmq';
    const mail = new Queue('mail');
    export async function f1() { await mail.add('welcome', {}); }
    export async function f2() { await f1(); }
    export async function f3() { await f2(); }
    export async function f4() { await f3(); }
    export async function f5() { await f4(); }
    export async function f6() { await f5(); }
    export async function f7() { await f6(); }
    """
    listed = relays(tmp_path, {"src/chain.ts": chain})
    assert {line for _, line, _, _, _ in listed} == {5, 6, 7, 8, 9}  # the call in f7 is a sixth layer


def test_python_methods_called_on_an_object_a_module_makes_or_a_declared_parameter(tmp_path: Path) -> None:
    # The service is made once in a module of its own and imported where it is used, or handed
    # in as a parameter declared with its class (imported only for type checking).
    service = """
    from celery import shared_task


    @shared_task
    def index_document(document_id):
        pass


    class IngestionService:
        def ingest_document(self, document_id):
            index_document.delay(document_id)
    """
    services = """
    from app.service import IngestionService

    ingestion = IngestionService(database=None)
    """
    routes = """
    from typing import TYPE_CHECKING, Optional

    from app.services import ingestion

    if TYPE_CHECKING:
        from app.service import IngestionService


    def upload(document_id):
        ingestion.ingest_document(document_id)


    def sync(document_id, service: "Optional[IngestionService]" = None):
        service.ingest_document(document_id)
    """
    files = {"app/__init__.py": "", "app/service.py": service, "app/services.py": services,
             "app/routes.py": routes}
    assert relays(tmp_path, files) == {
        ("app/routes.py", 11, "celery", "app.service.index_document", "IngestionService.ingest_document"),
        ("app/routes.py", 15, "celery", "app.service.index_document", "IngestionService.ingest_document"),
    }


def test_python_methods_of_django_model_objects_a_manager_hands_back(tmp_path: Path) -> None:
    models = """
    from celery import shared_task


    @shared_task
    def encode_media(media_id):
        pass


    class Media:
        def encode(self):
            encode_media.delay(self.id)
    """
    views = """
    from app.models import Media


    def reencode(media_id):
        media = Media.objects.get(pk=media_id)
        media.encode()


    def reencode_all(user):
        for media in Media.objects.filter(user=user).order_by("id"):
            media.encode()


    def either(media_id, other):
        media = Media.objects.get(pk=media_id)
        media = other
        media.encode()
    """
    files = {"app/__init__.py": "", "app/models.py": models, "app/views.py": views}
    assert relays(tmp_path, files) == {
        ("app/views.py", 7, "celery", "app.models.encode_media", "Media.encode"),
        ("app/views.py", 12, "celery", "app.models.encode_media", "Media.encode"),
    }
