"""The neutral vocabulary shared by every stage: the facts.

Front-ends produce `FileFacts`; everything downstream reads them. All records are frozen
dataclasses that round-trip through JSON (`to_json` / `from_json`), which is what lets the
engine cache facts by content hash and exchange them between repositories. What a run
reports lives in `findings`, what the config declares in `config`.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeVar, Union

from queuelint.findings import Span

ExprKind = Literal["str", "ref", "concat", "queue", "queue_name", "param", "module_member", "call", "function",
                   "function_path", "choice", "decorated", "given", "pick", "table", "dynamic", "unknown"]


@dataclass(frozen=True)
class Expr:
    """A queue or job name as written, before resolution.

    - ``str``: a known value (``text``).
    - ``ref``: a dotted name to look up (``JobName.SendEmail``), resolved across files.
    - ``concat``: template literal or ``+`` chain; resolved when every part is.
    - ``queue``: a queue object built with name ``parts[0]`` (``new Queue('emails')``).
    - ``queue_name``: the name of the queue object that ``parts[0]`` refers to.
    - ``param``: a parameter of function ``reason`` at position ``text`` (``0``, ``0.name``),
      known at that function's call sites; ``parts[0]`` is the source text.
    - ``module_member``: ``text`` in the Python module the file is imported as (a Celery task's
      default name, `proj.tasks.send`); which module that is depends on the `__init__.py`
      files around it, so it is told when resolving, not when the file is read.
    - ``choice``: ``switch (parts[0]) { case v: return r; … }``: each further part is a
      ``choice`` of two parts, a case's value and what it gives (a function choosing a queue
      by a parameter, evaluated once the call's argument is bound). A last case of one part
      is what any other value gives (`default:`, `case _:`, `else:`).
    - ``function_path``: the dotted import path of the function ``text`` names where it is
      written (`send_mail` imported from `app.jobs`: `app.jobs.send_mail`), as RQ names a job
      enqueued by reference; found by following the imports. With a part, the function is
      that part (a parameter of a wrapper, named at each call by what the call passes).
    - ``call``: what calling ``parts[0]`` (a ``ref`` to a function or method) with the
      arguments ``parts[1:]`` returns; ``text`` is the call as written. The flow stage
      evaluates it against the callee's summary.
    - ``function``: the summary of function ``text``: ``parts[0]`` is what it returns (with
      its parameters as ``param`` expressions), ``parts[1:]`` the default of each parameter
      (``unknown`` where there is none). Recorded as a binding under the function's name.
    - ``decorated``: a function's name or queue that depends on which library's decorator
      ``parts[0]`` (a reference to a project's own decorator) turns out to be: each further
      part is a ``choice`` of the decorator's kind (``dramatiq-actor``, or ``*`` for any
      other) and the value it gives.
    - ``given``: the keyword ``text`` a decorator factory's use site passes, else
      ``parts[0]`` (the parameter's default); bound with :meth:`Expr.given_by`.
    - ``pick``: the entry of the container ``parts[0]`` (a ``ref``) under the key ``parts[1]``
      (`queues[QueueName.Mail]`, `QUEUES[name]` with `name` a parameter), once the key is known.
    - ``table``: an object literal's entries whose keys are computed (`[QueueName.Mail]: …`),
      each a ``choice`` of two parts (the key, the value); bound under the object's name.
    - ``dynamic``: a per-call value (time, randomness, ids, request data); ``reason`` says which.
    - ``unknown``: something not understood statically; never reported as a mismatch.
      ``reason``, when set, says why in words (the text is then no code to quote).
    """

    kind: ExprKind
    text: str = ""
    reason: str = ""
    parts: tuple[Expr, ...] = ()

    @staticmethod
    def literal(value: str) -> Expr:
        return Expr("str", value)

    @staticmethod
    def unknown(text: str, why: str = "") -> Expr:
        return Expr("unknown", text, why)

    def given_by(self, keywords: Mapping[str, Expr]) -> Expr:
        """This expression with each ``given`` part replaced by the use site's keyword of
        that name, or by the parameter's default where the use site gives none."""
        if self.kind == "given":
            chosen = keywords.get(self.text)
            return chosen if chosen is not None else (self.parts[0] if self.parts else Expr.unknown(self.text))
        if not self.parts:
            return self
        return Expr(self.kind, self.text, self.reason, tuple(part.given_by(keywords) for part in self.parts))


@dataclass(frozen=True)
class Route:
    """One job name a consumer handles, and where that is written."""

    job: Expr
    span: Span


Fallback = Literal["throws", "silent", "missing", "handles"]


@dataclass(frozen=True)
class Router:
    """A `switch (job.name)` or `if (job.name === …)` chain inside a handler."""

    span: Span
    form: Literal["switch", "if", "guard"]  # guard: `if (job.name !== x) return`
    subject: str  # the routed expression as written, e.g. ``job.name``
    fallback: Fallback
    fallback_span: Span | None = None


@dataclass(frozen=True)
class BodyFact:
    """A statement in a handler body that matters for failure handling."""

    span: Span
    detail: str  # the source text, shortened
    via: str = ""  # the helper the handler delegates to, when the fact is inside it
    # A swallowed named exception: the retries the task's configuration gives it, which the
    # `except` keeps from running ("Dramatiq's retries of a failed actor (up to 20 by default)").
    retries: str = ""
    # Where the handler records the failure itself, beside the statement
    # (`export.status = Status.FAILED`, `update(id, { state: 'failed' })`): a failure design
    # of its own, not a lost error. The queue still sees a success.
    recorded: str = ""


@dataclass(frozen=True)
class Consumer:
    """A place that takes jobs off a queue: a processor method, a Worker, a process() call."""

    span: Span
    library: str
    kind: str  # process-decorator | worker-host | worker | process-call
    queue: Expr
    handler: str  # a readable id: ``PersonaProcessor.handle``
    routes: tuple[Route, ...] = ()
    accepts_any: bool = False  # no routing, '*', or a default branch that does real work
    router: Router | None = None
    owner: str = ""  # the processor class, when there is one
    # The function whose body registers it (a task defined inside a test), "" at module level:
    # such a registration happens each time that function runs, apart from the others.
    registered_in: str = ""
    returned_errors: tuple[BodyFact, ...] = ()
    swallowed_errors: tuple[BodyFact, ...] = ()
    job_calls: tuple[BodyFact, ...] = ()  # version-specific Job methods called (`progress`, `updateProgress`)
    # The processor is a function imported from another module: its facts are read there
    # (`Handler`) and replace the provisional "handles every name" above.
    handler_ref: str = ""
    # Made inside a registration helper whose parameter at this position is the processor
    # (`createWorker(name, processor)`): at each call, the argument passed there.
    processor_param: str = ""
    options: tuple[JobOption, ...] = ()  # the top-level keys of a Worker's options object
    # Functions of other modules the processor hands the job (or its data) to as its work, and
    # whether what each returns is what the processor returns: read there for how they fail.
    delegated: tuple[tuple[str, bool], ...] = ()
    # The processor is what a call of `handler_ref` returns (`dispatcher({ welcome: sendWelcome })`):
    # the keys of each object literal the call passes, by argument position, for a processor
    # that looks the job's name up in that parameter.
    passed_maps: tuple[tuple[int, tuple[Route, ...]], ...] = ()
    # Files besides its own this consumer was made from: the registration helper's module, the
    # processor's, what resolving them read (set by the analysis, never by a front-end).
    derived_from: tuple[str, ...] = ()


@dataclass(frozen=True)
class Handler:
    """What an exported function does as a job handler, read because a Worker elsewhere uses it."""

    name: str
    routes: tuple[Route, ...] = ()
    accepts_any: bool = True
    router: Router | None = None
    returned_errors: tuple[BodyFact, ...] = ()
    swallowed_errors: tuple[BodyFact, ...] = ()
    job_calls: tuple[BodyFact, ...] = ()
    span: Span | None = None  # the function's definition, where one was found
    # A factory whose returned processor looks the job's name up in its parameter at this
    # position (`dispatcher(handlers)` returning `(job) => handlers[job.name](job)`): the
    # routes are the keys each call passes there.
    map_param: int = -1


@dataclass(frozen=True)
class JobOption:
    """One key of a job's options object, as written (`repeat.cron` for a nested key)."""

    key: str
    span: Span
    value: Expr | None = None  # for scalar values; None for nested objects


# The reason a literal carries when it was written as a number: Bull's `process(5, fn)` takes
# a concurrency there, not a job name.
NUMBER = "a number"

# What a value chosen by the environment says of itself (`process.env.Q ?? 'mail'` is 'mail'
# where nothing is set): it matches as that value, but claims of absence are not made on it.
ASSUMED_UNSET = "taken as not set"

# The reason a `queue_name` expression carries where a queue object or its name may stand
# (RQ's `@job(URGENT)` or `@job("urgent")`): what `parts[0]` names, as an object or a string.
QUEUE_OR_NAME = "a queue or its name"
# ... where `parts[0]` may be a queue object, or a plain object whose `name` (`parts[1]`) is
# the queue's name (`spec.name` of `{ name: 'repo-index', … }` passed in).
QUEUE_OR_NAMED = "a queue or an object naming one"

# The reason a `queue_name` expression carries where it stands for an actor's name under an
# in-house decorator: the use site's keyword the decorator passes on as `actor_name`, else the
# last part (the function's name).
ACTOR_NAME = "the actor's name"

# The reason a `ref` carries when it was made independent of the file it is read in (an
# argument handed on through several calls: an object whose fields are read further in, such
# as `spec.name`): the file it is written in follows.
LOCATED = "written in "

# What a CommonJS module is as a whole (`module.exports = queue`): the export `require()` gives.
WHOLE_MODULE = "module.exports"
# The binding of a Dramatiq actor's queue: `fn.send()` produces onto `fn` + this.
ACTOR_QUEUE = ".__queue__"
# The decorator of a function that may be an RQ `@job` (`fn.delay()` enqueues it), bound to
# `fn` + this; its queue is bound to `fn` + ACTOR_QUEUE.
RQ_DECORATOR = ".__rq_job__"
# How a class's `bases` entry names an interface it implements (`implements JobManager`), not
# a class it extends: a call on an object declared as the interface is one of the class's, when
# the project has that one class implementing it.
IMPLEMENTS = "implements "
RQ_JOB_KIND = "rq-job"  # what RQ's `@job` decorator (or an in-house alias of it) makes
# The call of a producer made by a BullMQ job scheduler (`upsertJobScheduler`): a schedule, keyed
# by the scheduler's id, whose jobs are named by its template.
JOB_SCHEDULER = "upsertJobScheduler"


@dataclass(frozen=True)
class Producer:
    """A place that puts a job on a queue."""

    span: Span  # the job-name argument, or the call when the name is implicit
    library: str
    call: str  # add | addBulk | flow
    queue: Expr
    job: Expr
    options: tuple[JobOption, ...] = ()  # statically known keys of the job options
    via: str = ""  # the wrapper function this producer calls, when it was found through one
    arguments: tuple[Span, ...] = ()  # the call's arguments, for edits (quick fixes)
    # In a wrapper, under `if (options?.daily)`: the parameter ("1.daily") a call must pass for
    # the producer to run there.
    guard: str = ""
    # Files besides its own this producer was made from: the wrapper's module and what
    # resolving it read (set by the analysis, never by a front-end).
    derived_from: tuple[str, ...] = ()
    # The named function (or method, `Class.method`) it is written in: its calls are the
    # places this job is really put on the queue from (see `flow.callsites.relays`).
    within: str = ""

    def option(self, key: str) -> JobOption | None:
        return next((o for o in self.options if o.key == key), None)

    @property
    def schedules(self) -> bool:
        """Whether it sets up a schedule (a repeatable job, a job scheduler), whose name (with
        the repeat options, or the scheduler's id) keys it: one per entity is how several are
        kept apart."""
        return self.option("repeat") is not None or self.call == JOB_SCHEDULER


@dataclass(frozen=True)
class Field:
    key: str
    value: Expr
    span: Span


@dataclass(frozen=True)
class Argument:
    """An argument at a call site: a value, or the keys of an object literal."""

    span: Span
    value: Expr | None = None  # None for an object literal: see `fields`
    fields: tuple[Field, ...] = ()
    # A function written out here (`createWorker('mail', async (job) => { switch (job.name) … })`):
    # what it does as a job handler, should the callee make it a worker's processor.
    handler: Handler | None = None


@dataclass(frozen=True)
class CallSite:
    """A call to a function that may wrap a producer, recorded when such functions are known.

    ``target`` says how to find the callee: ``local:fn`` (same file), ``self:Class.method``,
    ``import:name`` (an imported function), ``member:Type.method`` (a method on a field of
    declared type ``Type``), ``static:Class.method`` (`WorkerManager.register(…)`).
    """

    span: Span
    name: str  # the callee's own name: `addJobToQueue`
    target: str  # empty when the callee cannot be located (a call on a local variable)
    args: tuple[Argument, ...]
    callee: Span | None = None  # the callee's name (`schedule` of a call over several lines)
    within: str = ""  # the function or method the call is written in (`Mailer.send`), where known


@dataclass(frozen=True)
class QueueDecl:
    """A queue registration or construction (``BullModule.registerQueue``, ``new Queue``)."""

    span: Span
    library: str
    # register (BullModule.registerQueue) | instance (new Queue) | inject | processor | root (the
    # options `BullModule.forRoot` gives every queue: no queue of its own)
    kind: str
    name: Expr
    default_options: tuple[JobOption, ...] = ()  # the keys of its `defaultJobOptions` object


@dataclass(frozen=True)
class ModuleDecl:
    """A NestJS ``@Module`` and the classes in its ``providers``."""

    span: Span
    name: str
    providers: tuple[tuple[str, Span], ...]


@dataclass(frozen=True)
class Import:
    local: str
    module: str
    imported: str  # a name, ``default``, or ``*`` for a namespace import


@dataclass(frozen=True)
class ReExport:
    exported: str  # ``*`` for ``export * from``
    module: str
    imported: str


@dataclass(frozen=True)
class Suppression:
    """A suppression comment and the line it applies to (`WHOLE_FILE`: every line)."""

    span: Span
    target_line: int
    codes: tuple[str, ...]  # codes or rule names as written; empty means every rule



@dataclass(frozen=True)
class Problem:
    """Why a file could only be read in part (becomes QL001)."""

    span: Span
    message: str
    kind: Literal["syntax", "encoding", "io"] = "syntax"
    in_queue_code: bool = True  # syntax: whether the unparsed statement looks like queue code


@dataclass(frozen=True)
class ApiUse:
    """A use of a library's API worth checking against the library in use (`queue.process` on
    a BullMQ queue, `Process` imported from `@nestjs/bullmq`), or that changes what a rule
    may claim (`RESULT_READ`)."""

    span: Span
    library: str
    api: str


# The api of an `ApiUse` that reads what a job returned (`job.returnvalue`,
# `job.waitUntilFinished()`, Bull's `job.finished()`, a `QueueEvents` listener): a handler that
# returns a failure may then be answering a caller, not hiding an error.
RESULT_READ = "job-result"


@dataclass(frozen=True)
class Unresolved:
    span: Span
    what: str


@dataclass(frozen=True)
class FileFacts:
    path: str
    language: str
    libraries: tuple[str, ...] = ()
    producers: tuple[Producer, ...] = ()
    consumers: tuple[Consumer, ...] = ()
    queues: tuple[QueueDecl, ...] = ()
    modules: tuple[ModuleDecl, ...] = ()
    imports: tuple[Import, ...] = ()
    exports: tuple[tuple[str, str], ...] = ()  # (exported name, local name)
    reexports: tuple[ReExport, ...] = ()
    bindings: tuple[tuple[str, Expr], ...] = ()  # top-level constants, flattened: ``JobName.A``
    classes: tuple[tuple[str, Span], ...] = ()  # class and function declarations, for lookups
    methods: tuple[str, ...] = ()  # the methods its classes define (`Task.schedule`), to find a call's callee
    # (class, the class it extends as written), and (class, IMPLEMENTS + an interface it implements)
    bases: tuple[tuple[str, str], ...] = ()
    calls: tuple[CallSite, ...] = ()
    api_uses: tuple[ApiUse, ...] = ()
    handlers: tuple[Handler, ...] = ()
    unresolved: tuple[Unresolved, ...] = ()
    suppressions: tuple[Suppression, ...] = ()
    problems: tuple[Problem, ...] = ()


# --- JSON round trip -----------------------------------------------------------------

T = TypeVar("T")


def to_json(value: Any) -> Any:
    """A JSON-ready structure for any record of this module."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (tuple, list)):
        return [to_json(v) for v in value]
    return value


def from_json(cls: type[T], data: Any) -> T:
    """Rebuild a record of type ``cls`` from `to_json` output."""
    return typing.cast(T, _decoder(cls)(data))


Decoder = Callable[[Any], Any]
_DECODERS: dict[Any, Decoder] = {}


def _identity(data: Any) -> Any:
    return data


def _decoder(tp: Any) -> Decoder:
    """A decoding function per type, built once: the cache reads thousands of records."""
    found = _DECODERS.get(tp)
    if found is None:
        # Records can nest themselves (`Expr.parts`): hand out a forwarder while building.
        _DECODERS[tp] = lambda data: _DECODERS[tp](data)
        found = _DECODERS[tp] = _build(tp)
    return found


def _leaf_kinds(tp: Any) -> tuple[type, ...] | None:
    """The Python types a plain JSON leaf of type `tp` may have (checked, so that a cache file
    of another shape is refused when read rather than failing a rule later); None if not a leaf."""
    if tp in (str, int, bool):
        return (tp,)
    if tp is float:
        return (float, int)
    if typing.get_origin(tp) is Literal:
        return tuple({type(value) for value in typing.get_args(tp)})
    if typing.get_origin(tp) in (Union, types.UnionType):
        inner = [a for a in typing.get_args(tp) if a is not type(None)]
        kinds = _leaf_kinds(inner[0]) if len(inner) == 1 else None
        return None if kinds is None else (*kinds, type(None))
    return None


def _wrong(data: Any, kinds: tuple[type, ...]) -> TypeError:
    return TypeError(f"expected {' or '.join(k.__name__ for k in kinds)}, got {type(data).__name__}")


def _build(tp: Any) -> Decoder:
    origin = typing.get_origin(tp)
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            kinds = _leaf_kinds(args[0])
            if kinds is not None:
                def decode_leaves(data: Any) -> tuple[Any, ...]:
                    if type(data) is not list or not all(isinstance(value, kinds) for value in data):
                        raise _wrong(data, (list,))
                    return tuple(data)

                return decode_leaves
            item = _decoder(args[0])

            def decode_items(data: Any) -> tuple[Any, ...]:
                if type(data) is not list:
                    raise _wrong(data, (list,))
                return tuple(map(item, data))

            return decode_items
        items = [_decoder(arg) for arg in args]
        leaves = [_leaf_kinds(arg) for arg in args]  # checked as a plain leaf field is

        def decode_fixed(data: Any) -> tuple[Any, ...]:
            if type(data) is not list or len(data) != len(items):
                raise _wrong(data, (list,))
            for value, kinds in zip(data, leaves, strict=True):
                if kinds is not None and not isinstance(value, kinds):
                    raise _wrong(value, kinds)
            return tuple(decode(value) for decode, value in zip(items, data, strict=True))

        return decode_fixed
    if origin in (Union, types.UnionType):
        (inner,) = [a for a in typing.get_args(tp) if a is not type(None)]
        decode_inner = _decoder(inner)
        if decode_inner is _identity:
            return _identity
        return lambda data: None if data is None else decode_inner(data)
    if origin is Literal:
        return _identity
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return tp
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        hints = typing.get_type_hints(tp)
        fields = {f.name: _decoder(hints[f.name]) for f in dataclasses.fields(tp)}
        plain = {name for name, decode in fields.items() if decode is _identity}
        checked = tuple((name, kinds) for name in plain if (kinds := _leaf_kinds(hints[name])) is not None)
        nested = tuple((name, decode) for name, decode in fields.items() if decode is not _identity)
        names = frozenset(fields)
        record = typing.cast(Callable[..., Any], tp)
        create = object.__new__

        def decode_record(data: Any) -> Any:
            if data.keys() == names:
                # Every field, as `to_json` writes them: filled in directly, as `copy` and
                # `pickle` do. A frozen dataclass's `__init__` sets each field through
                # `object.__setattr__`, which made decoding the cache 4 times slower.
                values = dict(data)
                for name, kinds in checked:
                    if not isinstance(values[name], kinds):
                        raise _wrong(values[name], kinds)
                for name, decode in nested:
                    values[name] = decode(values[name])
                made = create(tp)
                made.__dict__.update(values)
                return made
            # Fields missing or unknown (a facts file from elsewhere): the constructor says which.
            return record(**{name: value if name in plain else fields[name](value) for name, value in data.items()})

        return decode_record
    return _identity


def extended(facts: FileFacts, cls: str) -> str | None:
    """The class `cls` extends, as written in its file (not an interface it implements)."""
    return next((base for owner, base in facts.bases if owner == cls and not base.startswith(IMPLEMENTS)), None)
