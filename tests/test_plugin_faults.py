"""A faulty plugin never takes the tool down (docs/embedding.md, "When a plugin is faulty").

Small throwaway plugins are registered on a fresh manager (fast), or put on ``sys.path`` as a
distribution with entry points (fast, in this process), or installed for real into a target
directory and driven through the command line (slow: one ``pip install`` for every case).
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import uuid
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pluggy
import pytest

from policyengine import Function, hookimpl, plugins
from policyengine.errors import AmbiguousPackError, PackNotFoundError, PluginError, PluginWarning
from policyengine.evaluate.render import render_json
from policyengine.plugins import (
    PackRegistry,
    collect_formats,
    collect_functions,
    collect_monitor_kinds,
    collect_named,
    collect_subjects,
    make_plugin_manager,
    plugin_warnings,
)

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "packs" / "lanzhou_2022" / "examples" / "project.yaml"
FIXTURE = Path(__file__).parent / "fixtures" / "pe_faulty_plugin"
EVALUATE = ["evaluate", "--pack", "lanzhou_2022", str(EXAMPLE), "--as-of", "2023-09-28"]

#: every hook, and what collects it (the built-ins' part of the answer is what a clean manager gives)
COLLECTORS: dict[str, Callable[[pluggy.PluginManager], Any]] = {
    "policyengine_packs": lambda pm: PackRegistry(pm).directories(),
    "policyengine_functions": collect_functions,
    "policyengine_subject_models": collect_subjects,
    "policyengine_monitor_kinds": collect_monitor_kinds,
    "policyengine_report_formats": collect_formats,
    **{
        hook: functools.partial(collect_named, hook=hook)
        for hook in (
            "policyengine_monitor_formats",
            "policyengine_compare_formats",
            "policyengine_batch_writers",
        )
    },
}


def unique(prefix: str = "bad") -> str:
    """A plugin name no other test uses: faults are warned about once per process."""
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def manager(*named: tuple[str, object]) -> pluggy.PluginManager:
    """The built-ins, the shipped packs (as the installed entry point registers them), and ``named``."""
    pm = make_plugin_manager(load_entry_points=False)
    pm.register(__import__("policyengine._shipped_packs", fromlist=["_"]), name="shipped_packs")
    for name, plugin in named:
        pm.register(plugin, name=name)
    return pm


def answering(hook: str, answer: Callable[[], Any]) -> object:
    """A plugin object implementing ``hook`` as ``answer``."""
    impl = hookimpl(specname=hook)(lambda: answer())
    return type("Plugin", (), {"impl": staticmethod(impl)})()


@functools.cache
def clean(hook: str) -> Any:
    """What a manager without faulty plugins collects from ``hook``."""
    return COLLECTORS[hook](manager())


# --- a hook that raises ---------------------------------------------------------------------


@pytest.mark.parametrize("hook", sorted(COLLECTORS))
@pytest.mark.parametrize("exc", [RuntimeError("kaput"), SystemExit(3)], ids=["raises", "exits"])
def test_a_hook_that_raises_is_left_out_and_the_rest_works(hook: str, exc: BaseException) -> None:
    def fail() -> Any:
        raise exc

    name = unique()
    pm = manager((name, answering(hook, fail)))
    with pytest.warns(PluginWarning, match=name) as caught:
        got = COLLECTORS[hook](pm)
    assert got == clean(hook)
    [fault] = plugin_warnings(pm)
    assert (fault.plugin, fault.hook, fault.kind) == (name, hook, "raised")
    assert ("RuntimeError: kaput" if isinstance(exc, RuntimeError) else "sys.exit(3)") in fault.reason
    assert "插件" in str(fault) and fault.problem.hint
    assert [w.message for w in caught if isinstance(w.message, PluginWarning)] == [fault]


def test_keyboard_interrupt_in_a_hook_is_not_swallowed() -> None:
    def interrupt() -> Any:
        raise KeyboardInterrupt

    pm = manager((unique(), answering("policyengine_functions", interrupt)))
    with pytest.raises(KeyboardInterrupt):
        collect_functions(pm)


def test_a_fault_is_warned_about_once_and_recorded_on_each_manager() -> None:
    def fail() -> Any:
        raise RuntimeError("again and again")

    name = unique()
    plugin = answering("policyengine_functions", fail)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first = manager((name, plugin))
        for _ in range(3):
            collect_functions(first)
        second = manager((name, answering("policyengine_functions", fail)))
        collect_functions(second)
    assert len([w for w in caught if issubclass(w.category, PluginWarning)]) == 1
    assert len(plugin_warnings(first)) == len(plugin_warnings(second)) == 1
    assert plugin_warnings(first)[0] in plugin_warnings()


# --- a hook that answers with the wrong thing ----------------------------------------------


def _not_a_pack(tmp_path: Path) -> list[object]:
    (tmp_path / "file.txt").write_text("x", encoding="utf-8")
    (tmp_path / "empty").mkdir()
    return [42, tmp_path / "file.txt", tmp_path / "missing", tmp_path / "empty"]


WRONG = [
    ("policyengine_subject_models", lambda _: [dict], "not a Subject subclass"),
    ("policyengine_subject_models", lambda _: "station", "not a list"),
    ("policyengine_functions", lambda _: ["share"], "not a Function"),
    ("policyengine_functions", lambda _: [Function("count", ("any",), "number", len)], "language keeps"),
    ("policyengine_monitor_kinds", lambda _: [object()], "not a MonitorKind"),
    ("policyengine_monitor_kinds", lambda _: {"none_of": object()}, "not a list"),
    ("policyengine_report_formats", lambda _: {"x": 42}, "not a Callable"),
    ("policyengine_report_formats", lambda _: ["json"], "not a {name: thing} mapping"),
    ("policyengine_report_formats", lambda _: {"": render_json}, "not a non-empty text"),
    ("policyengine_monitor_formats", lambda _: {"x": "render"}, "not a Callable"),
    ("policyengine_compare_formats", lambda _: 7, "not a {name: thing} mapping"),
    ("policyengine_batch_writers", lambda _: {".tsv": "TsvWriter"}, "not a Callable"),
    ("policyengine_packs", lambda _: "packs/lanzhou_2022", "not a list"),
    ("policyengine_packs", _not_a_pack, "not a path"),
    ("policyengine_packs", _not_a_pack, "not a directory"),
    ("policyengine_packs", _not_a_pack, "without pack.yaml"),
]


@pytest.mark.parametrize(("hook", "answer", "why"), WRONG, ids=[f"{h[13:]}-{w}" for h, _, w in WRONG])
def test_a_wrong_answer_is_left_out_and_named(
    hook: str, answer: Callable[[Path], Any], why: str, tmp_path: Path
) -> None:
    name = unique()
    pm = manager((name, answering(hook, lambda: answer(tmp_path))))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PluginWarning)
        assert COLLECTORS[hook](pm) == clean(hook)
    faults = [f for f in plugin_warnings(pm) if why in f.reason]
    assert faults, [f.reason for f in plugin_warnings(pm)]
    assert all((f.plugin, f.hook, f.kind) == (name, hook, "shape") for f in plugin_warnings(pm))
    assert f"plugin `{name}`" in str(faults[0]) and hook in faults[0].problem.hint


def test_the_right_things_next_to_wrong_ones_are_kept(write_pack: Callable[..., Path]) -> None:
    good = write_pack("", pid="plugin_pack")

    def fmt(report: Any, lang: str) -> str:
        return "ok"

    name = unique()
    pm = manager(
        (name, answering("policyengine_report_formats", lambda: {"good": fmt, "bad": None})),
        (unique(), answering("policyengine_packs", lambda: [good, 42])),
    )
    with pytest.warns(PluginWarning):
        formats = collect_formats(pm)
        dirs = PackRegistry(pm).directories()
    assert formats["good"] is fmt and "bad" not in formats
    assert dirs["plugin_pack"] == good and "lanzhou_2022" in dirs


# --- two plugins, one name ------------------------------------------------------------------


def test_a_pack_id_a_built_in_pack_has_stays_the_built_in_one(write_pack: Callable[..., Path]) -> None:
    mine = write_pack("", pid="lanzhou_2022", name="mine")
    solo = write_pack("", pid="solo")
    name = unique()
    pm = manager((name, answering("policyengine_packs", lambda: [mine, solo])))
    registry = PackRegistry(pm)
    with pytest.warns(PluginWarning, match="built-in") as caught:
        assert registry.path_of("lanzhou_2022") == ROOT / "packs" / "lanzhou_2022"
    text = str(next(w.message for w in caught if isinstance(w.message, PluginWarning)))
    for part in ("`shipped_packs`", f"`{name}`", str(ROOT / "packs" / "lanzhou_2022"), str(mine)):
        assert part in text
    assert registry.conflicts() == {}
    assert registry.load("solo").id == "solo"


def test_a_pack_id_two_plugins_provide_is_neithers(write_pack: Callable[..., Path]) -> None:
    a, b = write_pack("", pid="twin", name="a"), write_pack("", pid="twin", name="b")
    solo = write_pack("", pid="solo")
    first, second = unique("first"), unique("second")
    pm = manager(
        (first, answering("policyengine_packs", lambda: [a, solo])),
        (second, answering("policyengine_packs", lambda: [b])),
    )
    registry = PackRegistry(pm)
    with pytest.warns(PluginWarning, match="none of them is used"):
        ids = registry.ids()
    assert "twin" not in ids and {"solo", "lanzhou_2022"} <= set(ids)
    assert registry.conflicts() == {"twin": [(second, b), (first, a)]}
    with pytest.raises(AmbiguousPackError) as err:
        registry.load("twin")
    assert isinstance(err.value, PluginError) and err.value.exit_code == 2
    for part in (first, second, str(a), str(b), "give the pack's directory"):
        assert part in str(err.value)
    assert registry.load(a).id == "twin"  # by its directory it is unambiguous
    assert registry.load("solo").id == "solo"


def test_one_directory_from_two_plugins_is_no_conflict(write_pack: Callable[..., Path]) -> None:
    d = write_pack("", pid="shared")
    pm = manager(
        (unique(), answering("policyengine_packs", lambda: [d])),
        (unique(), answering("policyengine_packs", lambda: [str(d / ".." / d.name)])),
    )
    assert PackRegistry(pm).path_of("shared").resolve() == d.resolve()
    assert plugin_warnings(pm) == []


def test_a_format_name_a_built_in_has_stays_the_built_in_one() -> None:
    name = unique()
    pm = manager((name, answering("policyengine_report_formats", lambda: {"json": lambda r, lang: "{}"})))
    with pytest.warns(PluginWarning, match=f"format `json` is provided by .*`{name}`"):
        assert collect_formats(pm)["json"] is render_json


def test_a_function_name_two_plugins_claim_is_neithers() -> None:
    one, two = unique(), unique()
    pm = manager(
        (one, answering("policyengine_functions", lambda: [Function("half", ("number",), "number", abs)])),
        (two, answering("policyengine_functions", lambda: [Function("half", ("number",), "number", len)])),
    )
    with pytest.warns(PluginWarning, match="function `half`"):
        assert "half" not in collect_functions(pm)
    [fault] = plugin_warnings(pm)
    assert fault.kind == "conflict" and f"`{one}`" in str(fault) and f"`{two}`" in str(fault)


# --- asking for what a faulty plugin would have provided -----------------------------------


def test_a_missing_pack_names_the_plugin_whose_packs_failed() -> None:
    def fail() -> Any:
        raise RuntimeError("no packs today")

    name = unique()
    registry = PackRegistry(manager((name, answering("policyengine_packs", fail))))
    with pytest.warns(PluginWarning), pytest.raises(PackNotFoundError) as err:
        registry.load("its_pack")
    assert err.value.exit_code == 2
    assert f"`{name}`: `policyengine_packs` raised RuntimeError: no packs today" in str(err.value)
    assert registry.load("lanzhou_2022").id == "lanzhou_2022"


# --- entry points: a distribution on sys.path, loaded in this process ----------------------


@pytest.fixture
def distribution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., str]]:
    """``install(name=module source, ...)``: a distribution whose entry points are those
    modules; returns its project name. Its modules are forgotten afterwards."""
    site = tmp_path / "site"
    site.mkdir()
    modules: list[str] = []

    def install(**sources: str) -> str:
        project = unique("pe-tmp")
        info = site / f"{project.replace('-', '_')}-0.1.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {project}\nVersion: 0.1\n")
        lines = ["[policyengine]"]
        for ep, source in sources.items():
            module = f"{ep}_{project[-8:]}"
            (site / f"{module}.py").write_text(source, encoding="utf-8")
            lines.append(f"{ep} = {module}")
            modules.append(module)
        (info / "entry_points.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        monkeypatch.syspath_prepend(str(site))
        return project

    yield install
    for module in modules:
        sys.modules.pop(module, None)


BAD_HOOK = "from policyengine import hookimpl\n\n@hookimpl\ndef policyengine_packs(region):\n    pass\n"
GOOD = "from policyengine import hookimpl\n\n@hookimpl\ndef policyengine_report_formats():\n"
GOOD += "    return {'tmp_ok': lambda report, lang: 'ok'}\n"


def test_a_plugin_failing_at_import_is_disabled_and_the_others_load(distribution: Callable[..., str]) -> None:
    project = distribution(
        ep_raises="raise ImportError('needs a module that is not installed')\n",
        ep_exits="import sys\nsys.exit(3)\n",
        ep_bad_hook=BAD_HOOK,
        ep_good=GOOD,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pm = make_plugin_manager()
        again = make_plugin_manager()
    faults = {f.plugin: f for f in plugin_warnings(pm)}
    assert set(faults) == {"ep_raises", "ep_exits", "ep_bad_hook"}
    assert all(f.kind == "load" and f.hook is None and pm.is_blocked(n) for n, f in faults.items())
    assert "ImportError: needs a module that is not installed" in str(faults["ep_raises"])
    assert "SystemExit: sys.exit(3)" in str(faults["ep_exits"])
    assert "PluginValidationError" in str(faults["ep_bad_hook"])
    assert f"entry point `ep_raises = ep_raises_{project[-8:]}` of {project}" in str(faults["ep_raises"])
    assert len([w for w in caught if issubclass(w.category, PluginWarning)]) == 3  # once per process
    assert len(plugin_warnings(again)) == 3
    assert pm.get_plugin("ep_good") is not None and "tmp_ok" in collect_formats(pm)
    assert pm.get_plugin("shipped_packs") is not None
    dists = {pm.get_name(p): d.project_name for p, d in pm.list_plugin_distinfo()}
    assert dists["ep_good"] == project and "ep_raises" not in dists


def test_keyboard_interrupt_at_import_is_not_swallowed(distribution: Callable[..., str]) -> None:
    distribution(ep_interrupts="raise KeyboardInterrupt\n")
    with pytest.raises(KeyboardInterrupt):
        make_plugin_manager()


# --- the command line, in this process ------------------------------------------------------


@pytest.fixture
def cli_plugins(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., pluggy.PluginManager]]:
    """``use(*(name, plugin))``: the command line's process-wide manager is these plugins'."""

    def forget() -> None:
        for cached in (
            plugins.get_registry,
            plugins.default_subjects,
            plugins.default_functions,
            plugins.default_monitor_kinds,
            plugins.default_formats,
            plugins.default_monitor_formats,
            plugins.default_compare_formats,
            plugins.default_batch_writers,
        ):
            cached.cache_clear()

    def use(*named: tuple[str, object]) -> pluggy.PluginManager:
        pm = manager(*named)
        monkeypatch.setattr(plugins, "_default", pm)
        forget()
        return pm

    yield use
    forget()


def _cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    from policyengine.cli import main

    code = main(args)
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    return code, out.out, out.err


def test_cli_commands_work_beside_faulty_plugins(
    cli_plugins: Callable[..., pluggy.PluginManager], capsys: pytest.CaptureFixture[str]
) -> None:
    def fail() -> Any:
        raise RuntimeError("kaput")

    expected = _cli([*EVALUATE, "-f", "json"], capsys)
    raises, shape = unique(), unique()
    cli_plugins(
        *[(f"{raises}_{h[13:]}", answering(h, fail)) for h in COLLECTORS],
        (shape, answering("policyengine_subject_models", lambda: [dict])),
    )
    code, out, err = _cli([*EVALUATE, "-f", "json"], capsys)
    assert (code, out) == expected[:2]
    assert f"warning: plugin `{raises}_report_formats`: its hook" in err
    assert f"warning: plugin `{shape}`: `policyengine_subject_models` gave <class 'dict'>" in err
    assert err.count(f"`{raises}_report_formats`") == 1


def test_cli_asking_for_a_faulty_plugins_thing_is_exit_2_naming_it(
    cli_plugins: Callable[..., pluggy.PluginManager], capsys: pytest.CaptureFixture[str]
) -> None:
    def fail() -> Any:
        raise RuntimeError("kaput")

    packs, formats = unique(), unique()
    cli_plugins(
        (packs, answering("policyengine_packs", fail)),
        (formats, answering("policyengine_report_formats", fail)),
    )
    code, _, err = _cli(["evaluate", "--pack", "its_pack", str(EXAMPLE)], capsys)
    assert code == 2
    assert "no pack with id `its_pack`" in err
    assert f"`{packs}`: `policyengine_packs` raised RuntimeError: kaput" in err
    code, _, err = _cli([*EVALUATE, "-f", "its_format"], capsys)
    assert code == 2
    assert "unknown format `its_format`" in err
    assert "note: what was asked for may come from a plugin" in err and f"`{formats}`" in err


def test_cli_packs_lists_the_conflict_and_every_other_pack(
    cli_plugins: Callable[..., pluggy.PluginManager],
    capsys: pytest.CaptureFixture[str],
    write_pack: Callable[..., Path],
) -> None:
    a, b = write_pack("", pid="twin", name="a"), write_pack("", pid="twin", name="b")
    first, second = unique("first"), unique("second")
    cli_plugins(
        (first, answering("policyengine_packs", lambda: [a])),
        (second, answering("policyengine_packs", lambda: [b])),
    )
    code, out, err = _cli(["packs", "--format", "json"], capsys)
    assert code == 0
    ids = [row["id"] for row in json.loads(out)]
    assert "twin" not in ids and "lanzhou_2022" in ids
    assert "warning: pack id `twin` is provided by" in err
    assert all(part in err for part in (first, second, str(a), str(b)))
    code, _, err = _cli(["evaluate", "--pack", "twin", str(EXAMPLE)], capsys)
    assert code == 2 and "pack id `twin` is ambiguous" in err


def test_cli_prints_plugin_warnings_even_under_w_error(
    cli_plugins: Callable[..., pluggy.PluginManager], capsys: pytest.CaptureFixture[str]
) -> None:
    name = unique()
    cli_plugins((name, answering("policyengine_report_formats", lambda: {"x": 1})))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        code, _, err = _cli(EVALUATE, capsys)
    assert code == 0 and f"warning: plugin `{name}`" in err


# --- a real installed distribution, through the command line (slow) ------------------------


@pytest.fixture(scope="module")
def faulty_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tests/fixtures/pe_faulty_plugin installed once: one distribution, one entry point per fault."""
    target = tmp_path_factory.mktemp("faulty_site")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(FIXTURE)],
        check=True,
        cwd=tmp_path_factory.mktemp("faulty_build"),
        env={**os.environ, "PIP_NO_INPUT": "1"},
    )
    return target


def run(site: Path | None, *args: str) -> subprocess.CompletedProcess[str]:
    path = [str(site)] if site else []
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([*path, os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run(
        [sys.executable, "-m", "policyengine.cli", *args], capture_output=True, text=True, env=env, cwd=ROOT
    )
    assert "Traceback" not in out.stderr, out.stderr
    return out


@pytest.mark.slow
def test_installed_faulty_plugins_leave_evaluate_as_it_was(faulty_site: Path) -> None:
    without, with_ = run(None, *EVALUATE), run(faulty_site, *EVALUATE)
    assert (with_.returncode, with_.stdout) == (without.returncode, without.stdout)
    err = with_.stderr
    for plugin, says in [
        ("faulty_import", "RuntimeError: boom at import"),
        ("faulty_exit", "SystemExit: sys.exit(3)"),
        ("faulty_register", "PluginValidationError"),
    ]:
        assert err.count(f"warning: plugin `{plugin}` (entry point `{plugin} = pe_faulty.") == 1, err
        assert says in err and "pe-faulty-plugin" in err
    assert "`faulty_hook`: its hook `policyengine_report_formats` raised ValueError: no formats today" in err
    assert "`faulty_shape`: `policyengine_subject_models` gave <class 'dict'>" in err
    assert "pack id `lanzhou_2022` is provided by `shipped_packs`" in err and "`faulty_dupe`" in err
    assert "pack id `faulty_twin` is provided by" in err


@pytest.mark.slow
def test_installed_faulty_plugins_exit_codes(faulty_site: Path) -> None:
    packs = run(faulty_site, "packs", "--format", "json")
    assert packs.returncode == 0
    rows = {r["id"]: r for r in json.loads(packs.stdout)}
    assert rows["lanzhou_2022"]["path"] == str(ROOT / "packs" / "lanzhou_2022")  # the built-in wins
    assert "faulty_solo" in rows and "faulty_twin" not in rows
    assert "twin_a" in packs.stderr and "twin_b" in packs.stderr
    twin = run(faulty_site, "evaluate", "--pack", "faulty_twin", str(EXAMPLE))
    assert twin.returncode == 2 and "`faulty_twin_a`" in twin.stderr and "`faulty_twin_b`" in twin.stderr
    missing = run(faulty_site, "evaluate", "--pack", "hook_pack", str(EXAMPLE))
    assert missing.returncode == 2
    assert "`faulty_hook`: `policyengine_packs` raised RuntimeError: no packs today" in missing.stderr
    fmt = run(faulty_site, *EVALUATE, "-f", "faulty_fmt")
    assert fmt.returncode == 2 and "note: what was asked for" in fmt.stderr and "`faulty_shape`" in fmt.stderr
    ok = run(faulty_site, *EVALUATE, "-f", "faulty_ok")
    assert (ok.returncode, ok.stdout) == (0, "verdict: compliant\n")
    assert run(faulty_site, "pack", "show", "faulty_solo").returncode == 0
    version = run(faulty_site, "--version")
    assert version.returncode == 0 and version.stderr == ""  # --version loads no plugin
