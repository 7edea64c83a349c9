"""The pytest plugin collects pack cases and explains failures."""

from __future__ import annotations

import textwrap

import pytest

pytest_plugins = ["pytester"]

PACK = """\
pack: {id: tiny, version: 0.1.0, title: 小}
sources: [{id: d, title: 文件}]
rules:
  - id: site.area
    title: 面积
    subject: station
    require: site.area_m2 >= 300
    cite: {clause: 七(一)3, quote: 不低于300平方米}
    message: 面积 {site.area_m2}
"""


def test_pack_cases_are_collected_and_failures_show_expected_actual_and_trace(
    pytester: pytest.Pytester,
) -> None:
    pytester.makefile(".yaml", **{"tiny/pack": PACK})
    pytester.makefile(
        ".yaml",
        **{
            "tiny/tests/cases": textwrap.dedent("""\
        cases:
          - name: big enough
            as_of: 2023-01-01
            record: {kind: station, site: {area_m2: 320}}
            expect: {verdict: compliant, rules: {site.area: pass}}
          - name: wrongly expected
            as_of: 2023-01-01
            record: {kind: station, site: {area_m2: 280}}
            expect: {rules: {site.area: pass}}
        """)
        },
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*rule site.area: expected pass, got fail*",
            "*trace: site.area_m2 >= 300: 280 >= 300 ✗*",
        ]
    )


def test_a_case_naming_an_unknown_rule_is_a_collection_error(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", **{"tiny/pack": PACK})
    pytester.makefile(
        ".yaml",
        **{
            "tiny/tests/cases": textwrap.dedent("""\
        cases:
          - name: typo
            as_of: 2023-01-01
            record: {kind: station}
            expect: {rules: {site.aera: unknown}}
        """)
        },
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*no rule `site.aera`*", "*did you mean `site.area`?*"])
