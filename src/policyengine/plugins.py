"""The plugin manager and what it collects: packs, subject models, functions, monitor kinds,
and every output format. It wires these defaults into the (pure) pack loader."""

from __future__ import annotations

import functools
import threading
from collections.abc import Mapping
from importlib import import_module
from pathlib import Path
from typing import Any

import pluggy
from pydantic import BaseModel

from . import hookspecs
from ._yaml import load_yaml_file
from .errors import Location, PackError, PackNotFoundError, PluginError, Problem, did_you_mean
from .lang.functions import FORMS, Function
from .models.base import Subject
from .monitor.kinds.base import MonitorKind
from .packs.loader import Resolver
from .packs.loader import load_pack as _load_pack
from .packs.runtime import Pack

ENTRY_POINT_GROUP = "policyengine"
#: The library's own plugins, registered by module name (as pytest registers its default
#: plugins), so that this module does not import the layers above it whose built-ins they
#: register: report formats, batch writers, monitor kinds.
BUILTIN_PLUGINS = ("policyengine._builtins",)


def make_plugin_manager(load_entry_points: bool = True) -> pluggy.PluginManager:
    """A fresh plugin manager with the built-in plugins and (optionally) installed plugins."""
    pm = pluggy.PluginManager("policyengine")
    pm.add_hookspecs(hookspecs)
    for name in BUILTIN_PLUGINS:
        pm.register(import_module(name), name=name)
    if load_entry_points:
        try:
            pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
        except Exception as exc:  # a broken third-party plugin must not be a traceback
            raise PluginError(
                [
                    Problem(
                        f"a plugin in the `{ENTRY_POINT_GROUP}` entry-point group failed to "
                        f"load: {type(exc).__name__}: {exc}",
                        None,
                        "reinstall or uninstall that plugin",
                        "plugin",
                    )
                ]
            ) from exc
    return pm


_lock = threading.Lock()
_default: pluggy.PluginManager | None = None


def get_plugin_manager() -> pluggy.PluginManager:
    """The process-wide plugin manager (built on first use)."""
    global _default
    with _lock:
        if _default is None:
            _default = make_plugin_manager()
        return _default


def collect_subjects(pm: pluggy.PluginManager) -> dict[str, type[Subject]]:
    out: dict[str, type[Subject]] = {}
    for plugin_models in pm.hook.policyengine_subject_models():
        for model in plugin_models:
            if not (isinstance(model, type) and issubclass(model, Subject)):
                raise PluginError(f"{model!r} is not a policyengine Subject model")
            kind = model.kind_name
            if kind in out and out[kind] is not model:
                raise PluginError(f"two plugins define the subject kind `{kind}`")
            out[kind] = model
    return out


def collect_functions(pm: pluggy.PluginManager) -> dict[str, Function]:
    out: dict[str, Function] = {}
    for plugin_funcs in pm.hook.policyengine_functions():
        for func in plugin_funcs:
            if not isinstance(func, Function):
                raise PluginError(f"{func!r} is not a policyengine.Function")
            if func.name in FORMS or (func.name in out and out[func.name] is not func):
                raise PluginError(f"the function name `{func.name}` is already taken")
            out[func.name] = func
    return out


def collect_monitor_kinds(pm: pluggy.PluginManager) -> dict[str, MonitorKind]:
    out: dict[str, MonitorKind] = {}
    for kinds in pm.hook.policyengine_monitor_kinds():
        for kind in kinds:
            if not isinstance(kind, MonitorKind):
                raise PluginError(f"{kind!r} is not a policyengine.monitor.MonitorKind")
            if kind.name in out and out[kind.name] is not kind:
                raise PluginError(f"two plugins define the monitor kind `{kind.name}`")
            out[kind.name] = kind
    return out


def collect_named(pm: pluggy.PluginManager, hook: str) -> dict[str, Any]:
    """``{name: thing}`` from a hook whose implementations each return such a dict (formats,
    writers by suffix); a name two plugins claim is an error, not a silent override."""
    out: dict[str, Any] = {}
    for provided in getattr(pm.hook, hook)():
        for name, thing in provided.items():
            key = name.lower() if hook == "policyengine_batch_writers" else name
            if key in out and out[key] is not thing:
                raise PluginError(f"two plugins provide `{name}` for {hook.removeprefix('policyengine_')}")
            out[key] = thing
    return out


def collect_formats(pm: pluggy.PluginManager) -> dict[str, hookspecs.Formatter]:
    return collect_named(pm, "policyengine_report_formats")


@functools.cache
def default_subjects() -> Mapping[str, type[Subject]]:
    return collect_subjects(get_plugin_manager())


@functools.cache
def default_functions() -> Mapping[str, Function]:
    return collect_functions(get_plugin_manager())


@functools.cache
def default_monitor_kinds() -> Mapping[str, MonitorKind]:
    return collect_monitor_kinds(get_plugin_manager())


@functools.cache
def default_formats() -> Mapping[str, hookspecs.Formatter]:
    """Report formats for ``evaluate --format``."""
    return collect_formats(get_plugin_manager())


@functools.cache
def default_monitor_formats() -> Mapping[str, hookspecs.ResultFormatter]:
    return collect_named(get_plugin_manager(), "policyengine_monitor_formats")


@functools.cache
def default_compare_formats() -> Mapping[str, hookspecs.ResultFormatter]:
    return collect_named(get_plugin_manager(), "policyengine_compare_formats")


@functools.cache
def default_batch_writers() -> Mapping[str, hookspecs.WriterFactory]:
    """Batch output formats by lower-case file suffix (``".xlsx"``)."""
    return collect_named(get_plugin_manager(), "policyengine_batch_writers")


class PackRegistry:
    """Pack ids → directories, from every plugin's ``policyengine_packs`` hook."""

    def __init__(self, pm: pluggy.PluginManager) -> None:
        self.pm = pm
        self._dirs: dict[str, Path] | None = None
        self._cache: dict[str, Pack] = {}

    def directories(self) -> dict[str, Path]:
        if self._dirs is None:
            found: dict[str, Path] = {}
            for paths in self.pm.hook.policyengine_packs():
                for entry in paths:
                    directory = Path(str(entry))
                    pid = _peek_id(directory)
                    if pid in found and found[pid].resolve() != directory.resolve():
                        raise PluginError(
                            f"two plugins provide a pack with id `{pid}`: {found[pid]} and {directory}"
                        )
                    found[pid] = directory
            self._dirs = dict(sorted(found.items()))
        return self._dirs

    def ids(self) -> list[str]:
        return list(self.directories())

    def path_of(self, pack_id: str) -> Path:
        dirs = self.directories()
        if pack_id in dirs:
            return dirs[pack_id]
        suggestion = did_you_mean(pack_id, dirs)
        raise PackNotFoundError(
            [
                Problem(
                    f"no pack with id `{pack_id}`",
                    None,
                    f"did you mean `{suggestion}`?"
                    if suggestion
                    else f"installed packs: {', '.join(dirs) or 'none'} (or give a directory path)",
                    "not-found",
                )
            ]
        )

    def resolver(self) -> Resolver:
        def resolve(name: str, base: Path) -> Path:
            candidate = (base / name) if not Path(name).is_absolute() else Path(name)
            if (candidate / "pack.yaml").exists():
                return candidate
            return self.path_of(name)

        return resolve

    def load(self, spec: str | Path) -> Pack:
        """Load a pack by id or directory path (cached per registry)."""
        path = Path(spec)
        directory = (
            path if (path / "pack.yaml").exists() or path.name == "pack.yaml" else self.path_of(str(spec))
        )
        key = str(directory.resolve())
        if key not in self._cache:
            self._cache[key] = _load_pack(
                directory,
                subjects=collect_subjects(self.pm),
                functions=collect_functions(self.pm),
                monitor_kinds=collect_monitor_kinds(self.pm),
                resolve=self.resolver(),
            )
        return self._cache[key]


def _peek_id(directory: Path) -> str:
    """A pack's id from its pack.yaml, or the directory name if the file is unreadable."""
    try:
        data = load_yaml_file(directory / "pack.yaml")
        pid = data["pack"]["id"]
        if isinstance(pid, str):
            return pid
    except (PackError, KeyError, TypeError):
        pass
    if not (directory / "pack.yaml").exists():
        raise PluginError(
            [
                Problem(
                    "a plugin registered a pack directory without pack.yaml",
                    Location(str(directory)),
                    None,
                    "plugin",
                )
            ]
        )
    return directory.name


@functools.cache
def get_registry() -> PackRegistry:
    return PackRegistry(get_plugin_manager())


def load_pack(
    path: Path | str,
    *,
    subjects: Mapping[str, type[BaseModel]] | None = None,
    functions: Mapping[str, Function] | None = None,
    monitor_kinds: Mapping[str, MonitorKind] | None = None,
    resolve: Resolver | None = None,
) -> Pack:
    """Load the pack in directory ``path`` (or its pack.yaml), with everything it extends.

    What is not given comes from the registered plugins: subject models, functions, monitor
    kinds, and ``extends:`` resolution (a registered pack id, then a path relative to the pack).
    """
    return _load_pack(
        path,
        subjects=subjects if subjects is not None else default_subjects(),
        functions=functions if functions is not None else default_functions(),
        monitor_kinds=monitor_kinds if monitor_kinds is not None else default_monitor_kinds(),
        resolve=resolve if resolve is not None else get_registry().resolver(),
    )
