"""The loops behind ``count any all sum min max filter``.

The compiler compiles the list expression and the lambda's body; :func:`quantifier` wraps
them in the loop for the form, binding each item to the lambda's slot in ``ctx.vars`` and
counting iterations against the evaluation's step limit.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..errors import EvaluationLimitError
from .runtime import MISSING, Ctx, Fn


def quantifier(name: str, items_fn: Fn, body: Fn, slot: int) -> Fn:
    """The loop for ``name(items, x -> body)``, with ``x`` bound to ``ctx.vars[slot]``."""
    # long on purpose: these loops are the evaluation hot path, so each form gets its own
    # closure with the body call, the MISSING test and the decision inlined, rather than a
    # shared loop calling per-form helpers on every item.

    def items_of(ctx: Ctx) -> Any:
        items = items_fn(ctx)
        if items is not MISSING:
            ctx.steps += len(items) + 1
            if ctx.steps > ctx.max_steps:
                raise EvaluationLimitError(
                    f"evaluation took more than {ctx.max_steps} steps "
                    f"(at {name}(...) over {len(items)} items)"
                )
        return items

    if name == "count":

        def count_fn(ctx: Ctx) -> Any:
            items = items_of(ctx)
            if items is MISSING:
                return MISSING
            n = 0
            unknown = False
            env = ctx.vars
            for item in items:
                env[slot] = item
                r = body(ctx)
                if r is MISSING:
                    unknown = True
                elif r:
                    n += 1
            return MISSING if unknown else Decimal(n)

        return count_fn
    if name == "any":

        def any_fn(ctx: Ctx) -> Any:
            items = items_of(ctx)
            if items is MISSING:
                return MISSING
            unknown = False
            env = ctx.vars
            for item in items:
                env[slot] = item
                r = body(ctx)
                if r is MISSING:
                    unknown = True
                elif r:
                    return True
            return MISSING if unknown else False

        return any_fn
    if name == "all":

        def all_fn(ctx: Ctx) -> Any:
            items = items_of(ctx)
            if items is MISSING:
                return MISSING
            unknown = False
            env = ctx.vars
            for item in items:
                env[slot] = item
                r = body(ctx)
                if r is MISSING:
                    unknown = True
                elif not r:
                    return False
            return MISSING if unknown else True

        return all_fn
    if name == "sum":

        def sum_fn(ctx: Ctx) -> Any:
            items = items_of(ctx)
            if items is MISSING:
                return MISSING
            total = Decimal(0)
            unknown = False
            env = ctx.vars
            for item in items:
                env[slot] = item
                r = body(ctx)
                if r is MISSING:
                    unknown = True
                elif not unknown:
                    total += r
            return MISSING if unknown else total

        return sum_fn
    if name == "filter":

        def filter_fn(ctx: Ctx) -> Any:
            items = items_of(ctx)
            if items is MISSING:
                return MISSING
            kept = []
            unknown = False
            env = ctx.vars
            for item in items:
                env[slot] = item
                r = body(ctx)
                if r is MISSING:
                    unknown = True
                elif r:
                    kept.append(item)
            return MISSING if unknown else kept

        return filter_fn
    pick = min if name == "min" else max

    def minmax_fn(ctx: Ctx) -> Any:
        items = items_of(ctx)
        if items is MISSING or not items:
            return MISSING
        env = ctx.vars
        results = []
        for item in items:
            env[slot] = item
            r = body(ctx)
            if r is MISSING:
                return MISSING
            results.append(r)
        return pick(results)

    return minmax_fn
