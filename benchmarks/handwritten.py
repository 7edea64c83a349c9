"""The lanzhou_2022 checks written by hand as plain Python over the same validated records,
giving the same outcome for every rule (pass / fail / unknown / not_applicable).

This is the baseline the engine's speed is compared with: what a developer would write if
they hard-coded the rules. `throughput.py` checks that both agree on every record.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from policyengine.lang.functions import add_months

P, F, U, NA = "pass", "fail", "unknown", "not_applicable"
DISTRICTS = {"城关区", "七里河区", "西固区", "安宁区", "红古区"}
DOMAINS = {
    "social_assistance",
    "child_welfare",
    "elderly_care",
    "community_governance",
    "other_civil_affairs",
    "family",
    "disability",
}
START, END = date(2022, 9, 27), date(2023, 9, 27)
CERTIFIED = {"assistant", "intermediate", "senior"}
PROCUREMENT = {
    "public_tender",
    "invited_tender",
    "competitive_negotiation",
    "competitive_consultation",
    "single_source",
    "inquiry",
}
PREPARATION_DEADLINE = date(2022, 8, 30)


def _g(obj: Any, *path: str) -> Any:
    for p in path:
        if obj is None:
            return None
        obj = getattr(obj, p)
    return obj


def _b(v: Any) -> str:
    return U if v is None else (P if v else F)


def _and(*vals: Any) -> Any:
    if any(v is False for v in vals):
        return False
    return None if any(v is None for v in vals) else True


def _or(*vals: Any) -> Any:
    if any(v is True for v in vals):
        return True
    return None if any(v is None for v in vals) else False


def _cmp(a: Any, op: str, b: Any) -> Any:
    if a is None or b is None:
        return None
    return {"==": a == b, "<=": a <= b, ">=": a >= b, "<": a < b, ">": a > b}[op]


def _lines(rec: Any, cat: str) -> Any:
    lines = _g(rec, "budget", "lines")
    if lines is None:
        return None
    return [ln for ln in lines if ln.category == cat]


def _sum(items: Any, attr: str) -> Any:
    if items is None:
        return None
    vals = [getattr(i, attr) for i in items]
    return None if any(v is None for v in vals) else sum(vals, Decimal(0))


def _line_sum(rec: Any, cat: str) -> Any:
    return _sum(_lines(rec, cat), "amount")


def _split(rec: Any, cat: str, parts: dict[str, Decimal]) -> str:
    lines = _lines(rec, cat)
    if lines is None:
        return U
    unknown = False
    for ln in lines:
        if ln.lines is None:
            unknown = True
            continue
        for sub, want in parts.items():
            got = _sum([s for s in ln.lines if s.category == sub], "amount")
            if got is None:
                unknown = True
            elif got != want:
                return F
    return U if unknown else P


def _count(items: Any, pred: Any) -> Any:
    if items is None:
        return None
    vals = [pred(i) for i in items]
    return None if any(v is None for v in vals) else sum(1 for v in vals if v)


def _all(items: Any, pred: Any) -> Any:
    if items is None:
        return None
    vals = [pred(i) for i in items]
    if any(v is False for v in vals):
        return False
    return None if any(v is None for v in vals) else True


def _any(items: Any, pred: Any) -> Any:
    if items is None:
        return None
    vals = [pred(i) for i in items]
    if any(v is True for v in vals):
        return True
    return None if any(v is None for v in vals) else False


def _cert(s: Any) -> Any:
    return None if s.certification is None else s.certification.value


def _val(v: Any) -> Any:
    return None if v is None else getattr(v, "value", v)


def lanzhou(rec: Any, as_of: date) -> dict[str, str]:
    """Outcome of each lanzhou_2022 rule for a project record on ``as_of``."""
    out: dict[str, str] = {}
    county = _g(rec, "region", "county")
    out["area.pilot_district"] = _b(None if county is None else county in DISTRICTS)
    start, end = _g(rec, "period", "start"), _g(rec, "period", "end")
    out["period.term"] = _b(
        None
        if start is None or end is None
        else add_months(start, Decimal(12)) - timedelta(days=1) <= end <= add_months(start, Decimal(12))
    )
    out["period.within_implementation"] = _b(_and(_cmp(start, ">=", START), _cmp(end, "<=", END)))
    total = _g(rec, "budget", "total")
    out["budget.total"] = _b(_cmp(total, "==", Decimal(300000)))
    out["budget.lines_add_up"] = _b(_cmp(_sum(_g(rec, "budget", "lines"), "amount"), "==", total))
    for rid, cat, want in (
        ("budget.staff", "staff", 160000),
        ("budget.services", "services", 80000),
        ("budget.training", "training", 15000),
        ("budget.evaluation_audit", "evaluation_audit", 15000),
        ("budget.management", "management", 30000),
    ):
        out[rid] = _b(_cmp(_line_sum(rec, cat), "==", Decimal(want)))
    out["budget.training_split"] = _split(
        rec, "training", {"training_in_city": Decimal(8000), "training_out_of_town": Decimal(7000)}
    )
    out["budget.evaluation_audit_split"] = _split(
        rec, "evaluation_audit", {"evaluation": Decimal(10000), "audit": Decimal(5000)}
    )
    out["community.service_area"] = _b(_cmp(_g(rec, "community", "site", "area_m2"), ">=", 300))
    app = _g(rec, "community", "application")
    out["community.application"] = _b(_and(_g(app, "written"), _g(app, "signed_by_street_leader")))
    op = _g(rec, "operator")
    out["operator.registered"] = _b(
        _and(_g(op, "registered_with_civil_affairs"), _g(op, "social_work_organization"))
    )
    pen = _g(op, "penalties")
    by_registrar = _count(
        pen,
        lambda p: None if p.authority is None else ("民政" in p.authority or "登记管理机关" in p.authority),
    )
    out["operator.no_penalty"] = _b(_cmp(by_registrar, "==", 0))
    insp = _g(op, "annual_inspections")
    out["operator.annual_inspection"] = _b(
        _all(insp, lambda i: None if i.result is None else i.result.value == "passed")
    )
    reg = _g(op, "registration_date")
    reg_year = None if reg is None else reg.year
    start_year = None if start is None else start.year
    due = None if reg_year is None or start_year is None else start_year - reg_year
    covered = _count(insp, lambda i: _and(_cmp(i.year, ">=", reg_year), _cmp(i.year, "<", start_year)))
    unique = _all(insp, lambda i: _cmp(_count(insp, lambda j: _cmp(j.year, "==", i.year)), "==", 1))
    # the rule's `... or null == true`: complete is a pass, anything else unknown, never a fail
    out["operator.annual_inspection_years"] = P if _and(_cmp(covered, ">=", due), unique) is True else U
    gov = _g(op, "governance")
    out["operator.governance"] = _b(_and(_g(gov, "legal_person_structure"), _g(gov, "internal_structure")))
    out["operator.rules_and_finance"] = _b(_and(_g(gov, "rules"), _g(gov, "financial_system")))
    out["operator.bank_account"] = _b(_g(gov, "independent_bank_account"))
    bl = _g(op, "blacklisted")
    out["operator.not_blacklisted"] = _b(None if bl is None else not bl)
    out["operator.experience"] = _b(_cmp(_g(op, "projects_completed"), ">=", 1))
    staff = _g(rec, "staff")

    def team(s: Any) -> Any:  # a professional social worker still on the project
        on = _or(s.left is None, _cmp(s.left, ">=", as_of), _cmp(s.left, ">=", end))
        return _and(s.professional, on)

    out["staffing.count"] = _b(_cmp(_count(staff, team), ">=", 3))
    out["staffing.full_time"] = _b(_cmp(_count(staff, lambda s: _and(team(s), s.full_time)), ">=", 3))
    left_during = _count(
        staff,
        lambda s: _and(
            s.professional, s.full_time, s.left is not None, _cmp(s.left, ">=", start), _cmp(s.left, "<", end)
        ),
    )
    out["staffing.stays_through_pilot"] = _b(_cmp(left_during, "<=", 1))
    out["staffing.certified"] = _b(
        _cmp(
            _count(staff, lambda s: _and(team(s), None if _cert(s) is None else _cert(s) in CERTIFIED)),
            ">=",
            2,
        )
    )
    out["staffing.intermediate"] = _b(
        _cmp(
            _count(
                staff,
                lambda s: _and(team(s), None if _cert(s) is None else _cert(s) in ("intermediate", "senior")),
            ),
            ">=",
            1,
        )
    )
    if staff is None:
        out["staffing.uncertified_are_graduates"] = U
    else:
        flags = [_and(team(s), None if _cert(s) is None else _cert(s) == "none") for s in staff]
        if any(f is None for f in flags):
            out["staffing.uncertified_are_graduates"] = U
        else:
            out["staffing.uncertified_are_graduates"] = _b(
                _all([s for s, f in zip(staff, flags, strict=True) if f], lambda s: s.social_work_graduate)
            )
    st = _g(rec, "community", "street_support")
    out["street.office_space"] = _b(_g(st, "office_space"))
    out["street.equipment"] = _b(_and(_cmp(_g(st, "computers"), ">=", 2), _cmp(_g(st, "printers"), ">=", 1)))
    out["street.liaison"] = _b(_g(st, "liaison"))
    out["street.joint_meeting"] = _b(_g(st, "joint_meeting_system"))
    out["street.station_plaque"] = _b(_g(st, "station_plaque_hung"))
    out["community.contact_person"] = _b(_g(rec, "community", "contact_person"))
    out["street.contact_person"] = _b(_g(st, "liaison"))
    proc = _g(rec, "procurement")
    method = _val(_g(proc, "method"))
    out["procurement.government_procurement"] = _b(None if method is None else method in PROCUREMENT)
    out["procurement.agreement_by_deadline"] = _b(
        _cmp(_g(proc, "contract_signed"), "<=", PREPARATION_DEADLINE)
    )
    out["plan.district_review"] = _b(
        _any(
            _g(rec, "approvals"),
            lambda a: _and(
                None if a.matter is None else a.matter == "plan",
                None if a.body is None else _val(a.body) == "bureau",
            ),
        )
    )
    services = _g(rec, "services")
    out["services.domains"] = _b(
        _all(services, lambda s: None if s.domain is None else s.domain.value in DOMAINS)
    )
    gd = _any(services, lambda s: s.government_duty)
    out["services.no_government_duty"] = _b(None if gd is None else not gd)
    reports, evals = _g(rec, "reports"), _g(rec, "evaluations")
    ended = None if end is None else as_of > end
    out["reports.community_confirmed"] = _b(
        _all(
            None if reports is None else [r for r in reports if r.kind in ("midterm", "final")],
            lambda r: r.confirmed_by_community,
        )
    )

    def both(items: Any, pred: Any) -> Any:
        return _and(_any(items, lambda x: pred(x, "midterm")), _any(items, lambda x: pred(x, "final")))

    for rid, value in (
        (
            "reports.midterm_and_final",
            lambda: both(reports, lambda r, k: None if r.kind is None else r.kind == k),
        ),
        (
            "evaluation.third_party",
            lambda: both(
                evals,
                lambda e, k: _and(
                    None if e.kind is None else e.kind == "evaluation",
                    None if e.stage is None else e.stage == k,
                    e.third_party,
                ),
            ),
        ),
        (
            "evaluation.audit",
            lambda: both(
                evals,
                lambda e, k: _and(
                    None if e.kind is None else e.kind == "audit",
                    None if e.stage is None else e.stage == k,
                    e.third_party,
                ),
            ),
        ),
    ):
        out[rid] = U if ended is None else (NA if not ended else _b(value()))
    return out
