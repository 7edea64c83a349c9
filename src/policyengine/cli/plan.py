"""``policyengine plan``: the SQL a pack's rules compile to, and the rules left to the row engine."""

from __future__ import annotations

import argparse
from datetime import date

from ..errors import PolicyEngineError, Problem
from ..plugins import get_registry
from .output import emit
from .parser import EXIT_OK


def cmd_plan(args: argparse.Namespace) -> int:
    from ..plan.api import plan_for

    registry = get_registry()
    packs = [registry.load(p) for p in args.pack]
    kinds = sorted({k for p in packs for k in (r.subject for r in p.rules)})
    if args.kind is not None:
        if args.kind not in kinds:
            raise PolicyEngineError(
                [
                    Problem(
                        f"the packs have no rules for `{args.kind}` records",
                        None,
                        f"use --kind with one of {', '.join(kinds) or '(none)'}",
                        "usage",
                    )
                ]
            )
        kinds = [args.kind]
    as_of = args.as_of or date.today()
    out: list[str] = []
    for kind in kinds:
        plan = plan_for(packs, kind, as_of, ignore_scope=args.ignore_scope)
        ids = ", ".join(f"{p.id} {p.version}" for p in packs)
        out.append(f"-- 计划 / plan: {ids}; {kind} records; as of {as_of.isoformat()}; {args.dialect}")
        out.append("-- 读取的表 / tables read:")
        out.extend(f"--   {line}" for line in plan.create_tables(args.dialect).splitlines())
        out.append(plan.sql(args.dialect) + ";")
        left = plan.not_in_plan()
        if left:
            out.append(
                "-- 不在计划内、由逐行引擎评估的规则 / rules not in the plan (the row engine runs them):"
            )
            out.extend(f"--   {r.column}: {r.reason}" for r in left)
        else:
            out.append("-- 全部规则均在计划内 / every rule is in the plan")
        out.append("")
    emit("\n".join(out).rstrip("\n"))
    return EXIT_OK
