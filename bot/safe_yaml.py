"""Strict, size-capped YAML reading that remembers line numbers.

Built on PyYAML's safe loader (libyaml's ``CSafeLoader`` when available, with identical
guarantees on the pure-Python fallback). On top of ``yaml.safe_load`` it:

* reads bytes with a size cap and refuses non-UTF-8 input (a leading BOM is stripped);
* refuses anchors and aliases (so no alias bombs), merge keys (``<<``) and tags other
  than the plain YAML scalar/map/seq ones;
* refuses duplicate mapping keys, naming both lines;
* returns :class:`YamlMap` / :class:`YamlList` (plain ``dict`` / ``list`` subclasses)
  that carry the 1-based line of the node and of each key or item, so callers can point
  at the exact line of a bad field.

Every failure raises :class:`YamlError` with a short message and, where known, a line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

__all__ = [
    "DEFAULT_MAX_BYTES",
    "StrictLoader",
    "YamlError",
    "YamlList",
    "YamlMap",
    "decode_utf8",
    "load_bytes",
    "load_file",
    "parse",
    "read_capped",
]

DEFAULT_MAX_BYTES = 1 << 20  # 1 MiB per file
MAX_DEPTH = 64  # knowledge files nest 5 levels deep; anything far beyond is an error

_BOM = b"\xef\xbb\xbf"
_TAG = "tag:yaml.org,2002:"
_STR, _MAP, _SEQ, _MERGE = _TAG + "str", _TAG + "map", _TAG + "seq", _TAG + "merge"
_SCALAR_TAGS = frozenset(_TAG + t for t in ("null", "bool", "int", "float", "timestamp"))

_Base: type = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader


class YamlError(ValueError):
    """A file that is not acceptable YAML; ``line`` is 1-based, or ``None`` if unknown."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message, line)
        self.message = message
        self.line = line

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


class YamlMap(dict):
    """A mapping with ``line`` (its first line) and ``key_lines`` (line of each key)."""

    __slots__ = ("key_lines", "line")

    def __init__(self, line: int = 0) -> None:
        super().__init__()
        self.line = line
        self.key_lines: dict[Any, int] = {}


class YamlList(list):
    """A sequence with ``line`` (its first line) and ``item_lines`` (line of each item)."""

    __slots__ = ("item_lines", "line")

    def __init__(self, line: int = 0) -> None:
        super().__init__()
        self.line = line
        self.item_lines: list[int] = []


def _line(node: Node) -> int:
    return node.start_mark.line + 1


class StrictLoader(_Base):  # type: ignore[misc, valid-type]
    """The safe loader, composing nodes as usual but constructing them strictly."""

    def construct_strict(self, node: Node, depth: int = 0) -> Any:
        """Build plain Python values (``YamlMap``/``YamlList``/scalars) from ``node``."""
        if depth > MAX_DEPTH:
            raise YamlError(f"nesting deeper than {MAX_DEPTH} levels", _line(node))
        if isinstance(node, ScalarNode):
            return self._scalar(node)
        if isinstance(node, MappingNode):
            if node.tag != _MAP:
                raise YamlError(f"unsupported tag {node.tag!r}", _line(node))
            result = YamlMap(_line(node))
            for key_node, value_node in node.value:
                if not isinstance(key_node, ScalarNode):
                    raise YamlError("mapping keys must be plain values", _line(key_node))
                if key_node.tag == _MERGE:
                    raise YamlError("merge keys ('<<') are not allowed", _line(key_node))
                key = self._scalar(key_node)
                key_line = _line(key_node)
                if key in result:
                    raise YamlError(
                        f"duplicate key {key!r} (first defined on line {result.key_lines[key]})",
                        key_line,
                    )
                result[key] = self.construct_strict(value_node, depth + 1)
                result.key_lines[key] = key_line
            return result
        if isinstance(node, SequenceNode):
            if node.tag != _SEQ:
                raise YamlError(f"unsupported tag {node.tag!r}", _line(node))
            items = YamlList(_line(node))
            for item in node.value:
                items.append(self.construct_strict(item, depth + 1))
                items.item_lines.append(_line(item))
            return items
        raise YamlError(f"unsupported YAML node {type(node).__name__}", _line(node))

    def _scalar(self, node: ScalarNode) -> Any:
        if node.tag == _STR:
            return node.value
        if node.tag not in _SCALAR_TAGS:
            raise YamlError(f"unsupported tag {node.tag!r}", _line(node))
        try:
            return self.yaml_constructors[node.tag](self, node)
        except (ValueError, yaml.YAMLError) as exc:  # e.g. an impossible date 2021-13-45
            raise YamlError(f"bad value {node.value!r}: {exc}", _line(node)) from None


def read_capped(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """Read at most ``max_bytes`` from ``path``; a larger file raises ``YamlError``."""
    with open(path, "rb") as fh:
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise YamlError(f"file is larger than the limit of {max_bytes} bytes")
    return data


def decode_utf8(data: bytes) -> str:
    """Decode strict UTF-8 (dropping one leading BOM); errors name the line."""
    if data.startswith(_BOM):
        data = data[len(_BOM) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise YamlError(
            f"file is not valid UTF-8 (bad byte 0x{data[exc.start]:02x}); save it as UTF-8",
            line,
        ) from None


def _refuse_anchors(text: str) -> None:
    """Scan the event stream (cheap, nothing is expanded) for any anchor or alias."""
    for event in yaml.parse(text, Loader=_Base):
        if isinstance(event, yaml.AliasEvent):
            raise YamlError(
                f"aliases are not allowed (found *{event.anchor}); write the value out",
                _line(event),
            )
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            raise YamlError(
                f"anchors are not allowed (found &{anchor}); write the value out", _line(event)
            )


def _marked(exc: yaml.YAMLError, text: str) -> YamlError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if isinstance(exc, yaml.MarkedYAMLError):
        parts = [p for p in (exc.context, exc.problem) if p]
        message = "YAML syntax error: " + ", ".join(parts) if parts else str(exc)
        return YamlError(message, mark.line + 1 if mark is not None else None)
    if isinstance(exc, yaml.reader.ReaderError):
        line = text.count("\n", 0, max(exc.position, 0)) + 1
        return YamlError(f"unacceptable character #x{exc.character:04x} in file", line)
    return YamlError(f"YAML error: {exc}")


def parse(text: str) -> Any:
    """Parse one YAML document strictly; an empty document gives ``None``."""
    try:
        if "&" in text or "*" in text:  # anchors/aliases need one of these characters
            _refuse_anchors(text)
        loader = StrictLoader(text)
        try:
            node = loader.get_single_node()
            return None if node is None else loader.construct_strict(node)
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        raise _marked(exc, text) from None
    except RecursionError:
        raise YamlError("YAML is nested too deeply") from None


def load_bytes(data: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> Any:
    """Size-check, decode and parse YAML bytes."""
    if len(data) > max_bytes:
        raise YamlError(f"file is larger than the limit of {max_bytes} bytes")
    return parse(decode_utf8(data))


def load_file(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> Any:
    """Read and parse one YAML file strictly (see the module docstring)."""
    return parse(decode_utf8(read_capped(path, max_bytes)))
