"""In-house consumers declared in the config: methods decorated with `@ProcessJob({ name })`
(or any decorator named there) handle the job that decorator names."""

from __future__ import annotations

from dataclasses import replace

from queuelint.config import ConsumerSpec
from queuelint.frontends.typescript.state import Extraction, handler_consumer
from queuelint.frontends.typescript.syntax import (
    Node,
    decorator_call,
    dotted_name,
    member_decorators,
    object_pairs,
)
from queuelint.frontends.typescript.values import expr_of
from queuelint.model import Expr, Route


def read_class(cls: Node, state: Extraction, specs: tuple[ConsumerSpec, ...]) -> None:
    by_decorator = {spec.decorator: spec for spec in specs}
    src = state.src
    owner = src.text(cls.child_by_field_name("name")) or "<anonymous class>"
    body = cls.child_by_field_name("body")
    for member in body.named_children if body is not None else []:
        if member.type != "method_definition":
            continue
        for decorator in member_decorators(member):
            callee, args = decorator_call(decorator)
            spec = by_decorator.get((dotted_name(callee, src) or "").rsplit(".", 1)[-1])
            if spec is None:
                continue
            argument = args[spec.name_arg] if spec.name_arg < len(args) else None
            name_node = object_pairs(argument, src).get(spec.name_key) if spec.name_key else argument
            job = expr_of(name_node, src) if name_node is not None else Expr.unknown(f"@{spec.decorator}()", f"`@{spec.decorator}()` names no job")
            consumer = handler_consumer(
                state, function=member, span=src.span(decorator), library=spec.library, kind="custom-decorator",
                queue=Expr.literal(spec.queue), handler=f"{owner}.{src.text(member.child_by_field_name('name'))}",
                owner=owner,
            )
            anchor = name_node if name_node is not None else decorator
            # The decorator names exactly one job; routing inside the method does not widen that.
            state.consumers.append(replace(consumer, routes=(Route(job, src.span(anchor)),), accepts_any=False))
