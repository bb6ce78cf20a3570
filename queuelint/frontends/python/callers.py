"""Calls of plain functions, found with the standard library's parser (C, about ten times
faster than libcst): where a module calls a function a producer is written in
(`send_order_confirmation(order)` of a helper that runs `send_mail.delay(…)`). Only the
callee's name and where it comes from are needed, so the module is not read in full."""

from __future__ import annotations

import ast

from queuelint.files import read_bytes
from queuelint.findings import Span
from queuelint.model import CallSite


def calls_in(paths: list[str], wanted: frozenset[str]) -> list[tuple[CallSite, ...]]:
    """`calls_of` for each file (an unreadable one has none): a unit of work for the pool."""
    found: list[tuple[CallSite, ...]] = []
    for path in paths:
        try:
            found.append(calls_of(path, read_bytes(path), wanted))
        except OSError:
            found.append(())
    return found


def calls_of(path: str, data: bytes, wanted: frozenset[str]) -> tuple[CallSite, ...]:
    """Calls of the names in `wanted`, each with a target: `from:module:name` for a function
    imported by name (relative modules keep their dots), `local:name` for one of the module's
    own, `object:module:obj.method` for a method (`Class.method` wanted) called on an object
    imported from another module; nothing for a module that does not parse."""
    words = tuple(name.rpartition(".")[2].encode() for name in wanted)
    methods = {name.rpartition(".")[2] for name in wanted if "." in name}
    try:
        tree = ast.parse(_relevant(data, words), filename=path)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        try:  # the cut was not at statement boundaries (a string at column 0): the whole module
            tree = ast.parse(data, filename=path)
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            return ()
    lines = data.splitlines()
    imported: dict[str, tuple[str, str]] = {}
    modules: dict[str, str] = {}  # a local name for a module (`from app import mail`, `import app.mail as mail`)
    # Imports inside functions too (`from app.mail import notify` where it is used, to break a
    # cycle): taken for the module's, as a name is rarely imported twice for different things.
    # Only the statements whose text says `import` are walked for them.
    for statement in (node for top in tree.body if _mentions(top, lines, (b"import",)) for node in ast.walk(top)):
        if isinstance(statement, ast.ImportFrom):
            module = "." * statement.level + (statement.module or "")
            for alias in statement.names:
                imported[alias.asname or alias.name] = (module, alias.name)
                joined = f"{module}.{alias.name}" if module and not module.endswith(".") else module + alias.name
                modules[alias.asname or alias.name] = joined
        elif isinstance(statement, ast.Import):
            for alias in statement.names:
                if alias.asname:
                    modules[alias.asname] = alias.name
    found: list[CallSite] = []
    for node, owner, within, declared in _calls(tree, lines, words):
        func = node.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in ("self", "cls"):
            if not owner or f"{owner}.{func.attr}" not in wanted:  # `self.queue_mails()` in its class
                continue
            name, target = func.attr, f"self:{owner}.{func.attr}"
        elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in modules \
                and func.attr in wanted:  # `mail.notify_customer(…)` on a module imported as `mail`
            name, target = func.attr, f"from:{modules[func.value.id]}:{func.attr}"
        elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in declared \
                and func.attr in methods:  # `service.ingest(…)` with `service: IngestionService`
            name, target = func.attr, f"member:{declared[func.value.id]}.{func.attr}"
        elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in imported \
                and func.attr in methods:  # `service.ingest(…)` on an object another module made
            module, obj = imported[func.value.id]
            name, target = func.attr, f"object:{module}:{obj}.{func.attr}"
        elif isinstance(func, ast.Name):
            name = func.id
            source = imported.get(name)  # under its own name or an alias (`import notify_customer as notify`)
            if (source[1] if source is not None else name) not in wanted:
                continue
            target = f"from:{source[0]}:{source[1]}" if source is not None else f"local:{name}"
            name = source[1] if source is not None else name
        else:
            continue
        span = Span(path, func.lineno, _column(lines, func.lineno, func.col_offset), func.lineno,
                    _column(lines, func.lineno, func.end_col_offset or func.col_offset))
        found.append(CallSite(span, name, target, (), span, within=within))
    return tuple(found)


def _calls(tree: ast.Module, lines: list[bytes], words: tuple[bytes, ...]
           ) -> list[tuple[ast.Call, str, str, dict[str, str]]]:
    """Every call in a statement whose text names one of `words`, with the top-level class it
    is written in ("" outside one), the top-level function or method of such a class
    (`Mailer.send`) it is written in, and the classes that function's parameters are declared
    as (`service: IngestionService`). A statement that names none of them is not walked: most
    of a module is not."""
    found: list[tuple[ast.Call, str, str, dict[str, str]]] = []
    for statement in tree.body:
        if not _mentions(statement, lines, words):
            continue
        if isinstance(statement, ast.ClassDef):
            for item in statement.body:
                if not _mentions(item, lines, words):
                    continue
                within = f"{statement.name}.{item.name}" if isinstance(item, FUNCTIONS) else ""
                declared = _declared(item) if isinstance(item, FUNCTIONS) else {}
                found.extend((node, statement.name, within, declared) for node in ast.walk(item)
                             if isinstance(node, ast.Call))
            continue
        within = statement.name if isinstance(statement, FUNCTIONS) else ""
        declared = _declared(statement) if isinstance(statement, FUNCTIONS) else {}
        found.extend((node, "", within, declared) for node in ast.walk(statement) if isinstance(node, ast.Call))
    return found


def _declared(function: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[str, str]:
    """The class each parameter is declared as, where the annotation names one
    (`service: IngestionService`, `Optional[IngestionService]`, `"IngestionService | None"`),
    and each local a Django manager gives an object of its model (`media =
    Media.objects.get(…)`, `for media in Media.objects.filter(…)`)."""
    found: dict[str, str] = {}
    for arg in (*function.args.posonlyargs, *function.args.args, *function.args.kwonlyargs):
        named = _class_named(arg.annotation) if arg.annotation is not None else None
        if named is not None:
            found[arg.arg] = named
    assigned: dict[str, set[str]] = {}
    for node in ast.walk(function):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            assigned.setdefault(node.targets[0].id, set()).add(_model_of(node.value, single=True) or "")
        elif isinstance(node, (ast.For, ast.AsyncFor)) and isinstance(node.target, ast.Name):
            assigned.setdefault(node.target.id, set()).add(_model_of(node.iter, single=False) or "")
    for name, models in assigned.items():
        if len(models) == 1 and "" not in models and name not in found:  # always that model's object
            found[name] = next(iter(models))
    return found


# What a Django manager (`Model.objects`) hands back: one object of its model, or a query set
# of them (iterated).
ONE_OBJECT = frozenset({"get", "create", "first", "last", "latest", "earliest", "get_or_create"})
QUERY_SETS = frozenset({"filter", "exclude", "all", "order_by", "select_related", "prefetch_related", "only",
                        "defer", "distinct"})


def _model_of(value: ast.expr, single: bool) -> str | None:
    """The model `Model.objects….get(…)` (or, not `single`, `….filter(…)`) gives objects of."""
    if isinstance(value, ast.Await):
        value = value.value
    if single and isinstance(value, ast.Subscript) and isinstance(value.value, ast.Call):
        value = value.value  # `Model.objects.get_or_create(…)[0]`
    methods: list[str] = []
    while isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute):
        methods.append(value.func.attr)
        value = value.func.value
    if not methods or not (isinstance(value, ast.Attribute) and value.attr == "objects"
                           and isinstance(value.value, ast.Name) and value.value.id[:1].isupper()):
        return None
    last, chain = methods[0], methods[1:]
    if not all(m in QUERY_SETS for m in chain):
        return None
    if (single and last in ONE_OBJECT) or (not single and last in QUERY_SETS):
        return value.value.id
    return None


def _class_named(annotation: ast.expr, depth: int = 0) -> str | None:
    """The one class a type names, `None` aside: `X`, `Optional[X]`, `X | None`, `"X"`."""
    if depth > 4:
        return None
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str) and len(annotation.value) < 200:
        try:
            annotation = ast.parse(annotation.value, mode="eval").body
        except (SyntaxError, RecursionError, MemoryError):
            return None
    if isinstance(annotation, ast.Name):
        return annotation.id if annotation.id[:1].isupper() else None
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        sides = [side for side in (annotation.left, annotation.right)
                 if not (isinstance(side, ast.Constant) and side.value is None)]
        return _class_named(sides[0], depth + 1) if len(sides) == 1 else None
    if isinstance(annotation, ast.Subscript) and isinstance(annotation.value, ast.Name) \
            and annotation.value.id == "Optional":
        return _class_named(annotation.slice, depth + 1)
    return None


# Lines at column 0 that go on the statement before (`else:` of a module-level `if`, a closing bracket).
CONTINUING = (b"else", b"elif", b"except", b"finally", b")", b"]", b"}", b"#")


def _relevant(data: bytes, words: tuple[bytes, ...]) -> bytes:
    """The module with each top-level statement that names none of `words` (nor `import`)
    blanked out, line for line, so that positions stay: most of a module need not be parsed.
    A statement starts at a line at column 0 (its decorators with it)."""
    lines = data.split(b"\n")
    starts = [i for i, line in enumerate(lines) if line[:1] not in (b"", b" ", b"\t", b"\r")
              and not line.startswith(CONTINUING) and not (i and lines[i - 1].startswith(b"@"))]
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    kept = (*words, b"import")
    out: list[bytes] = []
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else len(lines)
        chunk = lines[start:end]
        if any(word in line for line in chunk for word in kept):
            out.extend(chunk)
        else:
            out.extend(b"" for _ in chunk)
    return b"\n".join(out)


def _mentions(statement: ast.stmt, lines: list[bytes], words: tuple[bytes, ...]) -> bool:
    """Whether the lines a statement spans (its decorators too) hold one of `words`."""
    first = min([statement.lineno, *(d.lineno for d in getattr(statement, "decorator_list", []))])
    text = b"\n".join(lines[first - 1 : statement.end_lineno or statement.lineno])
    return any(word in text for word in words)


FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def _column(lines: list[bytes], line: int, offset: int) -> int:
    """The 1-based column, in characters, of a byte offset into a line (the parser counts bytes)."""
    text = lines[line - 1] if 0 < line <= len(lines) else b""
    return len(text[:offset].decode("utf-8", "replace")) + 1
