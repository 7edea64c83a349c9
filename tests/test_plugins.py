"""A third-party plugin, really installed, registers a pack and a function."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURE = Path(__file__).parent / "fixtures" / "pe_demo_plugin"


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("site")
    build = tmp_path_factory.mktemp("build")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(target),
            str(FIXTURE),
        ],
        check=True,
        cwd=build,
        env={**os.environ, "PIP_NO_INPUT": "1"},
    )
    return target


def run(site: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]),
    }
    return subprocess.run(
        [sys.executable, "-m", "policyengine.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
    )


@pytest.mark.slow
def test_installed_plugin_registers_its_pack(plugin_site: Path) -> None:
    out = run(plugin_site, "packs", "--format", "json")
    assert out.returncode == 0, out.stderr
    assert '"id": "demo_region"' in out.stdout
    assert '"id": "lanzhou_2022"' in out.stdout  # shipped packs come through the same hook


@pytest.mark.slow
def test_installed_plugin_function_is_usable_in_conditions(plugin_site: Path, tmp_path: Path) -> None:
    record = tmp_path / "funding.yaml"
    record.write_text(
        "kind: funding\nfunds: {social_assistance: 5210.00, purchase_services: 156.31}\n",
        encoding="utf-8",
    )
    out = run(
        plugin_site,
        "evaluate",
        "--pack",
        "demo_region",
        str(record),
        "--as-of",
        "2023-01-01",
        "--format",
        "json",
    )
    assert out.returncode == 1, out.stderr  # 156.31 / 5210 is above 3%
    assert '"outcome": "fail"' in out.stdout
    record.write_text(
        "kind: funding\nfunds: {social_assistance: 5210.00, purchase_services: 156.30}\n",
        encoding="utf-8",
    )
    assert (
        run(plugin_site, "evaluate", "--pack", "demo_region", str(record), "--as-of", "2023-01-01").returncode
        == 0
    )


def test_without_the_plugin_its_function_is_unknown(write_pack) -> None:
    from policyengine import PackError, load_pack

    d = write_pack(
        (FIXTURE / "src/pe_demo_plugin/packs/demo_region/pack.yaml").read_text(encoding="utf-8"),
        head=False,
    )
    with pytest.raises(PackError, match="no function `share`"):
        load_pack(d)


def test_plugin_functions_must_not_take_a_reserved_name() -> None:
    import pluggy

    from policyengine import Function, hookimpl
    from policyengine.errors import PluginWarning
    from policyengine.plugins import collect_functions, make_plugin_manager

    class Bad:
        @hookimpl
        def policyengine_functions(self):  # type: ignore[no-untyped-def]
            return [Function("count", ("any",), "number", len)]

    pm: pluggy.PluginManager = make_plugin_manager(load_entry_points=False)
    pm.register(Bad(), name="reserved_name_taker")
    with pytest.warns(PluginWarning, match="reserved_name_taker.*language keeps"):
        functions = collect_functions(pm)
    assert "count" not in functions and "days_between" in functions  # the rest is unaffected


@pytest.mark.slow
def test_the_built_wheel_ships_the_packs(tmp_path: Path) -> None:
    """The wheel alone, not the source tree: run with ``-S`` so that no .pth file (the editable
    install's among them) puts src/ back on the path; the dependencies come from site-packages."""
    import sysconfig

    root = Path(__file__).resolve().parent.parent
    wheels, site = tmp_path / "wheels", tmp_path / "site"
    source = tmp_path / "source"  # a copy without build/: a stale build/lib can hide a missing package
    shutil.copytree(root, source, ignore=shutil.ignore_patterns("build", ".git", "*.egg-info", "__pycache__"))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(wheels), str(source)],
        check=True,
        cwd=tmp_path,
    )
    [wheel] = wheels.glob("policyengine-*.whl")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site), str(wheel)],
        check=True,
        cwd=tmp_path,
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), sysconfig.get_paths()["purelib"]])}

    def wheel_run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-S", *args], capture_output=True, text=True, env=env, cwd=tmp_path
        )

    where = wheel_run(
        "-c", "import policyengine, policyengine.monitor.kinds.followed_by as k; print(k.__file__)"
    )
    assert where.returncode == 0, where.stderr
    assert where.stdout.startswith(str(site)), where.stdout
    out = wheel_run("-m", "policyengine.cli", "packs", "--format", "json")
    assert out.returncode == 0, out.stderr
    rows = {r["id"]: r for r in json.loads(out.stdout)}
    assert rows["lanzhou_2022"]["path"].startswith(str(site))
    assert rows["lanzhou_2022"]["rules"] > 30
    log = root / "packs/haining/examples/events-2023.jsonl"
    monitor = wheel_run("-m", "policyengine.cli", "monitor", "-p", "haining", str(log), "--backend", "plain")
    assert monitor.returncode == 1, monitor.stderr  # the example log has a late filing


# The plugin adds one subject kind, one monitor kind and one batch output format, each one
# module plus its hook (docs/architecture.md): each is usable from the command line.


@pytest.mark.slow
def test_a_plugin_subject_kind_is_evaluated_and_has_a_schema(plugin_site: Path, tmp_path: Path) -> None:
    schema = run(plugin_site, "schema", "demo_centre")
    assert schema.returncode == 0, schema.stderr
    assert json.loads(schema.stdout)["properties"]["visitors"]["title"] == "服务人次"
    record = tmp_path / "centre.yaml"
    record.write_text("kind: demo_centre\nid: C1\nvisitors: 99\n", encoding="utf-8")
    out = run(
        plugin_site, "evaluate", "-p", "demo_centres", str(record), "--as-of", "2023-01-01", "-f", "json"
    )
    assert out.returncode == 1, out.stderr
    assert json.loads(out.stdout)["findings"][0]["outcome"] == "fail"  # 99 < 100
    record.write_text("kind: demo_centre\nid: C1\nvisitors: 100\n", encoding="utf-8")
    out = run(plugin_site, "evaluate", "-p", "demo_centres", str(record), "--as-of", "2023-01-01")
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.slow
def test_a_plugin_monitor_kind_runs_on_both_backends(plugin_site: Path, tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    log.write_text(
        '{"type": "payment", "date": "2023-03-01", "note": "cash", "id": "p1"}\n'
        '{"type": "payment", "date": "2023-04-01", "note": "transfer", "id": "p2"}\n',
        encoding="utf-8",
    )
    results = []
    for backend in ("plain", "durable"):
        out = run(plugin_site, "monitor", "-p", "demo_centres", str(log), "--backend", backend, "-f", "json")
        assert out.returncode == 1, out.stderr  # the cash payment fails
        results.append(
            [(f["outcome"], f["events"], f["message"]["zh"]) for f in json.loads(out.stdout)["findings"]]
        )
    assert results[0] == results[1] == [("fail", ["p1"], "2023-03-01 以现金拨款")]


@pytest.mark.slow
def test_a_plugin_monitor_kind_is_checked_at_load(plugin_site: Path, tmp_path: Path) -> None:
    pack = tmp_path / "p"
    pack.mkdir()
    text = (FIXTURE / "src/pe_demo_plugin/packs/demo_centres/pack.yaml").read_text(encoding="utf-8")
    (pack / "pack.yaml").write_text(
        text.replace("event: {type: payment", "evnt: {type: payment"), encoding="utf-8"
    )
    out = run(plugin_site, "validate", str(pack))
    assert out.returncode == 2
    assert "unknown field `evnt`" in out.stderr and "a `none_of` monitor needs `event`" in out.stderr


@pytest.mark.slow
def test_a_plugin_output_format_is_written_by_assess(plugin_site: Path, tmp_path: Path) -> None:
    rows = tmp_path / "centres.jsonl"
    rows.write_text(
        '{"kind": "demo_centre", "id": "C1", "visitors": 120}\n'
        '{"kind": "demo_centre", "id": "C2", "visitors": 3}\n',
        encoding="utf-8",
    )
    out = run(plugin_site, "assess", "-p", "demo_centres", str(rows), "--out", str(tmp_path / "r.tsv"))
    assert out.returncode == 1, out.stderr
    assert (tmp_path / "r.tsv").read_text(encoding="utf-8").splitlines() == [
        "1\tC1\tcompliant",
        "2\tC2\tnon_compliant",
    ]
