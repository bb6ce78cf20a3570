"""libcst plumbing for the Python front-end: positions, names, literals, call arguments."""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from queuelint.findings import Span

# Nodes no fact is made of: whitespace, comments, brackets, punctuation and operators.
_TOKENS = (cst.BaseParenthesizableWhitespace, cst.TrailingWhitespace, cst.EmptyLine, cst.Newline, cst.Comment,
           cst.LeftParen, cst.RightParen, cst.LeftSquareBracket, cst.RightSquareBracket, cst.LeftCurlyBrace,
           cst.RightCurlyBrace)
_CHILD_FIELDS: dict[type[cst.CSTNode], tuple[str, ...]] = {}
# Nodes whose fields hold only text and brackets: half of a module's nodes, no children to look for.
_LEAVES = frozenset({cst.Name, cst.SimpleString, cst.Integer, cst.Float, cst.Imaginary, cst.Ellipsis})
_HOOKS: dict[tuple[type[object], type[cst.CSTNode]], tuple[Callable[..., Any] | None, Callable[..., Any] | None]] = {}


def _child_fields(cls: type[cst.CSTNode]) -> tuple[str, ...]:
    found = _CHILD_FIELDS.get(cls)
    if found is None:
        names = [f.name for f in dataclasses.fields(cls)]
        # Decorators come first in the source, after the body among the fields.
        names.sort(key=lambda name: name != "decorators")
        found = _CHILD_FIELDS[cls] = tuple(names)
    return found


_WANTED_TYPES: dict[type[object], bool] = {}


def _wanted(node: object) -> bool:
    kind = type(node)
    wanted = _WANTED_TYPES.get(kind)
    if wanted is None:  # by type, once: isinstance against libcst's ABCs is slow
        wanted = _WANTED_TYPES[kind] = isinstance(node, cst.CSTNode) and not isinstance(node, _TOKENS) \
            and kind.__module__ != "libcst._nodes.op"
    return wanted


def children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """The child nodes that can hold code, in source order. libcst's own `children` (and its
    visitors) rebuild every node they pass, which costs more than parsing; this reads fields."""
    if type(node) in _LEAVES:
        return []
    found: list[cst.CSTNode] = []
    for name in _child_fields(type(node)):
        value = getattr(node, name)
        if isinstance(value, (list, tuple)):
            found.extend(item for item in value if _wanted(item))
        elif _wanted(value):
            found.append(value)
    return found


def walk(root: cst.CSTNode, visitor: cst.CSTVisitor, positions: Positions | None = None) -> None:
    """`root.visit(visitor)` for visitors that only read: `visit_<Node>` (False skips the
    children) and `leave_<Node>`, without rebuilding the tree, and without recursion (deeply
    nested code must not exhaust the stack). With `positions` (of the module `root`), tells
    it which statement holds each node on the way, sparing it a walk of its own."""
    # (node, leaving, chain of the statement holding it, what it is: NODE, STATEMENT or BLOCK)
    stack: list[tuple[cst.CSTNode, bool, Chain, int]] = [(root, False, (), _NODE)]
    while stack:
        node, leaving, chain, role = stack.pop()
        key = (type(visitor), type(node))
        hooks = _HOOKS.get(key)
        if hooks is None:
            name = type(node).__name__
            hooks = _HOOKS[key] = (getattr(type(visitor), f"visit_{name}", None),
                                   getattr(type(visitor), f"leave_{name}", None))
        if leaving:
            if hooks[1] is not None:
                hooks[1](visitor, node)
            continue
        stack.append((node, True, chain, role))
        if positions is not None:
            if node is not root:
                positions.owner[node] = chain
            positions.visiting = (node, chain, role)
        if hooks[0] is not None and hooks[0](visitor, node) is False:
            continue
        if positions is None:
            stack.extend((child, False, chain, _NODE) for child in reversed(children(node)))
        else:
            stack.extend((child, False, child_chain, child_role)
                         for child, child_chain, child_role in reversed(_held(node, chain, role, root)))
    if positions is not None:
        positions.indexed, positions.visiting = True, None


_NODE, _STATEMENT, _BLOCK = 0, 1, 2


def _held(node: cst.CSTNode, chain: Chain, role: int, root: cst.CSTNode) -> list[tuple[cst.CSTNode, Chain, int]]:
    """The children of `node`, each with the chain of the statement holding it and its role."""
    if node is root and isinstance(node, cst.Module):
        return [(statement, (index,), _STATEMENT) for index, statement in enumerate(node.body)]
    if role == _BLOCK:
        return [(statement, (*chain, index), _STATEMENT)
                for index, statement in enumerate(cast("cst.IndentedBlock", node).body)]
    block = _block(node) if role == _STATEMENT else None
    return [(child, chain, _BLOCK if block is not None and child is block else _NODE) for child in children(node)]


Chain = tuple[int, ...]  # statement indexes from the module down through class and function bodies


class Positions:
    """Node -> `Span` (lines 1-based, columns 1-based), on demand.

    libcst's PositionProvider renders a whole module to know where its nodes are, which costs
    more than parsing it. Here only the innermost statement holding the node is rendered,
    inside copies of its enclosing classes and functions emptied of everything else (so its
    indentation, hence every column, is the file's), and the stdlib parser, ten times faster,
    says on which line that statement starts. Most files need no position at all.
    """

    def __init__(self, path: str, module: cst.Module, source: str, lines: Sequence[int] | None = None) -> None:
        """`lines`: the file's line number of each line of `source`, when `source` is a cut
        of the file (see `slicing`)."""
        self.path = path
        self._module = module
        self._source = source
        self._file_lines = lines
        # The innermost statement holding each node: filled by `walk`, else by `_index`.
        self.owner: dict[cst.CSTNode, Chain] = {}
        self.indexed = False  # `owner` holds every node
        self.visiting: tuple[cst.CSTNode, Chain, int] | None = None  # where `walk` is
        self._lines: dict[Chain, int] | None = None  # first line of each statement, by its chain
        # chain (-1 appended: header only) -> positions of its render, and the statement as rendered
        self._ranges: dict[Chain, tuple[Mapping[cst.CSTNode, CodeRange], cst.BaseStatement]] = {}
        self._whole: Mapping[cst.CSTNode, CodeRange] | None = None

    def span(self, node: cst.CSTNode) -> Span:
        found = self._range(node)
        if found is None:
            return Span(self.path, 1, 1, 1, 1)
        (start_line, start_column), (end_line, end_column) = found
        return Span(self.path, self.file_line(start_line), start_column + 1, self.file_line(end_line), end_column + 1)

    def file_line(self, line: int) -> int:
        """The file's line number of a line of the parsed source."""
        lines = self._file_lines
        if not lines or line < 1:
            return line
        if line > len(lines):  # the end of the last line
            return lines[-1] + line - len(lines)
        return lines[line - 1]

    def _range(self, node: cst.CSTNode) -> tuple[tuple[int, int], tuple[int, int]] | None:
        chain = self.owner.get(node)
        if chain is None and not self.indexed:  # asked before the walk reached the node
            if self.visiting is not None:  # most often below the node being visited
                self._index_below(*self.visiting)
                chain = self.owner.get(node)
            if chain is None:
                self._index()
                chain = self.owner.get(node)
        if self._lines is None:
            self._lines = self._statement_lines()
        lines = self._lines
        while chain and chain not in lines:
            chain = chain[:-1]  # the stdlib parser saw this body differently: a coarser render
        if not chain:
            return self._from_whole_module(node)
        statement = self._statement(chain)
        # A class or function's own line (its name, decorators, parameters) needs no body.
        header = _block(statement) is not None and node is not statement and node is not _block(statement)
        key = (*chain, -1) if header else chain
        rendered = self._ranges.get(key)
        if rendered is None:
            copy, anchor = self._emptied_copy(chain, header)
            # Rendered with the file's own indent (a block that uses the module's default indent
            # has none of its own): with libcst's default of four spaces, a file indented by
            # two had its columns shifted.
            module = cst.Module(body=[cast("cst.SimpleStatementLine | cst.BaseCompoundStatement", copy)],
                                default_indent=self._module.default_indent,
                                default_newline=self._module.default_newline)
            rendered = self._ranges[key] = (positions_of(module), anchor)
        ranges, anchor = rendered
        found = ranges.get(node)
        if found is None:
            return None
        shift = lines[chain] - ranges[anchor].start.line
        return (found.start.line + shift, found.start.column), (found.end.line + shift, found.end.column)

    def _path(self, chain: Chain) -> list[cst.BaseStatement]:
        """The statements `chain` goes through, from the module down."""
        statements: list[cst.BaseStatement] = [self._module.body[chain[0]]]
        for index in chain[1:]:
            block = _block(statements[-1])
            assert block is not None  # chains only go down through blocks
            statements.append(block.body[index])
        return statements

    def _statement(self, chain: Chain) -> cst.BaseStatement:
        return self._path(chain)[-1]

    def _emptied_copy(self, chain: Chain, header: bool = False) -> tuple[cst.BaseStatement, cst.BaseStatement]:
        """The top-level statement of `chain`, its class/function bodies on the way down holding
        only the next statement of the chain (the nodes themselves, not copies); with `header`,
        the last statement's own body emptied too. Also that last statement, as rendered."""
        path = self._path(chain)
        node = path[-1]
        last_block = _block(node)
        if header and last_block is not None:
            node = node.with_changes(body=last_block.with_changes(body=[]))
        anchor = node
        for parent in reversed(path[:-1]):
            block = _block(parent)
            assert block is not None
            node = parent.with_changes(body=block.with_changes(body=[node]))
        return node, anchor

    def _index(self) -> None:
        self._index_below(self._module, (), _NODE)
        self.indexed = True

    def _index_below(self, top: cst.CSTNode, chain: Chain, role: int) -> None:
        """`owner` for the nodes under `top`, whose own chain and role are known."""
        owner = self.owner
        stack = [(top, chain, role)]
        while stack:
            node, node_chain, node_role = stack.pop()
            if node is not top:
                owner[node] = node_chain
            stack.extend(_held(node, node_chain, node_role, self._module))

    def _statement_lines(self) -> dict[Chain, int]:
        lines: dict[Chain, int] = {}
        try:
            tree = ast.parse(self._source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return lines  # syntax only libcst knows: positions from the whole module
        self._record_lines(tree.body, self._module.body, (), lines)
        return lines

    def _record_lines(self, stdlib: list[ast.stmt], statements: Sequence[cst.BaseStatement], chain: Chain,
                      lines: dict[Chain, int]) -> None:
        # `a = 1; b = 2` is one libcst statement and two stdlib ones: one start per line.
        by_line: dict[int, ast.stmt] = {}
        for statement in stdlib:
            by_line.setdefault(statement.lineno, statement)
        if len(by_line) != len(statements):
            return
        for index, (line, statement) in enumerate(sorted(by_line.items())):
            here = (*chain, index)
            lines[here] = line
            inner = _block(statements[index])
            if inner is not None and isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self._record_lines(statement.body, inner.body, here, lines)

    def _from_whole_module(self, node: cst.CSTNode) -> tuple[tuple[int, int], tuple[int, int]] | None:
        if self._whole is None:
            self._whole = positions_of(self._module)
        found = self._whole.get(node)
        if found is None:
            return None
        return (found.start.line, found.start.column), (found.end.line, found.end.column)


def positions_of(module: cst.Module) -> Mapping[cst.CSTNode, CodeRange]:
    """What `MetadataWrapper(module).resolve(PositionProvider)` gives, for a third less: the
    wrapper also walks the whole tree for batchable providers, here there are none. Through the
    documented hook a provider implements (`_gen_impl`); the wrapper if that ever changes."""
    provider = PositionProvider()
    try:
        provider._gen_impl(module)
        return cast("Mapping[cst.CSTNode, CodeRange]", provider._computed)
    except AttributeError:
        return MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)


def _block(node: cst.CSTNode) -> cst.IndentedBlock | None:
    """The body of a class or function written as an indented block."""
    if isinstance(node, (cst.FunctionDef, cst.ClassDef)) and isinstance(node.body, cst.IndentedBlock):
        return node.body
    return None


def string_value(node: cst.BaseExpression | None) -> str | None:
    """The value of a plain (non-f) string literal, implicit concatenations included."""
    if isinstance(node, cst.SimpleString):
        literal = node.value
        if literal[:1] in ("'", '"') and "\\" not in literal and literal[:3] not in ('"""', "'''"):
            return literal[1:-1]  # the common case, without a parse
        try:
            value = ast.literal_eval(literal)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            return None
        return value if isinstance(value, str) else None
    if isinstance(node, cst.ConcatenatedString):
        left, right = string_value(node.left), string_value(node.right)
        return left + right if left is not None and right is not None else None
    return None


def dotted_name(node: cst.BaseExpression | None) -> str | None:
    """`a.b.c`, `a["b"]` -> `a.b`; None for anything else."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = dotted_name(node.value)
        return f"{base}.{node.attr.value}" if base is not None else None
    if isinstance(node, cst.Subscript) and len(node.slice) == 1:
        element = node.slice[0].slice
        key = string_value(element.value) if isinstance(element, cst.Index) else None
        base = dotted_name(node.value)
        return f"{base}.{key}" if base is not None and key is not None else None
    return None


def positional(call: cst.Call) -> list[cst.BaseExpression]:
    return [a.value for a in call.args if a.keyword is None and not a.star]


def keywords(call: cst.Call) -> dict[str, cst.Arg]:
    return {a.keyword.value: a for a in call.args if a.keyword is not None}


def argument(call: cst.Call, index: int, keyword: str) -> cst.BaseExpression | None:
    """An argument given by position or by keyword."""
    found = keywords(call).get(keyword)
    if found is not None:
        return found.value
    args = positional(call)
    return args[index] if index < len(args) else None


def dict_items(node: cst.BaseExpression | None) -> dict[str, cst.BaseExpression]:
    """Static string keys of a dict literal (or `dict(a=…)`) mapped to their values."""
    items: dict[str, cst.BaseExpression] = {}
    if isinstance(node, cst.Dict):
        for element in node.elements:
            if isinstance(element, cst.DictElement):
                key = string_value(element.key)
                if key is not None:
                    items[key] = element.value
    elif isinstance(node, cst.Call) and dotted_name(node.func) == "dict":
        for name, arg in keywords(node).items():
            items[name] = arg.value
    return items


def code(module: cst.Module, node: cst.CSTNode, limit: int = 60) -> str:
    text = " ".join(module.code_for_node(node).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
