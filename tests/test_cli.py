"""The command line: exit codes, messages without tracebacks, formats."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from policyengine.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "packs" / "lanzhou_2022" / "examples" / "project.yaml"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "policyengine.cli", *args], capture_output=True, text=True, cwd=ROOT
    )


def test_validate_refuses_a_misspelt_field_with_exit_2_and_position(write_pack) -> None:
    d = write_pack("""\
rules:
  - id: site.area
    title: 面积
    subject: station
    require: site.area_m3 >= 300
    cite: {clause: 七(一)3, quote: 服务面积不低于300平方米}
    message: 面积不足
""")
    out = cli("validate", str(d))
    assert out.returncode == 2
    assert f"{d / 'pack.yaml'}:12:19" in out.stderr
    assert "did you mean `area_m2`?" in out.stderr
    assert "Traceback" not in out.stderr


def test_validate_accepts_the_shipped_packs() -> None:
    out = cli("validate", *(str(p) for p in sorted((ROOT / "packs").iterdir()) if p.is_dir()))
    assert out.returncode == 0, out.stderr
    assert "✓ lanzhou_2022" in out.stdout


def test_evaluate_compliant_example_exits_0_and_json_is_complete(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(
        [
            "evaluate",
            "--pack",
            "lanzhou_2022",
            str(EXAMPLE),
            "--as-of",
            "2023-09-28",
            "--format",
            "json",
        ]
    )
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["verdict"] == "compliant"
    assert data["packs"][0]["content_hash"].startswith("sha256:")
    assert data["as_of"] == "2023-09-28"


def test_evaluate_non_compliant_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "p.yaml"
    bad.write_text(
        EXAMPLE.read_text(encoding="utf-8").replace("area_m2: 320", "area_m2: 280"),
        encoding="utf-8",
    )
    assert (
        main(
            [
                "evaluate",
                "-p",
                "lanzhou_2022",
                str(bad),
                "--as-of",
                "2023-09-28",
                "--format",
                "markdown",
            ]
        )
        == 1
    )
    out = capsys.readouterr().out
    assert "不合规" in out and "社区服务面积 280 平方米,低于 300 平方米" in out and "七(一)3" in out


def test_evaluate_incomplete_exits_1(tmp_path: Path) -> None:
    rec = tmp_path / "p.yaml"
    rec.write_text("kind: project\nname: 只有名称\n", encoding="utf-8")
    assert (
        main(
            [
                "evaluate",
                "-p",
                "lanzhou_2022",
                str(rec),
                "--as-of",
                "2023-09-28",
                "-f",
                "json",
                "-o",
                str(tmp_path / "r.json"),
            ]
        )
        == 1
    )
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["verdict"] == "incomplete"


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("kind: project\nbudgt: {}\n", "did you mean `budget`?"),
        ("kind: project\nbudget: {total: 很多}\n", "budget.total"),
        ("kind: project\n  bad: [\n", "YAML syntax"),
        ("- 1\n- 2\n", "must be a mapping"),
    ],
)
def test_bad_records_exit_2_with_a_message_not_a_traceback(
    tmp_path: Path, content: str, fragment: str
) -> None:
    rec = tmp_path / "r.yaml"
    rec.write_text(content, encoding="utf-8")
    out = cli("evaluate", "-p", "lanzhou_2022", str(rec), "--as-of", "2023-09-28")
    assert out.returncode == 2
    assert fragment in out.stderr
    assert "Traceback" not in out.stderr


def test_unknown_pack_id_suggests() -> None:
    out = cli("evaluate", "-p", "lanzhou_2023", str(EXAMPLE))
    assert out.returncode == 2 and "did you mean `lanzhou_2022`?" in out.stderr


def test_bad_date_is_a_usage_error() -> None:
    out = cli("evaluate", "-p", "lanzhou_2022", str(EXAMPLE), "--as-of", "2023-13-01")
    assert out.returncode == 2 and "not a date" in out.stderr


def test_english_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "evaluate",
                "-p",
                "lanzhou_2022",
                str(EXAMPLE),
                "--as-of",
                "2023-09-28",
                "--lang",
                "en",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "Verdict: compliant" in out and "community.service_area" in out


def test_packs_lists_versions_and_rule_counts(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["packs", "--format", "json"]) == 0
    rows = {r["id"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["lanzhou_2022"]["version"] == "1.2.0" and rows["lanzhou_2022"]["rules"] > 30


def test_pack_show_gives_parameter_values_on_a_date(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["pack", "show", "lanzhou_2022", "--as-of", "2023-01-01", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["parameters"]["budget_per_community"]["value"] == 300000
    assert data["parameters"]["budget_per_community"]["cite"]["clause"] == "六(一)"


def test_test_command_runs_pack_cases(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["test", "lanzhou_2022"]) == 0
    summary = capsys.readouterr().out.strip().splitlines()[-1]
    passed, failed = (int(part.split()[0]) for part in summary.split(", "))
    assert failed == 0 and passed >= 20  # the lanzhou cases ran, not an empty collection


@pytest.mark.parametrize("target", ["pack", "report", "station", "project", "funding", "events", "case"])
def test_schema_prints_json_schema(target: str, capsys: pytest.CaptureFixture[str]) -> None:
    import jsonschema

    assert main(["schema", target]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["type"] == "object"
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema.get("properties"), "a schema that constrains nothing"


def test_the_report_schema_holds_a_real_report_and_refuses_a_broken_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import jsonschema

    assert main(["schema", "report"]) == 0
    validator = jsonschema.Draft202012Validator(json.loads(capsys.readouterr().out))
    assert main(["evaluate", "-p", "lanzhou_2022", str(EXAMPLE), "--as-of", "2023-09-28", "-f", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert list(validator.iter_errors(report)) == []
    assert report["scores"] == [] and "scores" in validator.schema["required"]
    broken = {k: v for k, v in report.items() if k != "verdict"}
    assert list(validator.iter_errors(broken)), "a report without a verdict must not validate"
    report["findings"][0]["outcome"] = "passed"
    assert list(validator.iter_errors(report)), "an unknown outcome must not validate"


def test_pack_schema_validates_the_shipped_pack() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    import yaml

    from policyengine.packs.schema import PackFile

    def plain(value: object) -> object:  # YAML dates (also as keys) → ISO text, as JSON has them
        if isinstance(value, dict):
            return {str(k): plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        return str(value) if not isinstance(value, (str, int, float, bool, type(None))) else value

    data = plain(yaml.safe_load((ROOT / "packs/lanzhou_2022/pack.yaml").read_text(encoding="utf-8")))
    jsonschema.validate(data, PackFile.model_json_schema(by_alias=True))
