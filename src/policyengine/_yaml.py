"""Safe YAML loading that remembers where every key and value came from.

- Only PyYAML's safe constructors run; Python object tags are refused.
- Duplicate keys are an error (YAML says they are; PyYAML silently keeps the last).
- Anchors and aliases are refused: they buy little in a pack and are the vehicle of
  "billion laughs" expansion.
- Nesting depth and file size are bounded.
- Floats become ``Decimal`` built from the text as written (``0.03`` stays exactly 0.03).
- Mappings and sequences come back as :class:`YamlMap` / :class:`YamlSeq`, plain ``dict``
  and ``list`` subclasses that carry the source position of each key and item, so that a
  later validation error on ``rules[3].require`` can point at file:line:col.
"""

from __future__ import annotations

import re
import stat
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .errors import Location, PackError, Problem

#: Largest pack file accepted (bytes). The largest shipped pack is 32 KB; parsing runs at
#: about 2 MB/s, so this bound keeps any accepted file under half a second.
MAX_YAML_BYTES = 1024 * 1024
#: Largest YAML record file accepted (bytes); bigger inputs belong in JSON Lines.
MAX_RECORD_YAML_BYTES = 16 * 1024 * 1024
#: Deepest nesting of mappings and sequences accepted.
MAX_YAML_DEPTH = 64


@dataclass(frozen=True)
class Pos:
    """1-based line and column of a node's first character, and its scalar style."""

    line: int
    column: int
    style: str | None = None  # None (plain), "'", '"', "|", ">" for scalars; "{" / "[" flow


class YamlMap(dict[Any, Any]):
    """A mapping that knows where its keys and values start."""

    pos: Pos
    key_pos: dict[Any, Pos]
    value_pos: dict[Any, Pos]


class YamlSeq(list[Any]):
    """A sequence that knows where each item starts."""

    pos: Pos
    item_pos: list[Pos]


def _pos(node: Node) -> Pos:
    style = getattr(node, "style", None)
    if isinstance(node, (MappingNode, SequenceNode)):
        style = "{" if node.flow_style else None
    return Pos(node.start_mark.line + 1, node.start_mark.column + 1, style)


class _Loader(yaml.SafeLoader):
    """SafeLoader with positions, no aliases, no duplicate keys and a depth bound."""

    def __init__(self, stream: str, filename: str) -> None:
        super().__init__(stream)
        self.filename = filename
        self._depth = 0

    def _fail(self, message: str, mark: Any, hint: str | None = None) -> PackError:
        line = getattr(mark, "line", None)
        col = getattr(mark, "column", None)
        src = getattr(mark, "buffer", None)
        text = None
        if src is not None and line is not None:
            lines = str(src).split("\n")
            text = lines[line] if line < len(lines) else None
        loc = Location(
            self.filename,
            line + 1 if line is not None else None,
            col + 1 if col is not None else None,
            text,
        )
        return PackError([Problem(message, loc, hint, "yaml")])

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise self._fail(
                f"YAML aliases (*{event.anchor}) are not allowed",
                event.start_mark,
                "write the value out in full, or share it through `extends:`",
            )
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if getattr(event, "anchor", None):
            raise self._fail(
                f"YAML anchors (&{event.anchor}) are not allowed",
                event.start_mark,
                "write the value out in full, or share it through `extends:`",
            )
        self._depth += 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                raise self._fail(
                    f"nesting deeper than {MAX_YAML_DEPTH} levels",
                    event.start_mark,
                    "flatten the structure; no pack or record needs this depth",
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_yaml_map_pos(self, node: MappingNode) -> Any:
        data = YamlMap()
        data.pos = _pos(node)
        data.key_pos = {}
        data.value_pos = {}
        yield data
        self.flatten_mapping(node)
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                raise self._fail("a mapping key must be a plain value", key_node.start_mark) from None
            if key in data:
                first = data.key_pos[key]
                raise self._fail(
                    f"duplicate key {key!r} (first defined at line {first.line})",
                    key_node.start_mark,
                    "YAML keeps only one of them; remove or rename the other",
                )
            data[key] = self.construct_object(value_node, deep=True)
            data.key_pos[key] = _pos(key_node)
            data.value_pos[key] = _pos(value_node)

    def construct_yaml_seq_pos(self, node: SequenceNode) -> Any:
        data = YamlSeq()
        data.pos = _pos(node)
        data.item_pos = [_pos(n) for n in node.value]
        yield data
        data.extend(self.construct_object(n, deep=True) for n in node.value)

    def construct_decimal(self, node: ScalarNode) -> Decimal:
        text = str(self.construct_scalar(node)).replace("_", "").strip()
        lowered = text.lower()
        if lowered in (".nan", ".inf", "+.inf", "-.inf"):
            raise self._fail(f"{text} is not a usable number", node.start_mark, "write a finite number")
        try:
            return Decimal(text)
        except InvalidOperation:
            raise self._fail(f"{text!r} is not a number", node.start_mark) from None

    def construct_int(self, node: ScalarNode) -> Any:
        """PyYAML's integers, refusing one of more digits than any number a pack or record
        holds (Python itself refuses over 4,300, with a traceback)."""
        text = str(self.construct_scalar(node)).replace("_", "").strip()
        if sum(ch.isdigit() for ch in text) > MAX_INT_DIGITS:
            raise self._fail(
                f"a whole number of {len(text):,} characters is more than any pack or record holds "
                f"(数字位数过多,至多 {MAX_INT_DIGITS} 位)",
                node.start_mark,
                "check the value",
            )
        return super().construct_yaml_int(node)

    def construct_timestamp(self, node: ScalarNode) -> Any:
        """PyYAML's dates, with an impossible one (2023-02-30, month 13, year 0) an error at
        its line instead of a crash."""
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError):
            raise self._fail(
                f"{node.value} is not a real date (日期不存在)",
                node.start_mark,
                "check the year, month and day",
            ) from None

    def construct_undefined(self, node: Node) -> Any:
        raise self._fail(
            f"the tag {node.tag!r} is not allowed",
            node.start_mark,
            "packs and records are plain data: remove the tag",
        )


_Loader.add_constructor("tag:yaml.org,2002:map", _Loader.construct_yaml_map_pos)
_Loader.add_constructor("tag:yaml.org,2002:seq", _Loader.construct_yaml_seq_pos)
_Loader.add_constructor("tag:yaml.org,2002:float", _Loader.construct_decimal)
_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_int)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_timestamp)
_Loader.add_constructor(None, _Loader.construct_undefined)


#: The most digits a YAML integer may have (record numbers have at most 13 + 15).
MAX_INT_DIGITS = 40


def load_yaml_text(text: str, filename: str = "<string>", max_bytes: int = MAX_YAML_BYTES) -> Any:
    """Parse YAML text safely; raises :class:`PackError` with a position on any problem."""
    if len(text.encode("utf-8", "surrogatepass")) > max_bytes:
        raise PackError(
            [
                Problem(
                    f"file is larger than {max_bytes // (1024 * 1024)} MiB",
                    Location(filename),
                    "split it; a pack this large is almost certainly not hand-written",
                    "limit",
                )
            ]
        )
    try:
        loader = _Loader(text, filename)
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        col = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        raise PackError(
            [
                Problem(
                    f"control character U+{exc.character:04X} is not allowed in YAML",
                    Location(filename, line, col, text.split("\n")[line - 1][:200]),
                    "remove it (it is often left by copying from a PDF or a spreadsheet)",
                    "yaml",
                )
            ]
        ) from None
    try:
        return loader.get_single_data()
    except PackError:
        raise
    except ConstructorError as exc:
        raise loader._fail(_clean(exc.problem or str(exc)), exc.problem_mark) from None
    except yaml.MarkedYAMLError as exc:
        raise loader._fail(
            f"YAML syntax: {_clean(exc.problem or str(exc))}",
            exc.problem_mark,
            "check the indentation and quoting on this line",
        ) from None
    except yaml.YAMLError as exc:
        raise PackError([Problem(f"YAML: {exc}", Location(filename), None, "yaml")]) from None
    finally:
        loader.dispose()


def load_yaml_file(path: Path, max_bytes: int = MAX_YAML_BYTES, inside: Path | None = None) -> Any:
    """Read and parse a YAML file (UTF-8, BOM tolerated).

    Only a regular file is read (a device, FIFO or directory is refused before it is opened:
    ``/dev/zero`` would read without end, a FIFO hang), and at most ``max_bytes`` + 1 bytes of
    it. With ``inside`` (a pack's directory), a file that resolves outside that tree (a link to
    ``/proc/self/environ`` or a secrets file) is refused unread, so no error can quote it.
    """
    return load_yaml_text(read_text_file(path, max_bytes, inside), str(path), max_bytes)


def read_text_file(path: Path, max_bytes: int, inside: Path | None = None) -> str:
    """A regular UTF-8 text file of at most ``max_bytes``, within ``inside`` when given."""
    try:
        st = path.stat()
    except OSError as exc:
        raise PackError([Problem(f"cannot read file: {exc.strerror}", Location(str(path)))]) from None
    if not stat.S_ISREG(st.st_mode):
        what = "a directory" if stat.S_ISDIR(st.st_mode) else "a device, FIFO or socket"
        raise PackError(
            [
                Problem(
                    f"not a regular file ({what}); not read", Location(str(path)), "give a YAML file", "limit"
                )
            ]
        )
    if inside is not None and not _within(path, inside):
        raise PackError(
            [
                Problem(
                    "the file is a link to a place outside the pack's directory; not read "
                    "(政策包内的文件不能链接到包外)",
                    Location(str(path)),
                    "copy the file into the pack instead of linking to it",
                    "limit",
                )
            ]
        )
    with path.open("rb") as fh:
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise PackError(
            [
                Problem(
                    f"file is {max(st.st_size, len(data))} bytes, more than the {max_bytes} allowed",
                    Location(str(path)),
                    "split it; a pack this large is almost certainly not hand-written",
                    "limit",
                )
            ]
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PackError(
            [
                Problem(
                    f"not UTF-8 text ({exc.reason} at byte {exc.start})",
                    Location(str(path)),
                    "save the file as UTF-8",
                )
            ]
        ) from None


def _within(path: Path, root: Path) -> bool:
    try:
        return path.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):  # a link loop
        return False


def _clean(message: str) -> str:
    return re.sub(r"\s+", " ", message).strip()


def locate(data: Any, path: tuple[str | int, ...]) -> tuple[Pos | None, bool]:
    """Best source position for ``path`` inside loaded data.

    Returns the position and whether it is exact (False: the deepest parent found).
    When the last step is a key, the position is the key's own.
    """
    node = data
    best: Pos | None = getattr(data, "pos", None)
    for i, step in enumerate(path):
        last = i == len(path) - 1
        if isinstance(node, YamlMap) and step in node:
            best = node.key_pos.get(step, best) if last else node.value_pos.get(step, best)
            node = node[step]
        elif isinstance(node, YamlSeq) and isinstance(step, int) and 0 <= step < len(node):
            best = node.item_pos[step]
            node = node[step]
        else:
            return best, False
    return best, True


def value_pos(data: Any, path: tuple[str | int, ...]) -> Pos | None:
    """Position of the value at ``path`` (not its key)."""
    if not path:
        return getattr(data, "pos", None)
    parent_pos, exact = locate(data, path[:-1])
    if not exact:
        return None
    parent = data
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    if isinstance(parent, YamlMap):
        return parent.value_pos.get(last)
    if isinstance(parent, YamlSeq) and isinstance(last, int) and last < len(parent.item_pos):
        return parent.item_pos[last]
    return parent_pos


def strip_positions(value: Any) -> Any:
    """Plain dicts and lists (for hashing and for handing to users)."""
    if isinstance(value, dict):
        return {k: strip_positions(v) for k, v in value.items()}
    if isinstance(value, list):
        return [strip_positions(v) for v in value]
    return value
