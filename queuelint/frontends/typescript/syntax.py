"""Tree-sitter plumbing for TypeScript and JavaScript: grammars, spans, small node helpers."""

from __future__ import annotations

import functools
from collections.abc import Iterator

import tree_sitter
import tree_sitter_javascript
import tree_sitter_typescript

from queuelint.findings import Span

Node = tree_sitter.Node

# Wrappers that do not change a value: `(x)`, `x as T`, `x!`, `x satisfies T`, `<T>x`.
TRANSPARENT = frozenset(
    {"parenthesized_expression", "as_expression", "non_null_expression", "satisfies_expression", "type_assertion"}
)
CLASS_TYPES = frozenset({"class_declaration", "abstract_class_declaration", "class"})
FUNCTION_TYPES = frozenset(
    {"function_declaration", "function_expression", "arrow_function", "method_definition", "generator_function",
     "generator_function_declaration", "function"}
)


@functools.cache
def language(dialect: str) -> tree_sitter.Language:
    if dialect == "tsx":
        return tree_sitter.Language(tree_sitter_typescript.language_tsx())
    if dialect == "typescript":
        return tree_sitter.Language(tree_sitter_typescript.language_typescript())
    return tree_sitter.Language(tree_sitter_javascript.language())


def dialect_for(path: str) -> str:
    if path.endswith(".tsx"):
        return "tsx"
    if path.endswith((".ts", ".mts", ".cts")):
        return "typescript"
    return "javascript"


@functools.cache
def parser(dialect: str) -> tree_sitter.Parser:
    return tree_sitter.Parser(language(dialect))


@functools.cache
def query(dialect: str, source: str) -> tree_sitter.Query:
    compiled: tree_sitter.Query = tree_sitter.Query(language(dialect), source)
    return compiled


class SourceText:
    """The bytes of one file, with the conversions spans need (bytes -> 1-based characters)."""

    def __init__(self, path: str, data: bytes) -> None:
        self.path = path
        self.data = data
        self._line_starts: list[int] | None = None

    def text(self, node: Node | None) -> str:
        if node is None:
            return ""
        return self.data[node.start_byte : node.end_byte].decode("utf-8", "replace")

    def _column(self, row: int, byte_column: int) -> int:
        if self._line_starts is None:
            starts = [0]
            find = self.data.find
            pos = find(b"\n")
            while pos != -1:
                starts.append(pos + 1)
                pos = find(b"\n", pos + 1)
            self._line_starts = starts
        if row >= len(self._line_starts):
            return byte_column + 1
        start = self._line_starts[row]
        prefix = self.data[start : start + byte_column]
        if prefix.isascii():
            return byte_column + 1
        return len(prefix.decode("utf-8", "replace")) + 1

    def span(self, node: Node) -> Span:
        (sr, sc), (er, ec) = node.start_point, node.end_point
        return Span(self.path, sr + 1, self._column(sr, sc), er + 1, self._column(er, ec))


def unwrap(node: Node | None) -> Node | None:
    """Strip parentheses and type assertions around an expression."""
    while node is not None and node.type in TRANSPARENT:
        node = node.named_children[0] if node.named_children else None
    return node


def arguments(call: Node) -> list[Node]:
    args = call.child_by_field_name("arguments")
    if args is None:
        return []
    return [a for a in args.named_children if a.type != "comment"]


def string_value(node: Node | None, src: SourceText) -> str | None:
    """The value of a plain string literal or a template without substitutions, escapes decoded."""
    node = unwrap(node)
    if node is None:
        return None
    if node.type == "string" or (node.type == "template_string"
                                 and not any(c.type == "template_substitution" for c in node.named_children)):
        return "".join(fragment(c, src) for c in node.named_children if c.type in ("string_fragment", "escape_sequence"))
    return None


SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}


def fragment(node: Node, src: SourceText) -> str:
    r"""A string's piece as the program sees it: `\'` is `'`, `\u0041` is `A`, `\x41` is `A`."""
    text = src.text(node)
    if node.type != "escape_sequence" or len(text) < 2:
        return text
    body = text[1:]
    if body[0] in SIMPLE_ESCAPES and not (body[0] == "0" and len(body) > 1):
        return SIMPLE_ESCAPES[body[0]]
    try:
        if body[0] == "x" and len(body) == 3:
            return chr(int(body[1:], 16))
        if body[0] == "u":
            digits = body[2:-1] if body.startswith("u{") else body[1:]
            return chr(int(digits, 16))
    except ValueError:
        return text
    if body[0] in "\r\n":  # a line continuation
        return ""
    return body  # a quote, a backslash, and any other character stand for themselves


def property_name(node: Node | None, src: SourceText) -> str | None:
    """The key of an object pair / class member: `a`, `'a'`, `[K.A]` is left to the caller."""
    if node is None:
        return None
    if node.type in ("property_identifier", "identifier", "private_property_identifier", "shorthand_property_identifier"):
        return src.text(node)
    if node.type in ("string", "number"):
        return string_value(node, src) if node.type == "string" else src.text(node)
    return None


def object_pairs(node: Node | None, src: SourceText) -> dict[str, Node]:
    """Static keys of an object literal mapped to their value nodes (shorthand maps to itself)."""
    node = unwrap(node)
    pairs: dict[str, Node] = {}
    if node is None or node.type != "object":
        return pairs
    for child in node.named_children:
        if child.type == "pair":
            key = property_name(child.child_by_field_name("key"), src)
            value = child.child_by_field_name("value")
            if key is not None and value is not None:
                pairs[key] = value
        elif child.type == "shorthand_property_identifier":
            pairs[src.text(child)] = child
    return pairs


def computed_pairs(node: Node | None) -> list[tuple[Node, Node]]:
    """The pairs of an object literal whose keys are computed (`[QueueName.Mail]: value`):
    (the key's expression, the value)."""
    node = unwrap(node)
    found: list[tuple[Node, Node]] = []
    for child in node.named_children if node is not None and node.type == "object" else ():
        key, value = child.child_by_field_name("key"), child.child_by_field_name("value")
        if child.type == "pair" and key is not None and value is not None and key.type == "computed_property_name" \
                and key.named_children:
            found.append((key.named_children[0], value))
    return found


def dotted_name(node: Node | None, src: SourceText) -> str | None:
    """`A.B.C` or `A['B']` as a dotted path; None for anything that is not a plain name chain."""
    node = unwrap(node)
    if node is None:
        return None
    if node.type in ("identifier", "type_identifier", "shorthand_property_identifier", "this"):
        return src.text(node)
    if node.type == "member_expression":
        base = dotted_name(node.child_by_field_name("object"), src)
        prop = node.child_by_field_name("property")
        if base is None or prop is None or prop.type != "property_identifier":
            return None
        return f"{base}.{src.text(prop)}"
    if node.type == "subscript_expression":
        base = dotted_name(node.child_by_field_name("object"), src)
        key = string_value(node.child_by_field_name("index"), src)
        if base is None or key is None:
            return None
        return f"{base}.{key}"
    return None


def member_decorators(member: Node) -> list[Node]:
    """Decorators of a class member: its own children and the `decorator` siblings before it."""
    found = [c for c in member.children if c.type == "decorator"]
    sibling = member.prev_named_sibling
    while sibling is not None and sibling.type in ("decorator", "comment"):
        if sibling.type == "decorator":
            found.append(sibling)
        sibling = sibling.prev_named_sibling
    return found


def class_decorators(cls: Node) -> list[Node]:
    found = [c for c in cls.children if c.type == "decorator"]
    parent = cls.parent
    if parent is not None and parent.type == "export_statement":
        found.extend(c for c in parent.children if c.type == "decorator")
    return found


def decorator_call(decorator: Node) -> tuple[Node | None, list[Node]]:
    """The callee and arguments of `@Name(args)`; `@Name` alone has no arguments."""
    inner = decorator.named_children[0] if decorator.named_children else None
    if inner is not None and inner.type == "call_expression":
        return inner.child_by_field_name("function"), arguments(inner)
    return inner, []


def walk_body(node: Node) -> Iterator[Node]:
    """Every node under `node`, not entering nested functions or classes."""
    stack = list(reversed(node.named_children))
    while stack:
        current = stack.pop()
        yield current
        if current.type in FUNCTION_TYPES or current.type in CLASS_TYPES:
            continue
        stack.extend(reversed(current.named_children))


def enclosing(node: Node, types: frozenset[str] | set[str]) -> Node | None:
    parent = node.parent
    while parent is not None and parent.type not in types:
        parent = parent.parent
    return parent


def errors(root: Node, limit: int = 50) -> list[Node]:
    """ERROR and MISSING nodes, in source order (at most `limit`)."""
    found: list[Node] = []
    if not root.has_error:
        return found
    stack = [root]
    while stack and len(found) < limit:
        node = stack.pop()
        if node.is_error or node.is_missing:
            found.append(node)
            continue
        stack.extend(c for c in reversed(node.children) if c.has_error or c.is_missing)
    return found


def enclosing_statement(node: Node) -> Node:
    """The statement (or declaration) a node belongs to, for context."""
    current = node
    while current.parent is not None and current.parent.type not in ("program", "statement_block", "class_body"):
        current = current.parent
    return current


def shorten(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
