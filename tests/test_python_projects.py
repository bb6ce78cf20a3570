"""Python projects end to end, in shapes seen in real code: what is registered where, and
what must not be taken for a queue call."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import found, run


def test_a_task_module_that_imports_its_app_from_the_project_is_read(tmp_path: Path) -> None:
    """`@app.task` with `app` imported from the project: the module never names Celery, but
    its tasks are registered (and a call to a misspelled one is still found)."""
    diagnostics = run(tmp_path, {
        "proj/__init__.py": "",
        "proj/worker.py": "from celery import Celery\napp = Celery('proj')\n",
        "proj/images.py": """
            from proj.worker import app

            @app.task
            def make_thumbnail(image_id):
                return image_id

            @app.task(bind=True, queue='images')
            def make_preview(self, image_id):
                return image_id
        """,
        "proj/views.py": """
            from proj.images import make_thumbnail, make_preview
            from proj.worker import app

            def upload(image_id):
                make_thumbnail.delay(image_id)
                make_preview.apply_async((image_id,))
                app.send_task('proj.images.make_thumbnails', args=[image_id])
        """,
    })
    assert found(tmp_path, diagnostics) == {("proj/views.py", 8, "QL102")}


def test_enqueue_job_of_other_libraries_is_not_arq(tmp_path: Path) -> None:
    """arq's `enqueue_job` takes a job's name: RQ's `queue.enqueue_job(job)` and CKAN's
    `toolkit.enqueue_job(fn, …, queue=…)` are not arq producers (nor is their `queue=`)."""
    diagnostics = run(tmp_path, {
        "app/__init__.py": "",
        "app/tasks.py": "from celery import shared_task\n\n@shared_task\ndef ping():\n    return 1\n",
        "app/requeue.py": """
            from rq import Queue
            from rq.job import Job

            def requeue(job_id, redis):
                job = Job.fetch(job_id, connection=redis)
                Queue(job.origin, connection=redis).enqueue_job(job)
        """,
        "app/plugin.py": """
            import ckan.plugins.toolkit as toolkit
            from app import jobs

            def harvest(source_id):
                return source_id

            def on_update(source_id):
                toolkit.enqueue_job(harvest, [source_id], title="harvest", queue="bulk")
                toolkit.enqueue_job(jobs.load_data, [source_id], queue="bulk")
        """,
        "app/pool.py": """
            async def notify(pool, user_id):
                await pool.enqueue_job("send_mail", user_id, queue="mail")
        """,
        "app/typed.py": """
            from arq.connections import ArqRedis

            async def notify(pool: ArqRedis, user_id):
                await pool.enqueue_job("send_mail", user_id, queue="mail")

            async def chain(ctx, user_id):
                await ctx["redis"].enqueue_job("send_mail", user_id, queue="mail")
        """,
    })
    # A name passed, but on an object not known to come from arq (the file does not import it):
    # not arq's. Where the object is typed `ArqRedis`, or is the pool arq hands its jobs, it is.
    assert found(tmp_path, diagnostics) == {("app/typed.py", 5, "QL301"), ("app/typed.py", 5, "QL105"),
                                            ("app/typed.py", 8, "QL301")}


def test_arq_registries_are_per_worker_settings(tmp_path: Path) -> None:
    """arq keeps one function per name within a `WorkerSettings`: separate programs, or two
    settings sharing one list, register nothing twice; a cron job of a listed function is
    `cron:` + its name. A name listed twice in one class still is a duplicate."""
    example = """
        from arq.connections import RedisSettings

        async def the_task(ctx):
            return 1

        class WorkerSettings:
            functions = [the_task]
            cron_jobs = []
            redis_settings = RedisSettings()
    """
    diagnostics = run(tmp_path, {
        "examples/first.py": example,
        "examples/second.py": example,
        "app/worker.py": """
            from arq import cron
            from arq.connections import RedisSettings

            async def send_email(ctx, user_id):
                return user_id

            async def cleanup(ctx):
                return 0

            FUNCTIONS = [send_email, cleanup]

            class WorkerSettings:
                functions = FUNCTIONS
                cron_jobs = [cron(cleanup, hour=1)]
                redis_settings = RedisSettings(host="redis")

            class LocalWorkerSettings:
                functions = FUNCTIONS
                redis_settings = RedisSettings(host="localhost")

            class Twice:
                functions = [cleanup, cleanup]
        """,
    })
    assert {entry for entry in found(tmp_path, diagnostics) if entry[2] == "QL104"} == {("app/worker.py", 23, "QL104")}


def test_celery_names_of_packages_the_project_does_not_hold(tmp_path: Path) -> None:
    """Routes and schedules naming the tasks of an installed app, or Celery's own, are not
    checked against this project's tasks; a misspelt name in one of its packages still is."""
    diagnostics = run(tmp_path, {
        "proj/__init__.py": "",
        "proj/celery_app.py": """
            from celery import Celery

            app = Celery("proj")
            app.conf.task_routes = {
                "post_office.tasks.send_queued_mail": {"queue": "email"},
                "proj.celery_app.ping": {"queue": "default"},
            }
            app.conf.beat_schedule = {
                "cleanup": {"task": "celery.backend_cleanup", "schedule": 3600},
                "ping": {"task": "proj.celery_app.pong", "schedule": 60},
            }

            @app.task
            def ping():
                return "pong"
        """,
    })
    assert found(tmp_path, diagnostics) == {("proj/celery_app.py", 11, "QL102")}


def test_arq_workers_built_in_code_register_their_functions(tmp_path: Path) -> None:
    """`Worker(functions=[...])` registers those functions; a settings class whose list is
    built elsewhere may run any function: neither leaves a `WorkerSettings` of the same queue
    speaking for every name."""
    diagnostics = run(tmp_path, {
        "app/settings.py": """
            from arq.connections import RedisSettings

            async def cleanup(ctx):
                return 0

            class WorkerSettings:
                functions = [cleanup]
                redis_settings = RedisSettings()
        """,
        "app/batch.py": """
            from arq import create_pool
            from arq.worker import Worker, func

            async def resize(ctx, image_id):
                return image_id

            async def run_batch(redis_settings):
                redis = await create_pool(redis_settings)
                await redis.enqueue_job("cleanup")
                await redis.enqueue_job("resize", 1)
                await redis.enqueue_job("resise", 2)
                worker = Worker(functions=[func(resize, name="resize")], redis_pool=redis, burst=True)
                await worker.main()
        """,
        "app/reports.py": """
            from arq import create_pool
            from app.registry import collected

            class ReportSettings:
                functions = collected()
                queue_name = "reports"

            async def go(settings):
                redis = await create_pool(settings)
                await redis.enqueue_job("monthly", _queue_name="reports")
        """,
    })
    assert found(tmp_path, diagnostics) == {("app/batch.py", 12, "QL102")}


def test_send_on_objects_that_are_not_actors_produces_nothing(tmp_path: Path) -> None:
    """`order_paid.send(…)` on a Django signal (or a mailer) is no Dramatiq producer: nothing
    is left unresolved for it; an actor's `send` still is one."""
    from queuelint import engine
    from queuelint.config import Settings

    files = {
        "shop/__init__.py": "",
        "shop/signals.py": "from django.dispatch import Signal\norder_paid = Signal()\n",
        "shop/actors.py": "import dramatiq\n\n@dramatiq.actor(queue_name='mail')\ndef notify(order_id):\n    return 1\n",
        "shop/tasks.py": """
            from celery import shared_task
            from shop.actors import notify
            from shop.signals import order_paid

            @shared_task
            def mark_paid(order_id):
                order_paid.send(sender=None, order_id=order_id)
                notify.send(order_id)
        """,
    }
    run(tmp_path, files)
    result = engine.analyse([str(tmp_path)], Settings(root=str(tmp_path)), jobs=1)
    assert result.graph is not None
    assert result.graph.unresolved == []
    assert [(site.queue.value, site.job.value) for site in result.graph.producers()] == [("mail", "notify")]


def test_an_error_callback_may_carry_on(tmp_path: Path) -> None:
    """A task with Celery's `link_error` signature runs after a failure: catching there and
    carrying on is not a swallowed job failure. An ordinary task doing so still is."""
    diagnostics = run(tmp_path, {"tasks.py": """
        import logging
        from celery import shared_task

        log = logging.getLogger(__name__)

        @shared_task
        def stop_chain_on_error(request, exc, traceback):
            try:
                request.chain = None
            except Exception:
                log.warning("could not clear the chain of %s", request.id)

        @shared_task
        def crunch(n):
            try:
                return n * 2
            except Exception:
                log.warning("could not crunch %s", n)
    """})
    assert found(tmp_path, diagnostics) == {("tasks.py", 18, "QL202")}


def test_misspelt_celery_names_are_checked_whatever_their_package(tmp_path: Path) -> None:
    """`tasks.send` for `proj.tasks.send`, `porj.tasks.send`: mistakes, not another app's
    tasks; a decorator with a comment after it still marks a task module; a str enum member
    passed to arq's `enqueue_job` is a name."""
    diagnostics = run(tmp_path, {
        "proj/__init__.py": "",
        "web/__init__.py": "",
        "proj/tasks.py": "from celery import Celery\napp = Celery('proj')\n\n@app.task\ndef send(x):\n    return x\n",
        "proj/weekly.py": "from proj.tasks import app\n\n@app.task  # weekly\ndef digest():\n    return 1\n",
        "web/views.py": """
            from celery import Celery
            app = Celery('proj')

            def view():
                app.send_task('tasks.send', args=[1])
                app.send_task('porj.tasks.send', args=[1])
                app.send_task('proj.weekly.digest')
        """,
        "jobs/__init__.py": "",
        "jobs/names.py": "from enum import Enum\n\nclass Jobs(str, Enum):\n    send_email = 'send_email'\n    send_emial = 'send_emial'\n",
        "jobs/worker.py": "async def send_email(ctx):\n    return 1\n\nclass WorkerSettings:\n    functions = [send_email]\n",
        "jobs/api.py": "from arq import ArqRedis\nfrom jobs.names import Jobs\n\nasync def handle(redis: ArqRedis):\n"
                       "    await redis.enqueue_job(Jobs.send_emial)\n    await redis.enqueue_job(Jobs.send_email)\n",
    })
    assert found(tmp_path, diagnostics) == {("web/views.py", 6, "QL102"), ("web/views.py", 7, "QL102"),
                                            ("jobs/api.py", 5, "QL102")}


def test_arq_functions_named_by_import_string_and_classes_that_are_not_settings(tmp_path: Path) -> None:
    """`functions = ['app.jobs.download']` registers the whole string (arq's `func()`); a
    class that merely has a `functions` attribute built elsewhere is no worker."""
    diagnostics = run(tmp_path, {
        "app/__init__.py": "",
        "app/jobs.py": "async def download(ctx):\n    return 1\n",
        "app/worker.py": """
            from arq.connections import RedisSettings

            class WorkerSettings:
                functions = ['app.jobs.download']
                redis_settings = RedisSettings()
        """,
        "app/plugins.py": "# read by the prefilter: enqueue\nclass Plugin:\n    functions = load_functions()\n",
        "app/api.py": """
            async def go(ctx):
                await ctx['redis'].enqueue_job('app.jobs.download')
                await ctx['redis'].enqueue_job('download')
        """,
    })
    assert found(tmp_path, diagnostics) == {("app/api.py", 4, "QL102")}


def test_a_task_registered_twice_names_the_file_of_the_first(tmp_path: Path) -> None:
    task = "from celery import shared_task\n\n@shared_task(name='reports.build')\ndef build():\n    return 1\n"
    diagnostics = run(tmp_path, {"app/__init__.py": "", "app/reports.py": task, "app/legacy.py": task})
    assert [d.message.split(";")[0] for d in diagnostics] == [
        "second handler for job 'reports.build' on queue 'celery' (first: build in app/legacy.py)"]


def test_a_project_decorator_beside_a_task_decorator_wraps_the_task(tmp_path: Path) -> None:
    """`@app.task(name=…)` over (or under) a project's own decorator: the task is the one the
    library registers, under its explicit name, and `.delay()` produces that name. The other
    decorator is a wrapper, not a second, in-house task registration."""
    diagnostics = run(tmp_path, {
        "shop/__init__.py": "",
        "shop/celeryconf.py": "from celery import Celery\napp = Celery('shop')\n",
        "shop/db.py": """
            def allow_writer():
                def wrap(function):
                    return function
                return wrap
        """,
        "shop/tasks.py": """
            from .celeryconf import app
            from .db import allow_writer


            @app.task(name="shop.migrations.backfill_prices")
            @allow_writer()
            def backfill_prices_task(start=0):
                backfill_prices_task.delay(start + 100)


            @allow_writer()
            @app.task(name="shop.migrations.backfill_stock")
            def backfill_stock_task(start=0):
                backfill_stock_task.delay(start + 100)


            def go():
                app.send_task("shop.migrations.backfill_prices")
                app.send_task("shop.migrations.backfill_stok")
        """,
    })
    assert found(tmp_path, diagnostics) == {("shop/tasks.py", 20, "QL102")}  # only the misspelt one


RQ_JOBS = """
    import logging

    log = logging.getLogger(__name__)

    def resize(image_id):
        try:
            convert(image_id)
        except Exception:
            log.exception("resize failed")

    def tag(image_id):
        if not image_id:
            return {"success": False, "error": "no image"}
        return {"success": True}
"""


def test_rq_job_functions_are_read_through_a_package_re_export_and_a_dotted_path(tmp_path: Path) -> None:
    """RQ runs whatever a job names: a function imported through a package's `__init__`, and
    one named by its dotted path, are both handlers, in a module that never imports RQ."""
    diagnostics = run(tmp_path, {
        "media/__init__.py": "from media.work import resize\n",
        "media/work.py": RQ_JOBS,
        "web/__init__.py": "",
        "web/upload.py": """
            from rq import Queue
            from media import resize

            q = Queue('media')

            def uploaded(image_id):
                q.enqueue(resize, image_id)
                q.enqueue('media.work.tag', image_id)
        """,
    })
    assert found(tmp_path, diagnostics) == {("media/work.py", 9, "QL202"), ("media/work.py", 14, "QL201")}
    message = next(d.message for d in diagnostics if d.code == "QL202")
    assert "failed job registry" in message


def test_rq_functions_outside_the_project_or_never_enqueued_are_not_read(tmp_path: Path) -> None:
    """Only functions a job names are handlers: the same bodies, not enqueued (or enqueued from
    a library), say nothing."""
    diagnostics = run(tmp_path, {
        "media/__init__.py": "",
        "media/work.py": RQ_JOBS,
        "web/upload.py": """
            import os
            from rq import Queue

            q = Queue('media')

            def uploaded(path):
                q.enqueue(os.remove, path)
                q.enqueue('shutil.rmtree', path)
        """,
    })
    assert found(tmp_path, diagnostics) == set()


def test_a_result_read_from_async_result_makes_a_returned_failure_an_info(tmp_path: Path) -> None:
    """`AsyncResult(task_id).get()` in a view: the caller reads what tasks return."""
    files = {
        "proj/__init__.py": "",
        "proj/tasks.py": """
            from celery import shared_task

            @shared_task
            def build(report_id):
                if not report_id:
                    return {"success": False, "error": "no report"}
                return {"success": True}
        """,
        "proj/views.py": """
            from proj.tasks import build

            def start(report_id):
                build.delay(report_id)
        """,
    }
    assert {d.severity.value for d in run(tmp_path, files) if d.code == "QL201"} == {"error"}
    files["proj/status.py"] = """
        from celery.result import AsyncResult

        def status(task_id):
            return AsyncResult(task_id).get(timeout=1)
    """
    reported = [d for d in run(tmp_path / "again", files) if d.code == "QL201"]
    assert [d.severity.value for d in reported] == ["info"]
    assert "proj/status.py:5" in reported[0].message
    # Read in a method of a view class, among methods that do not: the same.
    files["proj/status.py"] = """
        from celery.result import AsyncResult


        class TaskStatus:
            def options(self, request):
                return None

            def get(self, request, task_id):
                task = AsyncResult(task_id)
                return {"ready": task.ready(), "result": task.result}
    """
    reported = [d for d in run(tmp_path / "in-a-method", files) if d.code == "QL201"]
    assert [d.severity.value for d in reported] == ["info"]


def test_what_a_task_returns_as_its_result_and_what_it_records(tmp_path: Path) -> None:
    """A list of the input's problems (zero or more) is the task's result, not a failure; a
    failure returned after the task records it (a failed state, a few levels into a dict it
    writes) is said at info."""
    files = {
        "proj/__init__.py": "",
        "proj/tasks.py": """
            from celery import shared_task

            @shared_task
            def import_rows(rows):
                problems = [row for row in rows if not row]
                return {"error": [str(p) for p in problems]}

            @shared_task
            def ingest(document_id, database):
                try:
                    database.parse(document_id)
                except Exception as error:
                    database.update(document_id, updates={"metadata": {"status": "failed"}})
                    return {"status": "failed", "error": str(error)}
        """,
        "proj/views.py": """
            from proj.tasks import import_rows, ingest

            def start(rows, document_id, database):
                import_rows.delay(rows)
                ingest.delay(document_id, database)
        """,
    }
    reported = [(d.span.line, d.severity.value) for d in run(tmp_path, files) if d.code == "QL201"]
    assert reported == [(15, "info")]


def test_arq_and_bullmq_names_chosen_by_data_say_what_they_reach(tmp_path: Path) -> None:
    """An f-string around a parameter picks the function (arq) or the job name (bullmq) at run
    time: a warning naming the names it can reach; around a setting, it is left alone."""
    diagnostics = run(tmp_path, {
        "worker.py": """
            from arq import create_pool
            from arq.connections import RedisSettings
            from bullmq import Queue, Worker

            SIZE = "small"

            async def export_csv(ctx, report_id): ...
            async def export_pdf(ctx, report_id): ...

            class WorkerSettings:
                functions = [export_csv, export_pdf]

            async def request_export(fmt, report_id):
                redis = await create_pool(RedisSettings())
                await redis.enqueue_job(f"export_{fmt}", report_id)

            queue = Queue("thumbs")

            async def thumbs(kind, image_id):
                await queue.add(f"thumb-{kind}", {"id": image_id})
                await queue.add(f"thumb-{SIZE}", {"id": image_id})

            async def process(job, token):
                if job.name == "thumb-small":
                    return 1
                raise ValueError(job.name)

            worker = Worker("thumbs", process, {})
        """,
    })
    assert found(tmp_path, diagnostics) == {("worker.py", 16, "QL101"), ("worker.py", 21, "QL101")}
    messages = sorted(d.message for d in diagnostics)
    assert "'export_csv', 'export_pdf'" in messages[0] and "'thumb-small'" in messages[1]
    assert {d.severity.value for d in diagnostics} == {"warning"}


def _producers(tmp_path: Path) -> set[tuple[str, int, str, str, str]]:
    from queuelint import engine
    from queuelint.config import Settings

    result = engine.analyse([str(tmp_path)], Settings(root=str(tmp_path)), jobs=1)
    assert result.graph is not None
    return {(Path(s.path).relative_to(tmp_path).as_posix(), s.producer.span.line, s.producer.library, s.queue.value,
             s.job.value) for s in result.graph.producers()}


def test_rq_job_decorators_direct_aliased_and_subclassed_make_delay_an_rq_producer(tmp_path: Path) -> None:
    """`fn.delay()` reads as Celery's where it is written; the decorator of `fn`, found by
    resolution across modules (RQ's `@job`, `partial()` of a subclass of it), makes it RQ's:
    on the decorator's queue, and `fn` a job function whose failures are read."""
    diagnostics = run(tmp_path, {
        "app/__init__.py": "",
        "app/worker.py": """
            from functools import partial

            from rq.decorators import job as rq_job

            from app.redis import connection


            class TimedJob(rq_job):
                queue_class = None


            job = partial(TimedJob, connection=connection)
        """,
        "app/mail.py": """
            import logging

            from app.worker import job

            log = logging.getLogger(__name__)


            @job("emails")
            def send(to):
                try:
                    deliver(to)
                except Exception:
                    log.exception("not sent")
        """,
        "app/reports.py": """
            from rq.decorators import job


            @job("reports", timeout=60)
            def build(report_id):
                if not report_id:
                    return {"ok": False, "error": "no report"}
                return {"ok": True}
        """,
        "app/views.py": """
            from app.mail import send
            from app.reports import build


            def signup(user):
                send.delay(user.email)
                build.delay(user.id)
        """,
    })
    assert _producers(tmp_path) == {("app/views.py", 7, "rq", "emails", "app.mail.send"),
                                    ("app/views.py", 8, "rq", "reports", "app.reports.build")}
    assert found(tmp_path, diagnostics) == {("app/mail.py", 13, "QL202"), ("app/reports.py", 8, "QL201")}


def test_a_delay_on_a_celery_task_beside_rq_jobs_stays_celery(tmp_path: Path) -> None:
    """A project decorator merely named `job`, and Celery's own tasks, are not RQ's."""
    run(tmp_path, {
        "app/__init__.py": "",
        "app/util.py": "def job(fn):\n    return fn\n",
        "app/tasks.py": """
            from celery import shared_task

            from app.util import job


            @shared_task
            @job
            def sync(account_id):
                pass
        """,
        "app/views.py": "from app.tasks import sync\n\n\ndef go():\n    sync.delay(1)\n",
    })
    assert _producers(tmp_path) == {("app/views.py", 5, "celery", "celery", "app.tasks.sync")}


def test_a_registration_a_test_expects_to_fail_is_not_registered(tmp_path: Path) -> None:
    """Under `with pytest.raises(…)` (or `assertRaises`), a test checks that a duplicate is
    rejected: that definition registers nothing. Outside one, a duplicate still is one."""
    diagnostics = run(tmp_path, {
        "tests/test_registry.py": """
            import unittest

            import dramatiq
            import pytest


            def test_rejected():
                @dramatiq.actor(actor_name="dup")
                def first():
                    pass

                with pytest.raises(ValueError):
                    @dramatiq.actor(actor_name="dup")
                    def second():
                        pass

                first.send()


            class Registry(unittest.TestCase):
                def test_rejected_too(self):
                    @dramatiq.actor(actor_name="again")
                    def one():
                        pass

                    with self.assertRaises(ValueError):
                        @dramatiq.actor(actor_name="again")
                        def other():
                            pass

                    one.send()


            def test_duplicated():
                @dramatiq.actor(actor_name="twice")
                def a():
                    pass

                @dramatiq.actor(actor_name="twice")
                def b():
                    pass

                a.send()
        """,
    })
    assert found(tmp_path, diagnostics) == {("tests/test_registry.py", 40, "QL104")}


def test_dramatiq_messages_for_pipelines_and_callbacks_produce_their_actors(tmp_path: Path) -> None:
    """`actor.message()` builds a message a pipeline or a group sends, and the callbacks of
    `send_with_options` name actors that get one: none of those actors is an orphan; the
    one nothing sends is."""
    diagnostics = run(tmp_path, {
        "jobs.py": """
            import dramatiq
            from dramatiq import pipeline


            @dramatiq.actor
            def fetch(url):
                return url


            @dramatiq.actor
            def parse(page):
                return page


            @dramatiq.actor
            def store(result):
                pass


            @dramatiq.actor
            def alert(message_data, exception_data):
                pass


            @dramatiq.actor
            def audit(message_data, result):
                pass


            @dramatiq.actor
            def forgotten():
                pass


            def crawl(url):
                pipeline([fetch.message(url), parse.message_with_options(args=())]).run()
                store.send_with_options(args=(1,), on_failure="alert", on_success=audit)
        """,
    })
    assert found(tmp_path, diagnostics) == {("jobs.py", 32, "QL103")}


def test_dramatiq_actors_made_by_calling_the_decorator(tmp_path: Path) -> None:
    """`sync = dramatiq.actor(_sync)` and `dramatiq.actor(queue_name=…)(fn)`: the function is
    an actor (its failures are read), sent under the name it is assigned to."""
    diagnostics = run(tmp_path, {
        "jobs.py": """
            import logging

            import dramatiq

            log = logging.getLogger(__name__)


            def _sync(user_id):
                try:
                    pull(user_id)
                except Exception:
                    log.exception("sync failed")


            def _index(doc_id):
                reindex(doc_id)


            sync = dramatiq.actor(_sync)
            index = dramatiq.actor(queue_name="search", max_retries=3)(_index)


            def changed(user_id, doc_id):
                sync.send(user_id)
                index.send(doc_id)
        """,
    })
    assert found(tmp_path, diagnostics) == {("jobs.py", 12, "QL202")}
    assert _producers(tmp_path) == {("jobs.py", 25, "dramatiq", "default", "_sync"),
                                    ("jobs.py", 26, "dramatiq", "search", "_index")}


def test_a_project_s_own_send_task_is_not_celery_s(tmp_path: Path) -> None:
    """Celery's `send_task` is a method of an app. A project's function of that name (called
    bare, or held in a field) sends nothing Celery knows of."""
    run(tmp_path, {
        "app/__init__.py": "",
        "app/worker.py": "from celery import Celery\n\ncelery_app = Celery('app')\n",
        "app/base.py": "import dramatiq\n\n\ndef send_task(actor, *args):\n    actor.send(*args)\n",
        "app/users.py": """
            from app.base import send_task
            from app.worker import celery_app


            class Users:
                def __init__(self, send_task):
                    self.send_task = send_task

                def registered(self, user_id):
                    self.send_task(on_registered, user_id)
                    send_task(on_registered, user_id)
                    celery_app.send_task("app.mail.welcome", args=[user_id])
        """,
    })
    assert {(path, job) for path, _, library, _, job in _producers(tmp_path) if library == "celery"} == {
        ("app/users.py", "app.mail.welcome")}


def test_bullmq_python_processors_defined_elsewhere_or_as_instances_are_read(tmp_path: Path) -> None:
    """`Worker('q', Billing(gateway))` runs the instance's `__call__`; `Worker('q', process)`
    with `process` imported runs that function: each is read where it is written, for its
    routing and its failures."""
    diagnostics = run(tmp_path, {
        "app/__init__.py": "",
        "app/billing.py": """
            import logging

            log = logging.getLogger(__name__)


            class Billing:
                def __init__(self, gateway):
                    self.gateway = gateway

                async def __call__(self, job, token):
                    if job.name == "charge":
                        return await self.gateway.charge(job.data)
                    elif job.name == "refund":
                        return await self.gateway.refund(job.data)
        """,
        "app/mail.py": """
            import logging

            log = logging.getLogger(__name__)


            async def process(job, token):
                try:
                    await deliver(job.data)
                except Exception:
                    log.exception("mail failed")
        """,
        "app/main.py": """
            from bullmq import Queue, Worker

            from app.billing import Billing
            from app.mail import process


            class Receipts:
                async def __call__(self, job, token):
                    match job.name:
                        case "send":
                            return await send(job.data)
                        case _:
                            print("unknown receipt job", job.name)


            billing = Queue("billing")
            mail = Queue("mail")
            receipts = Queue("receipts")


            async def run(gateway):
                await billing.add("charge", {})
                await billing.add("refund", {})
                await mail.add("welcome", {})
                await receipts.add("send", {})
                Worker("billing", Billing(gateway))
                Worker("mail", process)
                Worker("receipts", Receipts())
        """,
    })
    assert found(tmp_path, diagnostics) == {("app/billing.py", 12, "QL203"), ("app/mail.py", 10, "QL202"),
                                            ("app/main.py", 13, "QL203")}


def test_rq_jobs_created_then_enqueued_are_produced_and_read(tmp_path: Path) -> None:
    """`Job.create(func=…)` then `queue.enqueue_job(job)`: the function is enqueued on that
    queue, and read as a job function."""
    diagnostics = run(tmp_path, {
        "jobs.py": """
            import logging

            log = logging.getLogger(__name__)


            def thumb(doc_id):
                try:
                    shrink(doc_id)
                except Exception:
                    log.exception("thumb failed")
        """,
        "app.py": """
            from redis import Redis
            from rq import Queue
            from rq.job import Job

            from jobs import thumb

            conn = Redis()
            docs = Queue("docs", connection=conn)


            def start(doc_id):
                job = Job.create(func=thumb, kwargs={"doc_id": doc_id}, connection=conn)
                docs.enqueue_job(job)
                docs.enqueue_job(job=Job.create(thumb, args=(doc_id,), connection=conn))
        """,
    })
    assert found(tmp_path, diagnostics) == {("jobs.py", 10, "QL202")}
    assert _producers(tmp_path) == {("app.py", 13, "rq", "docs", "jobs.thumb"), ("app.py", 15, "rq", "docs", "jobs.thumb")}


def test_setup_before_the_try_is_not_work_beside_it(tmp_path: Path) -> None:
    """Making an object, reading a clock or looking something up before the `try` sets the
    work up; a call that does work of its own makes the `try` a best-effort step."""
    diagnostics = run(tmp_path, {
        "actors.py": """
            import logging
            import time

            import dramatiq
            import requests

            log = logging.getLogger(__name__)


            @dramatiq.actor(max_retries=5)
            def sync(sku):
                repo = StockRepository(get_connection())
                started = time.monotonic()
                try:
                    repo.save(requests.get(f"https://stock/{sku}", timeout=5).json())
                except requests.Timeout:
                    log.warning("stock service slow after %s", time.monotonic() - started)


            @dramatiq.actor(max_retries=5)
            def rebuild(sku):
                rebuild_index(sku)
                try:
                    requests.post(f"https://cache/{sku}", timeout=5)
                except requests.Timeout:
                    log.info("cache not warmed")


            def go():
                sync.send("a")
                rebuild.send("a")
        """,
    })
    assert found(tmp_path, diagnostics) == {("actors.py", 17, "QL202")}


def test_an_actor_sent_from_a_module_that_never_names_dramatiq(tmp_path: Path) -> None:
    """`from .actors import export; export.send(…)` in a module that names no queue library:
    found on demand, so the actor is produced (no orphan) and the send is checked."""
    diagnostics = run(tmp_path, {
        "app/__init__.py": "",
        "app/actors.py": """
            import dramatiq


            @dramatiq.actor(queue_name="reports")
            def build(account_id):
                pass


            @dramatiq.actor(queue_name="reports")
            def export(account_id):
                pass


            def rebuild(account_id):
                build.send(account_id)
        """,
        "app/jobs.py": "from .actors import export\n\n\ndef export_all(ids):\n    for i in ids:\n        export.send(i)\n",
    })
    assert found(tmp_path, diagnostics) == set()
    assert ("app/jobs.py", 6, "dramatiq", "reports", "export") in _producers(tmp_path)


def test_rq_job_decorators_given_a_queue_object_or_a_constant_from_another_module(tmp_path: Path) -> None:
    """`@job(URGENT)` with `URGENT = Queue("urgent", …)` in a module of queues, `@job(SLOW)`
    with `SLOW = "slow"`, an `async def` job, and a queue made from what is not known: each
    `.delay()` is a producer of its queue, or, for the last, listed as not followed (never
    dropped in silence)."""
    from queuelint import engine
    from queuelint.config import Settings
    from tests.helpers import write_project

    write_project(tmp_path, {
        "store/__init__.py": "",
        "store/queues.py": """
            from redis import Redis
            from rq import Queue
            conn = Redis()
            URGENT = Queue("urgent", connection=conn)
            SLOW = "slow"
            ELSEWHERE = Queue(conn.get("name"), connection=conn)
        """,
        "store/jobs.py": """
            from rq.decorators import job
            from store.queues import URGENT, SLOW, ELSEWHERE

            @job(URGENT)
            async def reprice(item_id):
                pass

            @job(SLOW)
            def archive(item_id):
                pass

            @job(ELSEWHERE)
            def mirror(item_id):
                pass
        """,
        "store/views.py": """
            from store import jobs
            from store.jobs import reprice

            def on_save(item_id):
                reprice.delay(item_id)
                jobs.archive.delay(item_id)
                jobs.mirror.delay(item_id)
        """,
    })
    result = engine.analyse([str(tmp_path)], Settings(root=str(tmp_path)), jobs=1)
    assert result.graph is not None
    known = {(s.span.line, s.queue.value, s.job.value) for s in result.graph.producers() if s.queue.is_value}
    assert known == {(6, "urgent", "store.jobs.reprice"), (7, "slow", "store.jobs.archive")}
    listed = {(Path(span.path).name, span.line) for span, what in result.graph.unresolved if "queue" in what}
    assert ("views.py", 8) in listed


def test_celery_sends_once_the_transaction_commits(tmp_path: Path) -> None:
    """Celery's Django task class: `delay_on_commit` and `apply_async_on_commit` send the task
    (a module using nothing else of Celery's is read for them)."""
    from queuelint import engine
    from queuelint.config import Settings
    from tests.helpers import write_project

    write_project(tmp_path, {
        "shop/__init__.py": "",
        "shop/celery.py": "from celery import Celery\napp = Celery('shop')\n",
        "shop/tasks.py": "from shop.celery import app\n\n@app.task\ndef reindex(item_id):\n    pass\n",
        "shop/models.py": """
            from shop.tasks import reindex

            def save(item_id):
                reindex.delay_on_commit(item_id)
                reindex.apply_async_on_commit((item_id,), countdown=5)
        """,
    })
    result = engine.analyse([str(tmp_path)], Settings(root=str(tmp_path)), jobs=1)
    assert result.graph is not None
    assert {(Path(s.path).name, s.span.line, s.job.value) for s in result.graph.producers() if s.job.is_value} == {
        ("models.py", 5, "shop.tasks.reindex"), ("models.py", 6, "shop.tasks.reindex")}


def test_an_actor_decorator_of_another_package_and_the_standard_library_s_calls_are_not_guessed(tmp_path: Path) -> None:
    """`@broker.actor(actor_name=…, queue_name=…)` on an object made by another installed
    package (a Flask extension): what it makes is not known, so its actors' sends are neither
    named nor queued by a guess (not as the function's path on `default`). And
    `unittest.mock.call.apply_async(…)` in a test is no Celery producer."""
    from queuelint import engine
    from queuelint.config import Settings

    files = {
        "app/__init__.py": "from vendor_ext.dramatiq import FlaskDramatiq\n\ndramatiq = FlaskDramatiq()\n",
        "app/tasks.py": """
            from app import dramatiq

            @dramatiq.actor(actor_name="alerts.publish", queue_name="alerts")
            def publish(alert_id):
                return alert_id

            def later(alert_id):
                publish.send(alert_id)
        """,
        "tests/test_tasks.py": """
            from unittest.mock import call
            from app.tasks import later

            def test_later(mocker):
                sent = mocker.patch("app.tasks.publish.send")
                later(1)
                assert call.apply_async(alert_id=1) not in sent.call_args_list
        """,
    }
    assert found(tmp_path, run(tmp_path, files)) == set()
    result = engine.analyse([str(tmp_path)], Settings(root=str(tmp_path)), jobs=1)
    assert result.graph is not None
    # The send stays a producer whose queue and name are not known (listed as not followed).
    assert [(s.path.rsplit("/", 1)[-1], s.queue.is_value, s.job.is_value) for s in result.graph.producers()] \
        == [("tasks.py", False, False)]


def test_an_rq_queue_made_by_a_function_of_the_project(tmp_path: Path) -> None:
    """`def get_queue(name="default"): return Queue(name, …)`: `q = get_queue()` then
    `q.enqueue(…)`, and `get_queue("high").enqueue(…)`, in modules that never name RQ, are
    producers of the queue each call makes; a function returning something else is not one."""
    from queuelint import engine
    from queuelint.config import Settings

    files = {
        "app/__init__.py": "",
        "app/db.py": """
            from redis import Redis
            from rq import Queue

            redis_conn = Redis()

            def get_queue(name="default"):
                return Queue(name, connection=redis_conn)

            def get_client(name="default"):
                return redis_conn
        """,
        "app/jobs.py": "def worker_function(event, *args):\n    return event\n",
        "app/recruit.py": """
            from app.db import get_client, get_queue
            from app.jobs import worker_function

            def submit(assignment_id):
                q = get_queue()
                q.enqueue(worker_function, "Submitted", assignment_id)

            def urgent():
                get_queue("high").enqueue(worker_function, "Urgent")

            def other():
                get_client().enqueue(worker_function)
        """,
    }
    run(tmp_path, files)
    result = engine.analyse([str(tmp_path)], Settings(root=str(tmp_path)), jobs=1)
    assert result.graph is not None
    assert sorted((s.span.line, s.queue.value, s.job.value) for s in result.graph.producers()) == [
        (7, "default", "app.jobs.worker_function"), (10, "high", "app.jobs.worker_function")]


def test_tasks_reached_through_a_package_that_imports_its_submodules(tmp_path: Path) -> None:
    """`from app import tasks` then `tasks.jobs.reindex.delay()`, where `app/tasks/__init__.py`
    says `from app.tasks import jobs, mail`: the submodule the package imports (and one it
    does not import, by its file)."""
    from queuelint import engine
    from queuelint.config import Settings

    files = {
        "app/__init__.py": "",
        "app/celery_app.py": "from celery import Celery\n\ncelery = Celery('app')\n",
        "app/tasks/__init__.py": "from app.tasks import jobs, mail\n\nRETRIES = 3\n",
        "app/tasks/jobs.py": "from app.celery_app import celery\n\n@celery.task\ndef reindex(name):\n    pass\n",
        "app/tasks/mail.py": "from app.celery_app import celery\n\n@celery.task\ndef send(to):\n    pass\n",
        "app/tasks/extra.py": "from app.celery_app import celery\n\n@celery.task\ndef tidy():\n    pass\n",
        "app/views.py": """
            from app import tasks
            from app.tasks import mail

            def admin(request):
                tasks.jobs.reindex.delay(request.params["name"])
                mail.send.delay("a@example.com")
                tasks.extra.tidy.delay()
        """,
    }
    run(tmp_path, files)
    result = engine.analyse([str(tmp_path)], Settings(root=str(tmp_path)), jobs=1)
    assert result.graph is not None
    assert sorted((s.span.line, s.job.value) for s in result.graph.producers()) == [
        (6, "app.tasks.jobs.reindex"), (7, "app.tasks.mail.send"), (8, "app.tasks.extra.tidy")]
