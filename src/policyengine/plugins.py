"""The plugin manager and what it collects: packs, subject models, functions, monitor kinds,
and every output format. It wires these defaults into the (pure) pack loader.

A faulty plugin never takes the tool down (docs/embedding.md, "When a plugin is faulty"): one
that fails to import is disabled, a hook that raises or answers with the wrong thing is left
out, a name two plugins claim goes to the built-in one (or to neither); each is a
:class:`~policyengine.errors.PluginWarning`. Asking for exactly what is missing is an error.
"""

from __future__ import annotations

import functools
import importlib.metadata
import threading
import warnings
import weakref
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from importlib import import_module
from operator import attrgetter
from pathlib import Path
from typing import Any

import pluggy
from pydantic import BaseModel

from . import hookspecs
from ._yaml import load_yaml_file
from .errors import AmbiguousPackError, PackNotFoundError, PluginWarning, Problem, did_you_mean
from .errors import describe_exception as _describe
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
#: Modules whose contributions win a name they share with a third party's.
BUILTIN_MODULES = (*BUILTIN_PLUGINS, "policyengine._shipped_packs")

_faults: weakref.WeakKeyDictionary[Any, dict[str, PluginWarning]] = weakref.WeakKeyDictionary()  # per pm
_warned: dict[str, PluginWarning] = {}  # every fault warned about in this process, once each
_faults_lock = threading.Lock()


def plugin_warnings(pm: pluggy.PluginManager | None = None) -> list[PluginWarning]:
    """What was disabled or left out: on ``pm``, or (``None``) everything warned in this process."""
    with _faults_lock:
        return list((_warned if pm is None else _faults.get(pm, {})).values())


def _fault(pm: pluggy.PluginManager, fault: PluginWarning) -> None:
    """Record ``fault`` on ``pm``; warn about it if this process has not yet."""
    key = str(fault)
    with _faults_lock:
        _faults.setdefault(pm, {}).setdefault(key, fault)
        if key in _warned:
            return
        _warned[key] = fault
    warnings.warn_explicit(fault, PluginWarning, "policyengine", 0)


def _is_builtin(pm: pluggy.PluginManager, name: str) -> bool:
    return getattr(pm.get_plugin(name), "__name__", None) in BUILTIN_MODULES


def make_plugin_manager(load_entry_points: bool = True) -> pluggy.PluginManager:
    """A fresh plugin manager with the built-in plugins and (optionally) installed plugins.

    Installed plugins are loaded as ``pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)`` does,
    but one at a time: one that fails to import or to register (any exception, ``sys.exit()``
    too; never ``KeyboardInterrupt``) is blocked under its name and warned about.
    """
    pm = pluggy.PluginManager("policyengine")
    pm.add_hookspecs(hookspecs)
    for name in BUILTIN_PLUGINS:
        pm.register(import_module(name), name=name)
    for dist in list(importlib.metadata.distributions()) if load_entry_points else []:
        for ep in dist.entry_points:
            if ep.group != ENTRY_POINT_GROUP or pm.get_plugin(ep.name) or pm.is_blocked(ep.name):
                continue
            try:
                plugin = ep.load()
                pm.register(plugin, name=ep.name)
            except (Exception, SystemExit) as exc:
                pm.set_blocked(ep.name)  # also removes what a half-done register() added
                project = dist.metadata["Name"] or "?"
                _fault(pm, PluginWarning.load_failed(ep.name, f"{ep.name} = {ep.value}", project, exc))
                continue
            try:  # what load_setuptools_entrypoints records for pm.list_plugin_distinfo()
                from pluggy._manager import DistFacade

                pm._plugin_distinfo.append((plugin, DistFacade(dist)))
            except (ImportError, AttributeError):  # pluggy's internals moved: only distinfo lacks it
                pass
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


def _answers(pm: pluggy.PluginManager, hook: str) -> Iterator[tuple[str, Any]]:
    """``(plugin, answer)`` of each implementation (not wrappers) in pluggy's order, but those raising."""
    for impl in reversed(getattr(pm.hook, hook).get_hookimpls()):
        if impl.hookwrapper or impl.wrapper:
            continue
        try:
            answer = impl.function()
        except (Exception, SystemExit) as exc:
            _fault(pm, PluginWarning.hook_raised(impl.plugin_name, hook, exc))
            continue
        if answer is not None:
            yield impl.plugin_name, answer


@dataclass(frozen=True)
class _Hook:
    """How to read one hook's answers: a list of things (``key`` names each) or a mapping."""

    name: str
    what: str  # what one name is, in messages: "format", "pack id", ...
    expected: str  # what each thing must be
    check: Callable[[Any], str | None]  # why a thing is unusable, or None
    key: Callable[[Any], str] | None = None  # None: the answer is {name: thing}


def _is_subject(thing: Any) -> str | None:
    ok = isinstance(thing, type) and issubclass(thing, Subject)
    return None if ok and isinstance(getattr(thing, "kind_name", None), str) else "not a Subject subclass"


def _is_function(thing: Any) -> str | None:
    if not isinstance(thing, Function):
        return "not a Function"
    return "named with a word the condition language keeps" if thing.name in FORMS else None


def _is_pack_dir(thing: Any) -> str | None:
    if not isinstance(thing, str | Path) or not Path(thing).is_dir():
        return "not a directory" if isinstance(thing, str | Path) else "not a path"
    return None if (Path(thing) / "pack.yaml").is_file() else "a directory without pack.yaml"


def _instance(cls: Any) -> Callable[[Any], str | None]:
    return lambda thing: None if isinstance(thing, cls) else f"not a {cls.__name__}"


_SUBJECTS = _Hook(
    "policyengine_subject_models", "subject kind", "a Subject class", _is_subject, attrgetter("kind_name")
)
_FUNCTIONS = _Hook("policyengine_functions", "function", "a Function", _is_function, attrgetter("name"))
_KINDS = _Hook(
    "policyengine_monitor_kinds", "monitor kind", "a MonitorKind", _instance(MonitorKind), attrgetter("name")
)
_PACKS = _Hook("policyengine_packs", "pack id", "a pack directory", _is_pack_dir, lambda d: _peek_id(Path(d)))
_NAMED = {  # {name: callable} hooks: formats, writers by suffix; `what` is "report format", ...
    f"policyengine_{h}": _Hook(f"policyengine_{h}", h[:-1].replace("_", " "), "callable", _instance(Callable))
    for h in ("report_formats", "monitor_formats", "compare_formats", "batch_writers")
}


def _items(pm: pluggy.PluginManager, plugin: str, spec: _Hook, answer: Any) -> Iterator[tuple[str, Any]]:
    """``(name, thing)`` of one plugin's answer; what is malformed is warned about and left out."""
    mapping = spec.key is None
    try:
        if isinstance(answer, str | bytes) or isinstance(answer, Mapping) != mapping:
            raise TypeError
        pairs = list(answer.items()) if mapping else [("", thing) for thing in answer]
    except (Exception, SystemExit):
        shape = "not a {name: thing} mapping" if mapping else "not a list"
        _fault(pm, PluginWarning.wrong_shape(plugin, spec.name, answer, shape, spec.expected))
        return
    for name, thing in pairs:
        try:
            wrong = spec.check(thing)
            if wrong is None and mapping and not (isinstance(name, str) and name):
                wrong = "under a name that is not a non-empty text"
            key = (str(name) if spec.key is None else spec.key(thing)) if wrong is None else ""
        except (Exception, SystemExit) as exc:
            wrong = f"unreadable ({_describe(exc)})"
        if wrong is not None:
            _fault(pm, PluginWarning.wrong_shape(plugin, spec.name, thing, wrong, spec.expected))
            continue
        yield (key.lower() if spec.name == "policyengine_batch_writers" else key), thing


Offers = list[tuple[str, Any]]  # (plugin name, thing) for one name


def _collect(
    pm: pluggy.PluginManager, spec: _Hook, same: Callable[[Any, Any], bool] | None = None
) -> tuple[dict[str, Any], dict[str, Offers]]:
    """``{name: thing}``, and the names several plugins claim, none built in (left to none)."""
    same = same or (lambda a, b: a is b)
    claims: dict[str, Offers] = {}
    for plugin, answer in _answers(pm, spec.name):
        for key, thing in _items(pm, plugin, spec, answer):
            offers = claims.setdefault(key, [])
            if not any(same(thing, t) for _, t in offers):
                offers.append((plugin, thing))
    kept: dict[str, Any] = {}
    ambiguous: dict[str, Offers] = {}
    for key, offers in claims.items():
        builtin = [p for p, _ in offers if _is_builtin(pm, p)]
        winner = builtin[0] if len(builtin) == 1 else None
        if len(offers) == 1 or winner:
            kept[key] = next(t for p, t in offers if p == (winner or offers[0][0]))
        else:
            ambiguous[key] = offers
        if len(offers) > 1:
            where = [(p, str(t) if spec is _PACKS else "") for p, t in offers]
            _fault(pm, PluginWarning.conflict(spec.name, spec.what, key, where, winner))
    return kept, ambiguous


def collect_subjects(pm: pluggy.PluginManager) -> dict[str, type[Subject]]:
    return _collect(pm, _SUBJECTS)[0]


def collect_functions(pm: pluggy.PluginManager) -> dict[str, Function]:
    return _collect(pm, _FUNCTIONS)[0]


def collect_monitor_kinds(pm: pluggy.PluginManager) -> dict[str, MonitorKind]:
    return _collect(pm, _KINDS)[0]


def collect_named(pm: pluggy.PluginManager, hook: str) -> dict[str, Any]:
    """``{name: thing}`` from a hook answering with such dicts (formats, writers by suffix)."""
    return _collect(pm, _NAMED[hook])[0]


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
    """Pack ids → directories, from every plugin's ``policyengine_packs`` hook. An id two plugins
    provide goes to the built-in pack, or to neither (:meth:`conflicts`; asking is an error)."""

    def __init__(self, pm: pluggy.PluginManager) -> None:
        self.pm = pm
        self._dirs: dict[str, Path] | None = None
        self._conflicts: dict[str, list[tuple[str, Path]]] = {}
        self._cache: dict[str, Pack] = {}

    def directories(self) -> dict[str, Path]:
        if self._dirs is None:
            found, ambiguous = _collect(self.pm, _PACKS, lambda a, b: Path(a).resolve() == Path(b).resolve())
            self._conflicts = {k: [(p, Path(d)) for p, d in v] for k, v in sorted(ambiguous.items())}
            self._dirs = {k: Path(v) for k, v in sorted(found.items())}
        return self._dirs

    def conflicts(self) -> dict[str, list[tuple[str, Path]]]:
        """Ids several plugins provide, none of them built in: ``{id: [(plugin, directory)]}``."""
        self.directories()
        return dict(self._conflicts)

    def ids(self) -> list[str]:
        return list(self.directories())

    def path_of(self, pack_id: str) -> Path:
        dirs = self.directories()
        if pack_id in dirs:
            return dirs[pack_id]
        if pack_id in self._conflicts:
            raise AmbiguousPackError(pack_id, [(p, str(d)) for p, d in self._conflicts[pack_id]])
        suggestion = did_you_mean(pack_id, dirs)
        problem = Problem(
            f"no pack with id `{pack_id}`",
            None,
            f"did you mean `{suggestion}`?"
            if suggestion
            else f"installed packs: {', '.join(dirs) or 'none'} (or give a directory path)",
            "not-found",
        )
        faults = [
            f for f in plugin_warnings(self.pm) if f.kind != "conflict" and f.hook in (None, _PACKS.name)
        ]
        raise PackNotFoundError([problem, *PluginWarning.may_hide("the pack", faults)])

    def resolver(self) -> Resolver:
        def resolve(name: str, base: Path) -> Path:  # a bare name: a registered id first
            if "/" not in name and not name.startswith(".") and name in self.directories():
                return self.path_of(name)
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
    except Exception:  # the loader says what is wrong with it
        pass
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
