"""Plugin hooks. Implement any of these in a module and register it under the
``policyengine`` entry-point group::

    [project.entry-points.policyengine]
    my_plugin = "my_package.plugin"

and mark each implementation with :data:`hookimpl`::

    from policyengine import hookimpl

    @hookimpl
    def policyengine_packs():
        return [Path(__file__).parent / "packs" / "my_region"]

The library's own packs, subject models, functions, monitor kinds and every output format
are registered through these same hooks (``policyengine/_builtins.py``), like pytest's
junitxml: a third party's plugin is an equal of the built-in one.

A faulty plugin does not take the tool down (``policyengine.plugins``; docs/embedding.md):
one that fails to import or register (``sys.exit()`` included) is disabled; a hook that
raises, or returns something other than what its specification below says, is left out
(each malformed thing alone, the rest of the answer is kept); a name two plugins claim goes
to the built-in one, or, between two third parties, to neither. Each is a
:class:`policyengine.errors.PluginWarning` naming the plugin, once per process. Hooks take no
arguments and are called one implementation at a time: wrappers are not called.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:  # type-only: this module imports nothing of the package at run time
    from .batch.writers.base import Writer
    from .evaluate.report import Report
    from .lang.functions import Function
    from .models.base import Subject
    from .monitor.kinds.base import MonitorKind

hookspec = pluggy.HookspecMarker("policyengine")
hookimpl = pluggy.HookimplMarker("policyengine")

#: A report format: ``(report, lang) -> text``. ``lang`` is "zh" or "en".
Formatter = Callable[["Report", str], str]
#: A rendering of a command's result (a monitor run, a comparison): ``(result, lang) -> text``.
ResultFormatter = Callable[[Any, str], str]
#: Opens a batch output file: ``(path) -> Writer``.
WriterFactory = Callable[[Path], "Writer"]


@hookspec
def policyengine_packs() -> Sequence[Path | str]:  # type: ignore[empty-body]
    """Pack directories this plugin provides.

    Called once when the pack registry is first built (``policyengine packs``,
    ``Engine.from_packs(["id"])``). Return a list of directories, each holding a
    ``pack.yaml``; the pack's id is read from the file. An id that a built-in pack has stays
    the built-in pack's; an id two other plugins provide is neither's (asking for it is an
    error naming both directories). Either way the other packs are unaffected.
    """


@hookspec
def policyengine_functions() -> Sequence[Function]:  # type: ignore[empty-body]
    """Functions conditions may call, as :class:`policyengine.Function` objects.

    Called once when the function table is built, before any pack is compiled. Each
    function declares its argument and result kinds, so conditions that use it are
    checked at load like built-in calls. A name that is already taken stays the built-in
    function's (between two plugins: neither's); a quantifier's or form's name (``count``,
    ``exists``, ...) is never a function's.
    """


@hookspec
def policyengine_subject_models() -> Sequence[type[Subject]]:  # type: ignore[empty-body]
    """Subject models (subclasses of :class:`policyengine.models.Subject`).

    Called once when the subject table is built. Each model's ``kind_name`` is what rules
    write as ``subject:`` and records as ``kind:``. A kind that is already taken stays the
    built-in one (between two plugins: neither's).
    """


@hookspec
def policyengine_report_formats() -> dict[str, Formatter]:  # type: ignore[empty-body]
    """Report formats for ``policyengine evaluate --format NAME``.

    Called once when the command line starts. Return ``{name: formatter}``; a formatter
    takes a :class:`policyengine.Report` and a language ("zh" or "en") and returns text.
    """


@hookspec
def policyengine_monitor_formats() -> dict[str, ResultFormatter]:  # type: ignore[empty-body]
    """Formats for ``policyengine monitor --format NAME``.

    Return ``{name: formatter}``; a formatter takes a
    :class:`policyengine.monitor.MonitorResult` and a language and returns text.
    """


@hookspec
def policyengine_compare_formats() -> dict[str, ResultFormatter]:  # type: ignore[empty-body]
    """Formats for ``policyengine compare --format NAME``.

    Return ``{name: formatter}``; a formatter takes a
    :class:`policyengine.compare.Comparison` and a language and returns text.
    """


@hookspec
def policyengine_batch_writers() -> Mapping[str, WriterFactory]:  # type: ignore[empty-body]
    """Output formats for ``policyengine assess --out FILE``, by the file's suffix.

    Return ``{".suffix": factory}``; ``factory(path)`` opens a
    :class:`policyengine.batch.Writer`, which is given every assessed row in input order
    (``write(row)``), then the run's summary (``close(summary)``), or ``abort()`` if the run
    fails. Suffixes are matched case-insensitively; a suffix two plugins claim stays the
    built-in writer's (between two plugins: neither's).
    """


@hookspec
def policyengine_monitor_kinds() -> Sequence[MonitorKind]:  # type: ignore[empty-body]
    """Monitor kinds: what a pack's ``monitors:`` entry may give as ``kind:``.

    Each :class:`policyengine.monitor.MonitorKind` names its spec model (the fields of a
    monitor of that kind), the placeholders its messages may use, and how it runs on each
    backend. A kind name that is already taken stays the built-in kind's (else neither's).
    """
