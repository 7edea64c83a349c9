"""Parts of the web pages without a server: how a failed check's problems are shown."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from policyengine.service.jobs import Job
from policyengine.web.pages_jobs import _problems


def test_a_failed_checks_problems_name_the_users_files_never_the_servers_paths(tmp_path: Path) -> None:
    directory = tmp_path / "jobs" / "0123456789abcdef"
    directory.mkdir(parents=True)
    mapping = directory / "mapping.yaml"
    mapping.write_text("- a\n- b\n", encoding="utf-8")
    ledger = str(directory / "input.xlsx")
    job = Job("0123456789abcdef", 1, "县民政局", None, "台账.xlsx", ["sichuan"], date(2023, 6, 30), ["csv"],
              directory, spec_input=ledger)  # fmt: skip
    shape = "a mapping file is `表头: field.path` lines, or `工作表: {表头: field.path}` for a second sheet"
    job.outcome = {
        "problems": [
            {"message": f"{mapping}: {shape}", "file": str(mapping), "line": 1, "hint": None},
            {"message": f"{ledger} cannot be read", "file": ledger, "line": None, "hint": None},
        ]
    }
    zh, en = _problems(job, "zh"), _problems(job, "en")
    shown = repr(zh) + repr(en)
    assert str(tmp_path) not in shown  # nothing of the server's layout
    assert zh[0]["message"].startswith("表头映射文件无法读取") and zh[0]["sheet"] == "表头映射文件"
    assert en[0]["message"].startswith("the mapping file:") and en[0]["sheet"] == "the mapping file"
    assert "台账.xlsx" in en[1]["message"] and en[1]["sheet"] is None
