"""libcst plumbing for the Python front-end: positions, names, literals, call arguments."""

from __future__ import annotations

import ast
from collections.abc import Mapping

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from queuelint.model import Span


class Positions:
    """Node -> `Span`, from libcst's PositionProvider (lines 1-based, columns 0-based).

    Computing positions costs about as much as parsing, so it happens on the first span a
    file needs: most files the prefilter lets through hold nothing to report.
    """

    def __init__(self, path: str, module: cst.Module) -> None:
        self.path = path
        self._module = module
        self._ranges: Mapping[cst.CSTNode, CodeRange] | None = None

    def span(self, node: cst.CSTNode) -> Span:
        if self._ranges is None:
            wrapper = MetadataWrapper(self._module, unsafe_skip_copy=True)
            self._ranges = wrapper.resolve(PositionProvider)
        found = self._ranges.get(node)
        if found is None:
            return Span(self.path, 1, 1, 1, 1)
        return Span(self.path, found.start.line, found.start.column + 1, found.end.line, found.end.column + 1)


def string_value(node: cst.BaseExpression | None) -> str | None:
    """The value of a plain (non-f) string literal, implicit concatenations included."""
    if isinstance(node, cst.SimpleString):
        try:
            value = ast.literal_eval(node.value)
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
