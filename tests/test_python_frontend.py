"""Extraction from single Python files: facts only, no judgement."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from queuelint.frontends import extract
from queuelint.model import Expr, FileFacts, from_json, to_json
from queuelint.modules import ModuleLocator
from queuelint.resolve import Resolver
from tests.helpers import write_project


def facts(source: str, path: str = "proj/tasks.py") -> FileFacts:
    return extract(path, source.encode())


def test_celery_tasks_names_and_bind() -> None:
    f = facts("""
from celery import shared_task
from proj.celery import app

@shared_task
def plain(x):
    pass

@app.task(name="billing.charge", bind=True)
def charge(self, invoice):
    pass
""", "/nonexistent/tasks.py")
    # A default name is the function's in the module the file is imported as, told when
    # resolving (it depends on the `__init__.py` files around it).
    assert [(c.kind, c.routes[0].job) for c in f.consumers] == [
        ("celery-task", Expr("module_member", "plain")), ("celery-task", Expr.literal("billing.charge"))]
    assert ("plain", f.consumers[0].routes[0].job) in f.bindings


def test_celery_default_name_follows_the_package(tmp_path: Path) -> None:
    """`proj/app/tasks.py` in packages is `proj.app.tasks`; `app/importers/github/tasks.py`
    with no `github/__init__.py` is imported as `app.importers.github.tasks` (a namespace
    package inside a package); a tree of no packages at all names the file alone."""
    write_project(tmp_path, {"proj/__init__.py": "", "proj/app/__init__.py": "", "app/__init__.py": "",
                             "app/importers/__init__.py": "", "scripts/jobs/run.py": ""})
    task = "from celery import shared_task\n@shared_task\ndef go():\n    pass\n"
    for path, name in [("proj/app/tasks.py", "proj.app.tasks.go"),
                       ("app/importers/github/tasks.py", "app.importers.github.tasks.go"),
                       ("app/importers/github/deep/tasks.py", "app.importers.github.deep.tasks.go"),
                       ("scripts/jobs/tasks.py", "tasks.go")]:
        file = str(tmp_path / path)
        resolver = Resolver(lambda p: None, ModuleLocator([str(tmp_path)]))
        assert resolver.name(facts(task, file).consumers[0].routes[0].job, file).value == name


def test_celery_producers() -> None:
    f = facts("""
from celery import current_app, signature
from .tasks import send_email
from . import names

def go(user_id):
    send_email.delay(1)
    send_email.apply_async(args=[1], queue="mail")
    send_email.s(1)
    current_app.send_task("billing.charge", args=[1])
    current_app.send_task(names.REFUND)
    signature("billing.refund", args=[1])
    current_app.send_task(f"reports.{user_id}")
""")
    jobs = [(p.call, p.job.kind, p.job.text) for p in f.producers]
    assert jobs == [
        ("delay", "ref", "send_email"), ("apply_async", "ref", "send_email"), ("s", "ref", "send_email"),
        ("send_task", "str", "billing.charge"), ("send_task", "ref", "names.REFUND"),
        ("signature", "str", "billing.refund"), ("send_task", "dynamic", 'f"reports.{user_id}"'),
    ]


def test_beat_schedule_and_routes_name_tasks() -> None:
    f = facts("""
CELERY_BEAT_SCHEDULE = {"nightly": {"task": "proj.tasks.nightly", "schedule": 60}}
CELERY_ROUTES = {"proj.tasks.mail": {"queue": "mail"}, "proj.tasks.*": {"queue": "default"}}
""", "proj/settings.py")
    assert [(p.call, p.job.text) for p in f.producers] == [("beat", "proj.tasks.nightly"), ("route", "proj.tasks.mail")]


def test_arq_worker_settings_and_enqueue() -> None:
    f = facts("""
from arq import cron
from arq.worker import func

async def a(ctx): pass
async def b(ctx): pass

class WorkerSettings:
    functions = [a, func(b, name="bee")]
    cron_jobs = [cron(a, hour=1)]
    queue_name = "jobs"

async def go(redis):
    await redis.enqueue_job("a", _queue_name="jobs", _job_id="x")
""")
    # A cron job is named `cron:` + its function's name (arq's `cron()`), not the function's.
    assert [(c.routes[0].job.text, c.queue.text) for c in f.consumers] == [("a", "jobs"), ("bee", "jobs"),
                                                                           ("cron:a", "jobs")]
    assert {c.owner for c in f.consumers} == {"WorkerSettings"}
    produced = [(p.call, p.job.text, p.queue.text, [o.key for o in p.options]) for p in f.producers]
    assert produced == [("cron", "cron:a", "jobs", []), ("enqueue_job", "a", "jobs", ["_queue_name", "_job_id"])]


def test_dramatiq_actors_and_sends() -> None:
    f = facts("""
import dramatiq

@dramatiq.actor(queue_name="mail", max_retries=3)
def welcome(user): pass

def go():
    welcome.send(1)
""")
    (consumer,) = f.consumers
    assert (consumer.routes[0].job.text, consumer.queue.text) == ("welcome", "mail")
    assert ("welcome.__queue__", consumer.queue) in f.bindings
    assert [(p.job.text, p.queue.text) for p in f.producers] == [("welcome", "welcome.__queue__")]


def test_rq_enqueue_forms() -> None:
    f = facts("""
from rq import Queue

def job(): pass

def go(redis):
    q = Queue("high", connection=redis)
    q.enqueue("pkg.mod.fn", 1)
    q.enqueue(job)
    q.enqueue_call(func="pkg.mod.other", args=(1,))
""", "/nonexistent/mod.py")
    assert [(p.job, p.queue.text) for p in f.producers] == [
        (Expr.literal("pkg.mod.fn"), "high"), (Expr("module_member", "job"), "high"),
        (Expr.literal("pkg.mod.other"), "high")]


def test_bullmq_python_routing_with_match() -> None:
    f = facts("""
from bullmq import Queue, Worker

async def process(job, token):
    match job.name:
        case "resize":
            return 1
        case "crop" | "rotate":
            return 2
        case _:
            raise ValueError(job.name)

async def main():
    queue = Queue("images")
    await queue.add("resize", {}, {"attempts": 2})
    Worker("images", process, {})
""")
    (consumer,) = f.consumers
    assert [r.job.text for r in consumer.routes] == ["resize", "crop", "rotate"]
    assert consumer.router is not None and consumer.router.fallback == "throws"
    assert [(p.queue.text, p.job.text, p.library) for p in f.producers] == [("images", "resize", "bullmq")]


def test_returned_and_swallowed_errors() -> None:
    f = facts("""
from celery import shared_task

@shared_task
def a():
    try:
        work()
    except Exception as exc:
        return exc

@shared_task(bind=True)
def b(self):
    try:
        work()
    except Exception as exc:
        log.error(exc)

@shared_task(bind=True)
def c(self):
    try:
        work()
    except Exception as exc:
        raise self.retry(exc=exc)
""")
    by_name = {c.handler: c for c in f.consumers}
    assert [x.detail for x in by_name["a"].returned_errors] == ["return exc"]
    assert len(by_name["b"].swallowed_errors) == 1 and not by_name["c"].swallowed_errors


def test_newest_syntax_parses_and_python2_is_a_problem() -> None:
    assert not facts("type A[T] = list[T]\ntry:\n    pass\nexcept A, B:\n    pass\n").problems
    broken = facts('import celery\nprint "hello"\n')
    assert broken.problems and broken.problems[0].message.startswith("cannot parse")


def test_noqa_suppressions() -> None:
    f = facts("x = 1  # noqa: QL101, dynamic-job-name\ny = 2  # noqa: E501\nz = 3  # noqa\n"
              "a = 4  # noqa: members-leak -- a marker another tool greps for\n"
              "b = 5  # noqa: dynamic-job-nmae\n")  # a misspelt rule: queuelint's, for QL002 to report
    assert [(s.target_line, s.codes) for s in f.suppressions] == [(1, ("QL101", "dynamic-job-name")),
                                                                  (5, ("dynamic-job-nmae",))]


def test_python_facts_round_trip() -> None:
    f = facts("from celery import shared_task\n@shared_task\ndef go():\n    return {'ok': False}\n")
    assert from_json(FileFacts, to_json(f)) == f


def test_arq_functions_from_a_module_level_list() -> None:
    f = facts("""
async def a(ctx): pass

BACKGROUND_FUNCTIONS: list = [a]

class ArqWorkerSettings:
    functions: list = BACKGROUND_FUNCTIONS
""")
    assert [c.routes[0].job.text for c in f.consumers] == ["a"]


def test_celery_class_based_task() -> None:
    f = facts("""
from celery import Task

class Sync(Task):
    name = "accounts.sync"

    def run(self, account_id):
        try:
            pull(account_id)
        except Exception:
            pass

class Base(Task):
    abstract = True
""")
    (consumer,) = f.consumers
    assert (consumer.handler, consumer.routes[0].job.text) == ("Sync.run", "accounts.sync")
    assert len(consumer.swallowed_errors) == 1


def test_slicing_keeps_lines_and_what_matters() -> None:
    from queuelint.frontends.python.slicing import slice_source

    text = (
        "import os\n"
        "NAME = 'x'\n"
        "\n"
        "def unused(a):\n"
        "    return a + 1\n"
        "\n"
        "@shared_task\n"
        "def job():\n"
        "    # inside a statement: kept\n"
        "    helper(1)\n"
        "# between statements: dropped\n"
        "class Names:\n"
        "    A = 'a'\n"
        "class Model:\n"
        "    def save(self):\n"
        "        pass\n"
    )
    sliced = slice_source(text)
    assert sliced is not None
    # Each line kept, with the number it has in the file (`helper`, which the task calls,
    # would stay; `unused` leaves a stub; the method body of Model goes with its class; blank
    # and comment lines between statements go).
    assert list(zip(sliced.lines, sliced.text.splitlines(), strict=True)) == [
        (1, "import os"), (2, "NAME = 'x'"), (4, "def unused(): ..."),
        (7, "@shared_task"), (8, "def job():"), (9, "    # inside a statement: kept"), (10, "    helper(1)"),
        (12, "class Names:"), (13, "    A = 'a'"), (14, "class Model: ..."),
    ]
    newer = "try:\n    pass\nexcept A, B:\n    pass\n"
    assert slice_source(newer) is None  # syntax the running Python may lack: parsed whole by libcst



def test_slicing_reads_what_a_decorator_calls_not_its_arguments() -> None:
    """A test patched at `app.tasks.….delay` is not a task, nor is a function that calls a task
    directly or builds a `factory`; a task decorator under an alias is one."""
    from queuelint.frontends.python.slicing import slice_source

    text = (
        "from unittest.mock import patch\n"
        "from dramatiq import actor as background\n"
        "\n"
        "@patch('shop.tasks.send_receipt.delay')\n"
        "def test_receipt(mocked):\n"
        "    cleanup_task()\n"
        "    return factory.build()\n"
        "\n"
        "@background(queue_name='mail')\n"
        "def send_receipt(order_id):\n"
        "    return order_id\n"
    )
    sliced = slice_source(text)
    assert sliced is not None
    assert "def test_receipt(): ..." in sliced.text and "cleanup_task" not in sliced.text
    assert "    return order_id\n" in sliced.text
    (consumer,) = facts(text).consumers
    assert (consumer.library, consumer.queue.text, consumer.routes[0].job.text) == ("dramatiq", "mail", "send_receipt")


POSITION_CASES = [
    "# header comment\nimport x\n\n\n# about f\n@dec  # trailing\n# between decorators\n@dec2(1,\n      2)\n"
    "async def f(a,\n            b):\n    return g(a); h(b)\n\nclass C(Base):\n    '''doc'''\n    name = 'c'\n\n"
    "    def run(self):\n        if x: y()\n        return [z(i) for i in range(3)]\n",
    "a = 1; b = f(\n    2)\nif a:\n    pass\nelse:\n    c = {'k': [1,\n  2]}\n",
    "def one():\n    return 1\r\n\r\ndef two():\r\n    return 'é' + x(1)\r\n",
    "class Outer:\n    x = 1; y = 2\n\n    # about the method\n    @staticmethod\n    def method(a,\n               b):\n"
    "        def inner():\n            return call(a,\n                        b)\n        first(); second(\n  a)\n"
    "        class Deep:\n            def run(self): return go(1)\n\n    def one_liner(self): return 2\n",
]


def test_positions_match_libcst_on_every_node() -> None:
    """Spans come from rendering one top-level statement, shifted by where the stdlib parser
    says it starts: they must equal libcst's own positions for the whole module."""
    import libcst as cst
    from libcst.metadata import MetadataWrapper, PositionProvider

    from queuelint.frontends.python.syntax import Positions, children, walk

    sources = list(POSITION_CASES)
    for path in sorted(Path(__file__).resolve().parent.parent.glob("fixtures/**/*.py")):
        sources.append(path.read_text(encoding="utf-8"))
    checked = 0
    for number, source in enumerate(sources):
        module = cst.parse_module(source)
        expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
        positions = Positions("f.py", module, source)
        if number % 2:  # half the time, the statements holding each node are learnt on a walk
            walk(module, cst.CSTVisitor(), positions)
            assert positions.indexed
        stack: list[cst.CSTNode] = list(module.body)
        while stack:
            node = stack.pop()
            stack.extend(children(node))
            want = expected[node]
            span = positions.span(node)
            assert (span.line, span.column, span.end_line, span.end_column) == (
                want.start.line, want.start.column + 1, want.end.line, want.end.column + 1), (source, node)
            checked += 1
    assert checked > 500


def test_a_walk_tells_positions_what_their_own_index_would() -> None:
    import libcst as cst

    from queuelint.frontends.python.syntax import Positions, walk

    for source in POSITION_CASES:
        module = cst.parse_module(source)
        walked, indexed = Positions("f.py", module, source), Positions("f.py", module, source)
        walk(module, cst.CSTVisitor(), walked)
        indexed._index()
        assert walked.owner == indexed.owner and len(walked.owner) > 15


def test_spans_asked_during_a_walk_need_no_index_of_the_whole_module(monkeypatch: pytest.MonkeyPatch) -> None:
    """An adapter asks, on a function, where things below it are (its name, a `raise` in its
    body): only that function is indexed, and the spans are libcst's own."""
    from collections.abc import Mapping

    import libcst as cst
    from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

    from queuelint.frontends.python import syntax

    def whole_module_index(self: syntax.Positions) -> None:
        raise AssertionError("indexed the whole module")

    monkeypatch.setattr(syntax.Positions, "_index", whole_module_index)

    class AskingBelow(cst.CSTVisitor):
        def __init__(self, expected: Mapping[cst.CSTNode, CodeRange], positions: syntax.Positions) -> None:
            super().__init__()
            self.expected, self.positions, self.checked = expected, positions, 0

        def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
            stack: list[cst.CSTNode] = syntax.children(node)
            while stack:
                below = stack.pop()
                stack.extend(syntax.children(below))
                want, span = self.expected[below], self.positions.span(below)
                assert (span.line, span.column, span.end_line, span.end_column) == (
                    want.start.line, want.start.column + 1, want.end.line, want.end.column + 1)
                self.checked += 1

    checked = 0
    for source in POSITION_CASES:
        module = cst.parse_module(source)
        expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
        positions = syntax.Positions("f.py", module, source)
        visitor = AskingBelow(expected, positions)
        syntax.walk(module, visitor, positions)
        checked += visitor.checked
    assert checked > 100


def test_string_values_equal_python_s_own() -> None:
    import ast

    import libcst as cst

    from queuelint.frontends.python.syntax import string_value

    for literal in ["'a'", '"b"', "''", '""', "'é x'", r"'a\'b'", r"'\n'", '"""t"""', "'''u'''", "r'a\\b'", "u'v'",
                    "b'w'", "f'x'", "'a' 'b'", "'#'"]:
        node = cst.parse_expression(literal)
        try:
            expected = ast.literal_eval(literal)
        except (ValueError, SyntaxError):
            expected = None
        assert string_value(node) == (expected if isinstance(expected, str) else None), literal


def test_a_handler_registered_by_reference_keeps_its_body() -> None:
    """The arq function holds no queue code itself; `functions = [send_email]` makes it a
    handler, so the parse must not drop it, nor the helpers it calls."""
    from queuelint.frontends.python.slicing import slice_source

    source = """from arq import cron


def log_failure(error):
    print(error)


async def send_email(ctx, to):
    try:
        deliver(to)
    except Exception as error:
        log_failure(error)
        return error


async def unrelated(ctx):
    return 1


class WorkerSettings:
    functions = [send_email]
"""
    (consumer,) = extract("worker.py", source.encode()).consumers
    assert consumer.handler == "send_email"
    assert [f.detail for f in consumer.returned_errors] == ["return error"]
    sliced = slice_source(source)
    assert sliced is not None
    assert "print(error)" in sliced.text and "deliver(to)" in sliced.text
    assert "return 1" not in sliced.text and "def unrelated(): ..." in sliced.text


def test_bullmq_python_producers_inside_functions_are_kept() -> None:
    facts = extract("producer.py", b"""
from bullmq import Queue

queue = Queue("mail")


async def welcome(user):
    await queue.add("welcome", {"id": user.id})


def unrelated(items, x):
    items.add(x)
""")
    assert [p.job.text for p in facts.producers] == ["welcome"]


def test_a_cut_file_reports_the_positions_of_the_whole_file(monkeypatch: pytest.MonkeyPatch) -> None:
    """Dropped statements are removed before parsing; every span must still be the file's."""
    import queuelint.frontends.python.extract as python_extract

    source = "\n".join([
        "from celery import shared_task",
        "",
        "def long_unrelated(a):",
        *[f"    a = a + {i}" for i in range(40)],
        "    return a",
        "",
        "if __name__ == '__main__':",
        "    long_unrelated(1)",
        "",
        "class Service:",
        "    QUEUE = 'mail'",
        "    def helper(self):",
        *[f"        x = {i}" for i in range(20)],
        "    def notify(self):",
        "        send_email.delay('a@b.c')",
        "",
        "@shared_task(name='mail.send',",
        "             bind=True)",
        "def send_email(self, to):",
        "    try:",
        "        deliver(to)",
        "    except Exception as error:",
        "        return error",
        "",
    ]).encode()
    cut = python_extract.extract("tasks.py", source)
    monkeypatch.setattr(python_extract, "slice_source", lambda text, calls, kept: None)
    whole = python_extract.extract("tasks.py", source)
    assert cut.producers == whole.producers and cut.consumers == whole.consumers
    assert [p.span.line for p in cut.producers] == [73]
    assert [f.span.line for c in cut.consumers for f in c.returned_errors] == [81]


@pytest.mark.parametrize(("source", "parsed"), [
    ("from celery import shared_task\n", True),
    ("CELERY_BEAT_SCHEDULE = {'nightly': {'task': 'shop.tasks.nightly'}}\n", True),
    ("CELERY_TASK_ROUTES = {'shop.tasks.*': {'queue': 'shop'}}\n", True),
    ("send_receipt.delay(1)\n", True),
    ("from proj.worker import app\n@app.task\ndef go(): pass\n", True),  # the app from the project
    ("from proj.worker import app\n@app.task(bind=True)\ndef go(self): pass\n", True),
    ("from proj.worker import app\n@app.task  # weekly\ndef go(): pass\n", True),
    ("self.task = make_task()\n", False),
    # A test passing a queue setting around holds no queue code: not parsed up front.
    ("def test_order(settings):\n    assert call(queue=settings.ORDERS_CELERY_QUEUE)\n", False),
])
def test_python_prefilter(source: str, parsed: bool) -> None:
    from queuelint.discover import may_hold_queue_code

    assert may_hold_queue_code(source.encode(), (), "python") is parsed


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["celery", "CELERY", "_BEAT_SCHEDULE", "BEAT", "task", "_routes", "send_", "shared_",
                                 ".delay(", ".task", "@app", "(", "\r", "from ", "import ", "arq", "rq", "django_", "enqueue", " ", "\n",
                                 "x"]),
                max_size=12))
def test_python_prefilter_grouped_by_shared_words_equals_every_marker(parts: list[str]) -> None:
    from queuelint.discover import PYTHON_MARKERS, TASK_DECORATOR, may_hold_queue_code

    data = "".join(parts).encode()
    assert may_hold_queue_code(data, (), "python") == (any(marker in data for marker in PYTHON_MARKERS)
                                                       or TASK_DECORATOR.search(data) is not None)


@pytest.mark.parametrize("between", [
    "x = 1 \\\n\n",  # a backslash continues onto a blank line: that line ends the statement
    "x = 1 \\\n# a comment\n",
    "\x0c\n",  # a form feed (a page break): a line for `str.splitlines`, not for the parser
    "# a comment \x0c more\n\n",
    "# \x1c\x1d\x1e\x85\u2028 \n",  # separators `str.splitlines` also breaks at
    "s = \"\"\"a\x0cb\n\x0c\"\"\"\n",  # in a string that spans lines
])
def test_slicing_keeps_valid_files_valid(between: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from queuelint.frontends.python import extract as python_extract

    source = ("from celery import Celery\n" + between + "app = Celery('a')\n\n\n@app.task\ndef send(x):\n"
              "    return x\n\n\ndef unused():\n    return 1\n\n\napp.send_task('tasks.nope')\n").encode()
    cut = python_extract.extract("tasks.py", source)
    assert not cut.problems
    monkeypatch.setattr(python_extract, "slice_source", lambda text, calls, kept: None)
    whole = python_extract.extract("tasks.py", source)
    assert cut.producers == whole.producers and cut.consumers == whole.consumers and cut.producers


def test_the_input_digest_follows_what_extraction_reads() -> None:
    from queuelint.frontends import input_digest

    def digest(text: str) -> str:
        return input_digest("tasks.py", text.encode())

    base = ("from celery import shared_task\n\n\n@shared_task\ndef send(x):\n    return x\n\n\n"
            "def helper():\n    import os\n    return os\n")
    assert digest(base) == digest(base + "# a comment after the code\n")
    assert digest(base) == digest(base.replace("return os", "return os.sep"))  # a dropped body
    assert digest(base) != digest(base.replace("return x", "return x  # noqa: QL101"))
    # Queue libraries imported anywhere: what is reported of a file libcst cannot parse.
    assert digest(base) != digest(base.replace("import os", "import rq"))
    assert digest(base) != digest(base.replace("return x", "return x + 1"))


def test_a_declared_source_encoding_is_honoured() -> None:
    """PEP 263: a Latin-1 file that says so is valid Python, names and strings included; the
    same bytes without the declaration are not UTF-8, and that is reported."""
    source = "# -*- coding: latin-1 -*-\nfrom celery import shared_task\n@shared_task\ndef grüße(name):\n" \
             "    return 'Grüße, ' + name\n"
    declared = extract("proj/tasks.py", source.encode("latin-1"))
    assert declared.problems == ()
    assert [c.routes[0].job.text.rsplit(".", 1)[-1] for c in declared.consumers] == ["grüße"]
    undeclared = extract("proj/tasks.py", source.split("\n", 1)[1].encode("latin-1"))
    assert [p.message.split(" (")[0] for p in undeclared.problems][:1] == ["not valid UTF-8"]
