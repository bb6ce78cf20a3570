"""Symbolic names -> values, across files.

A reference such as `JobName.SendEmail` is looked up in the file's own constants, then
through its imports (relative paths, tsconfig `paths`/`baseUrl`, workspace packages, `index`
barrels, re-exports, `export *`, namespace imports; see `modules.py`). Files are asked for through `load`, so a constants module is only read when a
name needs it. Whatever cannot be followed stays `unknown`, and rules never report a
mismatch on an unknown name.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

from queuelint.model import (
    ACTOR_NAME,
    ASSUMED_UNSET,
    LOCATED,
    QUEUE_OR_NAME,
    QUEUE_OR_NAMED,
    WHOLE_MODULE,
    Expr,
    FileFacts,
    extended,
)
from queuelint.modules import ModuleLocator

MAX_DEPTH = 24


@dataclass(frozen=True)
class Name:
    """A queue or job name after resolution."""

    status: Literal["value", "dynamic", "unknown"]
    value: str = ""
    text: str = ""  # as written, for messages
    reason: str = ""  # dynamic: why it changes per call; unknown: what could not be followed
    # Not a value, but built from known text around what is not known (`billing.{plan}.renew`):
    # the pieces, None where any text may stand. Names it cannot be are then known.
    family: tuple[str | None, ...] = ()
    # The parts of a family that come from data the code is handed (a parameter, a field of a
    # local: `account.plan`), as written; a part from the module (a setting, a constant not
    # found) is configuration, not data.
    holes: tuple[str, ...] = ()

    def may_be(self, name: str) -> bool:
        """Whether this name can be `name`: its value, or any name of its family (a name with no
        family may be anything)."""
        if self.is_value:
            return self.value == name
        if not self.family:
            return True
        pattern = "".join(".*" if piece is None else re.escape(piece) for piece in self.family)
        return re.fullmatch(pattern, name, re.S) is not None

    def family_text(self) -> str:
        """`billing.….renew`."""
        return "".join("…" if piece is None else piece for piece in self.family)

    @property
    def is_value(self) -> bool:
        return self.status == "value"

    def display(self) -> str:
        return repr(self.value) if self.is_value else self.text


Loader = Callable[[str], "FileFacts | None"]
QUOTED_LENGTH = 60


def _where(reference: Expr, path: str) -> str:
    """The file a reference is read in: the one it was written in, when it carries it."""
    return reference.reason.removeprefix(LOCATED) if reference.reason.startswith(LOCATED) else path


def _quoted(code: str) -> str:
    """Code in a message: on one line, and cut short (a call spread over lines reads as one)."""
    text = " ".join(code.split())
    return f"`{text if len(text) <= QUOTED_LENGTH else text[: QUOTED_LENGTH - 1] + '…'}`"


class Resolver:
    """Resolves `Expr`s in the context of the file they were written in."""

    def __init__(self, load: Loader, modules: ModuleLocator | None = None) -> None:
        self._read = load
        self._locator = modules or ModuleLocator()
        self._bindings: dict[str, dict[str, Expr]] = {}
        self._modules: dict[tuple[str, str], str | None] = {}
        self._names: dict[tuple[Expr, str], Name] = {}  # the graph and the rules ask again and again
        self._calls: dict[tuple[Expr, str], tuple[Expr, str] | None] = {}
        # The files each memoised answer read: a finding made from it depends on them (a
        # constants file, a wrapper's module), and an answer given again reads them again.
        self._names_read: dict[tuple[Expr, str], frozenset[str]] = {}
        self._calls_read: dict[tuple[Expr, str], frozenset[str]] = {}
        self._recordings: list[set[str]] = []
        self._star_walk: set[tuple[str, str]] = set()  # (module, name) looked up through star imports now

    # --- public -----------------------------------------------------------------

    def name(self, expr: Expr, path: str) -> Name:
        key = (expr, path)
        found = self._names.get(key)
        if found is None:
            with self.recording() as read:
                found = self._names[key] = self._evaluate(expr, path, 0)
            self._names_read[key] = frozenset(read)
        else:
            self._note(self._names_read.get(key, ()))
        return found

    def sources(self, expr: Expr, path: str) -> frozenset[str]:
        """The files resolving `expr` (written in `path`) read, `path` among them."""
        self.name(expr, path)
        return self._names_read.get((expr, path), frozenset()) | {path}

    @contextmanager
    def recording(self) -> Iterator[set[str]]:
        """The files read by the resolution done inside the block (nested blocks see theirs
        in the enclosing ones too)."""
        read: set[str] = set()
        self._recordings.append(read)
        try:
            yield read
        finally:
            self._recordings.pop()
            if self._recordings:
                self._recordings[-1].update(read)

    def _note(self, paths: Iterable[str]) -> None:
        if self._recordings:
            self._recordings[-1].update(paths)

    def _load(self, path: str) -> FileFacts | None:
        if self._recordings:
            self._recordings[-1].add(path)
        return self._read(path)

    def facts(self, path: str) -> FileFacts | None:
        """A file's facts (what it defines), read as resolution reads them."""
        return self._load(path)

    def queue_kind(self, expr: Expr, path: str) -> str:
        """For a `queue_name` expression whose object is a task decorator: the kind of consumer
        it makes (`celery-task`), else ""."""
        found = self._object(expr.parts[0], path, 0) if expr.kind == "queue_name" and expr.parts else None
        return found[0].reason if found is not None else ""

    def queue_object(self, expr: Expr, path: str) -> tuple[Name, str] | None:
        """For a `queue_name` expression: the queue's name and library, or None if the object
        behind it is not a queue built in the project."""
        if expr.kind != "queue_name" or not expr.parts:
            return None
        found = self._object(expr.parts[0], path, 0)
        if found is None:
            return None
        return self._evaluate(found[0].parts[0], found[1], 0), found[0].text

    def queue_instance(self, expr: Expr, path: str) -> tuple[str, Expr] | None:
        """For a `queue_name` expression: the one queue object it denotes, as (file, the
        `queue` expression made there), when it is reached through names alone
        (`import { invoices } from './queue'`). A call (`createQueue('x')`, a getter) may make
        a new object each time: None, as for anything not followed."""
        if expr.kind != "queue_name" or not expr.parts:
            return None
        current, where = expr.parts[0], path
        for depth in range(MAX_DEPTH):
            if current.kind == "queue" and current.parts:
                return where, current
            if current.kind != "ref":
                return None
            found = self._lookup(where, current.text.split("."), depth + 1)
            if found is None:
                return None
            current, where = found
        return None

    def definition(self, local: str, path: str) -> tuple[str, str] | None:
        """Where a class or function named `local` in `path` is defined: (path, name)."""
        return self._definition(path, local, 0)

    def binds(self, reference: Expr, path: str) -> bool:
        """Whether the dotted name `reference` is bound to something, as `path` sees it."""
        return reference.kind == "ref" and self._lookup(path, reference.text.split("."), 0) is not None

    def imported_definition(self, module: str, name: str, importer: str) -> tuple[str, str] | None:
        """Where `name` imported from `module` by `importer` is defined: (path, name)."""
        target = self.module_path(module, importer)
        return self._exported_definition(target, name, 1) if target else None

    def method(self, cls: str, method: str, path: str) -> tuple[str, str] | None:
        """Where the method `method` of class `cls` (named in `path`) is defined: in the class,
        or in the class it extends, and so on up: (path, `Owner.method`)."""
        found = self._definition(path, cls, 0)
        for _ in range(MAX_DEPTH):
            if found is None:
                return None
            where, owner = found
            facts = self._load(where)
            if facts is None:
                return None
            if f"{owner}.{method}" in facts.methods:
                return where, f"{owner}.{method}"
            base = extended(facts, owner)
            if base is None:
                return None
            found = self._definition(where, base, 0) if "." not in base else None
        return None

    def instance_of(self, name: str, path: str) -> tuple[Expr, str] | None:
        """The call a module made the object it binds to `name` with (`publisher = new
        JobPublisher(…)`, `task_queue = TaskQueue()`, imported or not), and its file."""
        found = self._lookup(path, name.split("."), 0)
        if found is None or found[0].kind != "call" or not found[0].parts or found[0].parts[0].kind != "ref" \
                or "." in found[0].parts[0].text:
            return None
        return found

    def instance_method(self, name: str, method: str, path: str) -> tuple[str, str] | None:
        """Where `method` is defined for the object a module binds to `name`: the method of
        the class it was made from (or of a class that one extends)."""
        found = self.instance_of(name, path)
        if found is None:
            return None
        made = found[0].parts[0]
        return self.method(made.text, method, _where(made, found[1]))

    def package_root(self, directory: str) -> str:
        return self._locator.package_root(directory)

    def module_path(self, specifier: str, importer: str) -> str | None:
        key = (specifier, os.path.dirname(importer))
        if key not in self._modules:
            self._modules[key] = self._locator.locate(specifier, importer)
        return self._modules[key]

    # --- evaluation -------------------------------------------------------------

    def _evaluate(self, expr: Expr, path: str, depth: int) -> Name:
        if depth > MAX_DEPTH:
            return Name("unknown", text=expr.text, reason="reference chain too deep")
        if expr.kind == "str":
            return Name("value", expr.text, repr(expr.text), expr.reason)
        if expr.kind == "dynamic":
            return Name("dynamic", text=expr.text, reason=expr.reason, family=self._family(expr.parts, path, depth))
        if expr.kind == "ref":
            found = self._lookup(_where(expr, path), expr.text.split("."), depth + 1)
            if found is None:
                return Name("unknown", text=expr.text, reason=f"{_quoted(expr.text)} could not be resolved")
            target, where = found
            result = self._evaluate(target, where, depth + 1)
            return result if result.is_value else Name(result.status, text=expr.text, reason=result.reason)
        if expr.kind == "concat":
            values: list[str] = []
            pieces: list[str | None] = []  # the family, should a part not be known
            unknown: Name | None = None
            holes: list[str] = []
            assumed = ""  # a part the environment chose (see `model.ASSUMED_UNSET`) makes the whole so
            for part in expr.parts:
                resolved = self._evaluate(part, path, depth + 1)
                if resolved.status == "dynamic":
                    return Name("dynamic", text=expr.text, reason=resolved.reason,
                                family=self._family(expr.parts, path, depth))
                if not resolved.is_value:
                    unknown = unknown or resolved
                    pieces.extend(resolved.family or (None,))
                    if part.kind in ("param", "unknown") and not part.text.endswith(")"):  # not a call's result
                        holes.append(part.parts[0].text if part.kind == "param" and part.parts else part.text)
                    holes.extend(resolved.holes)
                    continue
                values.append(resolved.value)
                pieces.append(resolved.value)
                assumed = assumed or (resolved.reason if ASSUMED_UNSET in resolved.reason else "")
            if unknown is not None:
                known = sum(len(p) for p in pieces if p is not None)
                family = _merged(pieces) if known >= MIN_FAMILY_TEXT else ()
                return Name("unknown", text=expr.text, reason=unknown.reason, family=family,
                            holes=tuple(holes) if family else ())
            return Name("value", "".join(values), expr.text, assumed)
        if expr.kind == "module_member":
            module = self._locator.python_module_name(path)
            return Name("value", f"{module}.{expr.text}" if module else expr.text, expr.text)
        if expr.kind == "function_path" and expr.parts:  # a function passed in: named at the call
            function = expr.parts[0]
            if function.kind != "ref":  # `'app.jobs.resize'` passed as a string, or not known
                return self._evaluate(function, path, depth + 1)
            return self._evaluate(Expr("function_path", function.text), _where(function, path), depth + 1)
        if expr.kind == "function_path":
            defined = self._definition(path, expr.text, depth + 1) if "." not in expr.text \
                else self._module_function(path, expr.text, depth + 1)
            module = self._locator.python_module_name(defined[0]) if defined is not None else ""
            if defined is None or not module:
                return Name("unknown", text=expr.text, reason=f"where `{expr.text}` is defined is not known")
            return Name("value", f"{module}.{defined[1]}", expr.text)
        if expr.kind == "param":
            written = expr.parts[0].text if expr.parts else expr.text
            return Name("unknown", text=written, reason=f"`{written}` is a parameter of `{expr.reason}`")
        if expr.kind == "queue_name" and expr.parts:
            found = self._object(expr.parts[0], path, depth + 1)
            if found is not None and len(expr.parts) > 1 and expr.parts[1].kind == "choice":
                # A decorator's registry, given the use site's keywords (`choice` parts): the queue
                # is the keyword the decorator's binding names (`queue_name`, or the factory's own
                # parameter it passes on), else the decorator's own.
                made = found[0]
                if expr.reason == ACTOR_NAME:  # under `actor_name`, unless the decorator renames it
                    keyword = made.parts[2].text if len(made.parts) > 2 else "actor_name"
                    named = [case.parts[1] for case in expr.parts[1:] if case.kind == "choice"
                             and len(case.parts) == 2 and case.parts[0].text == keyword]
                    otherwise = expr.parts[-1].parts[0]  # the function's own name
                    return self._evaluate(named[0] if named else otherwise, path, depth + 1)
                keyword = made.parts[1].text if len(made.parts) > 1 else "queue_name"
                given: dict[str, Expr] = {}
                for case in expr.parts[1:]:
                    if case.kind == "choice" and len(case.parts) == 2:
                        if case.parts[0].text == keyword:
                            return self._evaluate(case.parts[1], path, depth + 1)
                        # Read where the use site is, to bind the factory's own (`priority=…`).
                        value = self._evaluate(case.parts[1], path, depth + 1)
                        given[case.parts[0].text] = Expr.literal(value.value) if value.is_value \
                            else Expr.unknown(value.text, value.reason)
                return self._evaluate(made.parts[0].given_by(given), found[1], depth + 1)
            if found is not None:
                return self._evaluate(found[0].parts[0], found[1], depth + 1)
            if expr.reason == QUEUE_OR_NAME:  # not a queue object: the name itself
                return self._evaluate(expr.parts[0], path, depth + 1)
            if expr.reason == QUEUE_OR_NAMED and len(expr.parts) > 1:  # not a queue object: its `name`
                return self._evaluate(expr.parts[1], path, depth + 1)
            if expr.reason:
                return Name("unknown", text=expr.text, reason=expr.reason)
        if expr.kind == "decorated" and expr.parts:
            maker = self._object(expr.parts[0], path, depth + 1)
            if maker is not None:  # not known at all (an object of another package): neither case
                for case in expr.parts[1:]:
                    if case.parts and case.parts[0].text in (maker[0].reason, "*"):
                        return self._evaluate(case.parts[1], path, depth + 1)
            return Name("unknown", text=expr.text, reason=f"what `{expr.parts[0].text}` makes is not known")
        if expr.kind == "choice":
            chosen = self._chosen(expr, path, depth + 1)
            if chosen is None:
                return Name("unknown", text=expr.text, reason=f"no case of `{expr.text}` is known to be taken")
            return self._evaluate(chosen, path, depth + 1)
        if expr.kind in ("pick", "call"):  # an entry of a container, what a call returns
            found = self._picked(expr, path, depth + 1) if expr.kind == "pick" else self._returned(expr, path, depth + 1)
            if found is None:
                why = f"which entry {_quoted(expr.text)} is, is not known" if expr.kind == "pick" \
                    else f"{_quoted(expr.text)} could not be followed"
                return Name("unknown", text=expr.text, reason=why)
            result = self._evaluate(found[0], found[1], depth + 1)
            return result if result.is_value else Name(result.status, text=expr.text, reason=result.reason)
        return Name("unknown", text=expr.text, reason=expr.reason or f"{_quoted(expr.text)} is not known statically")

    def _family(self, parts: tuple[Expr, ...], path: str, depth: int) -> tuple[str | None, ...]:
        """The family a name built from `parts` belongs to: the text of the parts that are
        known, any text where one is not (or changes per call)."""
        if len(parts) < 2:
            return ()
        pieces: list[str | None] = []
        for part in parts:
            resolved = self._evaluate(part, path, depth + 1) if part.kind != "dynamic" else None
            if resolved is not None and resolved.is_value:
                pieces.append(resolved.value)
            else:
                pieces.extend(resolved.family if resolved is not None and resolved.family else (None,))
        known = sum(len(p) for p in pieces if p is not None)
        return _merged(pieces) if known >= MIN_FAMILY_TEXT and None in pieces else ()

    # --- flow: calls evaluated against the callee's summary ----------------------

    def _object(self, expr: Expr, path: str, depth: int) -> tuple[Expr, str] | None:
        """The queue object (`queue` expression) a reference or a call denotes, and its file:
        `mailQueue`, `createQueue('mail')`, `MailQueue.getInstance()`."""
        seen = 0
        while seen <= MAX_DEPTH:
            seen += 1
            if expr.kind == "queue" and expr.parts:
                return expr, path
            if expr.kind == "choice":
                chosen = self._chosen(expr, path, depth + seen)
                if chosen is None:
                    return None
                expr = chosen
                continue
            if expr.kind == "ref":
                found = self._lookup(_where(expr, path), expr.text.split("."), depth + seen)
            elif expr.kind == "call":
                found = self._returned(expr, path, depth + seen)
            elif expr.kind == "pick":
                found = self._picked(expr, path, depth + seen)
            else:
                return None
            if found is None:
                return None
            expr, path = found
        return None

    def _picked(self, pick: Expr, path: str, depth: int) -> tuple[Expr, str] | None:
        """The entry a `pick` denotes, once its key is known: looked up as `container.key`."""
        if len(pick.parts) != 2 or pick.parts[0].kind != "ref":
            return None
        key = self._evaluate(pick.parts[1], path, depth + 1)
        if not key.is_value:
            return None
        container = pick.parts[0]
        return self._lookup(_where(container, path), [*container.text.split("."), key.value], depth + 1)

    def _chosen(self, choice: Expr, path: str, depth: int) -> Expr | None:
        """The result of the case a `choice` takes, when its subject and that case are known."""
        subject = self._evaluate(choice.parts[0], path, depth + 1) if choice.parts else None
        if subject is None or not subject.is_value:
            return None
        for case in choice.parts[1:]:
            if len(case.parts) == 1:  # what any other value gives
                return case.parts[0]
            value = self._evaluate(case.parts[0], path, depth + 1)
            if value.is_value and value.value == subject.value:
                return case.parts[1]
        return None

    def _returned(self, call: Expr, path: str, depth: int) -> tuple[Expr, str] | None:
        """What the call returns, with the callee's parameters bound to the call's arguments
        (resolved where the call is written), in the callee's file; memoised: nested calls
        (`wrap(wrap(a))`) would otherwise be evaluated again at every level."""
        key = (call, path)
        if key in self._calls:
            self._note(self._calls_read.get(key, ()))
            return self._calls[key]
        with self.recording() as read:
            found = self._call_result(call, path, depth)
        if depth <= MAX_DEPTH:  # a result cut short by depth is not the call's own
            self._calls[key] = found
            self._calls_read[key] = frozenset(read)
        return found

    def _call_result(self, call: Expr, path: str, depth: int) -> tuple[Expr, str] | None:
        if depth > MAX_DEPTH or not call.parts:
            return None
        found = self._lookup(_where(call.parts[0], path), call.parts[0].text.split("."), depth + 1)
        if found is None or found[0].kind != "function" or not found[0].parts:
            return None
        summary, where = found
        passed = call.parts[1:]
        bound: dict[str, Expr] = {}

        def argument(position: str) -> Expr:
            """The argument at `position`, bound when the summary uses it (and only then)."""
            index, _, key = position.partition(".")
            if not index.isdigit():
                return Expr.unknown("", f"`{key}` of an argument of `{summary.text}` is not followed")
            if key:  # `spec.name` of an object the caller passes (made independent of its file)
                whole = argument(index)
                if whole.kind == "ref" and whole.reason.startswith(LOCATED):
                    return Expr("ref", f"{whole.text}.{key}", whole.reason)
                return Expr.unknown("", f"`{key}` of an argument of `{summary.text}` is not followed")
            if int(index) >= len(passed):
                defaults = summary.parts[1:]
                default = defaults[int(index)] if int(index) < len(defaults) else None
                return default if default is not None and default.kind != "unknown" else \
                    Expr.unknown("", f"the call to `{summary.text}` does not pass it")
            if index not in bound:
                bound[index] = self._bound(passed[int(index)], path, depth + 1)
            return bound[index]

        return bind_parameters(summary.parts[0], summary.text, argument), where

    def bound(self, argument: Expr, path: str) -> Expr:
        """An argument written in `path` as an expression that means the same in any file."""
        return self._bound(argument, path, 0)

    def _bound(self, argument: Expr, path: str, depth: int) -> Expr:
        """An argument made independent of the file it is written in: its value, or a queue
        object it denotes, or what is not known about it."""
        if argument.kind == "param":  # the caller's own parameter: bound at the caller's calls
            return argument
        found = self._object(argument, path, depth) if argument.kind in ("ref", "call", "pick") else None
        if found is not None:
            name = self._evaluate(found[0].parts[0], found[1], depth + 1)
            return Expr("queue", found[0].text, parts=(as_expr(name),))
        value = self._evaluate(argument, path, depth)
        if not value.is_value and argument.kind == "ref":  # an object, say: its fields read further in
            return Expr("ref", argument.text, LOCATED + _where(argument, path))
        return as_expr(value)

    def _file_bindings(self, path: str) -> dict[str, Expr] | None:
        if path not in self._bindings:
            facts = self._load(path)
            if facts is None:
                return None
            self._bindings[path] = dict(facts.bindings)
        return self._bindings[path]

    def _lookup(self, path: str, dotted: list[str], depth: int) -> tuple[Expr, str] | None:
        """The expression a dotted name written in `path` stands for, and the file it lives in."""
        if depth > MAX_DEPTH or not dotted:
            return None
        bindings = self._file_bindings(path)
        facts = self._load(path)
        if bindings is None or facts is None:
            return None
        for cut in range(len(dotted), 0, -1):
            key = ".".join(dotted[:cut])
            expr = bindings.get(key)
            if expr is None:
                continue
            rest = dotted[cut:]
            if not rest:
                return expr, path
            if expr.kind == "ref":  # an alias: `export const JOBS = SHARED_JOBS`
                return self._lookup(path, expr.text.split(".") + rest, depth + 1)
            if rest == ["name"] and expr.kind in ("queue", "call"):  # `mailQueue.name`
                found = self._object(expr, path, depth + 1)
                return (found[0].parts[0], found[1]) if found is not None else None
            if expr.kind == "table" and len(rest) == 1:  # `[QueueName.Mail]: …`, keys computed
                for case in expr.parts:
                    entry = self._evaluate(case.parts[0], path, depth + 1) if len(case.parts) == 2 else None
                    if entry is not None and entry.is_value and entry.value == rest[0]:
                        return case.parts[1], path
            return None
        head = dotted[0]
        for imported in facts.imports:
            if imported.local != head:
                continue
            target = self.module_path(imported.module, path)
            if target is None and imported.imported != "*" and path.endswith(".py") and len(dotted) > 1:
                # `from app.core import queue`, `app/core` a directory without `__init__.py`
                joined = imported.module + ("" if imported.module.endswith(".") else ".") + imported.imported
                submodule = self.module_path(joined, path)
                return self._lookup_export(submodule, dotted[1:], depth + 1) if submodule is not None else None
            if target is None:
                return None
            if imported.imported == "*":  # `const q = require('./queue')`: the module, or what it is as a whole
                return self._lookup_export(target, dotted[1:] or [WHOLE_MODULE], depth + 1)
            return self._lookup_export(target, [imported.imported, *dotted[1:]], depth + 1)
        return None

    def _lookup_export(self, path: str, dotted: list[str], depth: int) -> tuple[Expr, str] | None:
        """What module `path` exports under a dotted name."""
        facts = self._load(path)
        if facts is None or not dotted or depth > MAX_DEPTH:
            return None
        name = dotted[0]
        for exported, local in facts.exports:
            if exported == name:
                return self._lookup(path, [local, *dotted[1:]], depth + 1)
        for reexport in facts.reexports:
            if reexport.exported != name:
                continue
            target = self.module_path(reexport.module, path)
            if target is None:
                return None
            if reexport.imported == "*":  # export * as ns from './x'
                return self._lookup_export(target, dotted[1:], depth + 1)
            found = self._lookup_export(target, [reexport.imported, *dotted[1:]], depth + 1) if target != path else None
            if found is None and len(dotted) > 1 and path.endswith("__init__.py"):
                # `from pkg import job_queue` in pkg/__init__.py: the submodule itself
                submodule = self.module_path(f"{reexport.module}.{reexport.imported}", path)
                if submodule is not None and submodule != path:
                    found = self._lookup_export(submodule, dotted[1:], depth + 1)
            return found
        stars = [target for reexport in facts.reexports if reexport.exported == "*"
                 and (target := self.module_path(reexport.module, path)) is not None]
        if stars:
            found = self._through_stars(stars, dotted, depth)
            if found is not None:
                return found
        if name == "default" and any(exported == WHOLE_MODULE for exported, _ in facts.exports):
            return self._lookup_export(path, [WHOLE_MODULE, *dotted[1:]], depth + 1)  # `import q from` a CommonJS module
        if path.endswith("__init__.py") and len(dotted) > 1:  # `import pkg` then `pkg.sub.NAME`
            submodule = self.module_path(f".{dotted[0]}", path)
            if submodule is not None:
                return self._lookup_export(submodule, dotted[1:], depth + 1)
        return None

    def _definition(self, path: str, local: str, depth: int) -> tuple[str, str] | None:
        facts = self._load(path)
        if facts is None or depth > MAX_DEPTH:
            return None
        if any(name == local for name, _ in facts.classes):
            return path, local
        for imported in facts.imports:
            if imported.local == local and imported.imported not in ("*",):
                target = self.module_path(imported.module, path)
                return self._exported_definition(target, imported.imported, depth + 1) if target else None
        return None

    def _module_function(self, path: str, dotted: str, depth: int) -> tuple[str, str] | None:
        """Where `emails.send_email` (`emails` an imported module, `from app.utils import
        emails` or `import app.utils.emails as emails`, or `app.utils.emails.send_email` after
        `import app.utils.emails`) is defined: (path, name)."""
        facts = self._load(path)
        head, *rest = dotted.split(".")
        if facts is None or not rest:
            return None
        for imported in facts.imports:
            if imported.local != head:
                continue
            module = imported.module if imported.imported == "*" else \
                imported.module + ("" if imported.module.endswith(".") else ".") + imported.imported
            for part in rest[:-1]:
                module = f"{module}.{part}"
            target = self.module_path(module, path)
            return self._definition(target, rest[-1], depth + 1) if target is not None else None
        return None

    def _exported_definition(self, path: str, name: str, depth: int) -> tuple[str, str] | None:
        facts = self._load(path)
        if facts is None or depth > MAX_DEPTH:
            return None
        for exported, local in facts.exports:
            if exported == name:
                return self._definition(path, local, depth + 1)
        for reexport in facts.reexports:
            target = self.module_path(reexport.module, path)
            if target is None:
                continue
            if reexport.exported == name:
                return self._exported_definition(target, reexport.imported, depth + 1)
            if reexport.exported == "*" and (target, name) not in self._star_walk:
                self._star_walk.add((target, name))
                try:
                    found = self._exported_definition(target, name, depth + 1)
                finally:
                    self._star_walk.discard((target, name))
                if found is not None:
                    return found
        return None

    def _through_stars(self, stars: list[str], dotted: list[str], depth: int) -> tuple[Expr, str] | None:
        """A name a module has from its `export *` / `from … import *`: the one module among
        them that has it (modules that star-import each other are each walked once); when two
        give it differently, which one wins is not followed."""
        found: list[tuple[Expr, str]] = []
        for target in stars:
            key = (target, ".".join(dotted))
            if key in self._star_walk:
                continue
            self._star_walk.add(key)
            try:
                result = self._lookup_export(target, dotted, depth + 1)
            finally:
                self._star_walk.discard(key)
            if result is not None and result not in found:
                found.append(result)
        return found[0] if len(found) == 1 else None


# A family is only worth claiming on with some text of its own: `{a}.{b}` says nothing.
MIN_FAMILY_TEXT = 3


def _merged(pieces: list[str | None]) -> tuple[str | None, ...]:
    """Adjacent texts joined, adjacent unknowns made one."""
    merged: list[str | None] = []
    for piece in pieces:
        if piece is None and merged and merged[-1] is None:
            continue
        if piece is not None and merged and merged[-1] is not None:
            merged[-1] = merged[-1] + piece
            continue
        merged.append(piece)
    return tuple(merged)


def located(expr: Expr, path: str) -> Expr:
    """`expr` with each name in it made to be looked up in `path` wherever it is evaluated
    (an expression of one file carried to another, its parameters bound there)."""
    if expr.kind == "ref":
        return expr if expr.reason.startswith(LOCATED) else Expr("ref", expr.text, LOCATED + path)
    if not expr.parts or expr.kind in ("function", "param"):
        return expr
    return Expr(expr.kind, expr.text, expr.reason, tuple(located(part, path) for part in expr.parts))


def as_expr(name: Name) -> Expr:
    """A resolved name as a file-independent expression."""
    if name.is_value:
        return Expr("str", name.value, name.reason)
    if name.status == "dynamic":
        return Expr("dynamic", name.text, name.reason)
    return Expr.unknown(name.text, name.reason)


Arguments = dict[str, Expr] | Callable[[str], Expr]


def bind_parameters(expr: Expr, function: str, arguments: Arguments, defaults: tuple[Expr, ...] = ()) -> Expr:
    """`expr` with the parameters of `function` replaced by the arguments passed (by position,
    `0`, or by a function of the position, `0.name` included), or by the parameter's default
    when the call passes none."""
    if expr.kind == "param" and expr.reason == function:
        if callable(arguments):
            return arguments(expr.text)
        index, _, key = expr.text.partition(".")
        if key:
            return Expr.unknown(expr.parts[0].text if expr.parts else expr.text,
                                f"`{key}` of an argument of `{function}` is not followed")
        if index in arguments:
            return arguments[index]
        if index.isdigit() and int(index) < len(defaults) and defaults[int(index)].kind != "unknown":
            return defaults[int(index)]
        return Expr.unknown(expr.parts[0].text if expr.parts else expr.text, f"the call to `{function}` does not pass it")
    if not expr.parts:
        return expr
    return Expr(expr.kind, expr.text, expr.reason,
                tuple(bind_parameters(part, function, arguments, defaults) for part in expr.parts))
