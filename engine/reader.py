"""Read YAML and JSON definition files into plain data plus a location for every node.

The reader is the first stage of the pipeline: text in, `SourceDocument` out. It never
raises on bad input; it returns diagnostics instead. Locations are kept for every mapping
key, value and list element, addressed by JSON pointer (RFC 6901), so later stages can
point an author at ``file:line:col`` for any problem, in YAML and in JSON alike.

Scalars are resolved with the YAML 1.2 core schema (``no`` stays a string, ``on`` too),
dates stay strings, and duplicate keys are reported instead of silently overwritten.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from engine.diagnostics import Diagnostic, Location, make

try:  # libyaml is much faster; the pure-Python parser gives the same nodes
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - depends on the PyYAML build
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

_PLAIN = "tag:cliniform,2024:plain"


class _Loader(_BaseLoader):
    """Tags every untagged plain scalar as plain, so that `_Builder._scalar` resolves it
    with the YAML 1.2 core schema: PyYAML's own resolvers are YAML 1.1's, which tag `1e3`
    and `0o17` as text (and `no` as a boolean)."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is yaml.ScalarNode and implicit[0]:
            return _PLAIN
        return super().resolve(kind, value, implicit)

MAX_BYTES = 2_000_000
MAX_NODES = 200_000
MAX_DEPTH = 64
#: libyaml composes nested collections by recursion in C: some 30,000 nested `[` crash the
#: process (SIGSEGV) before any limit of ours applies. Past this many `[` and `{`, the
#: nesting is measured from the parser's events (iterative, safe) before composing.
MAX_FLOW_OPENERS = 10_000
EXTENSIONS = (".yaml", ".yml", ".json")

_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL_TRUE = re.compile(r"^(?:true|True|TRUE)$")
_BOOL_FALSE = re.compile(r"^(?:false|False|FALSE)$")
_INT10 = re.compile(r"^[-+]?[0-9]+$")
_INT8 = re.compile(r"^0o[0-7]+$")
_INT16 = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_INF = re.compile(r"^[-+]?\.(?:inf|Inf|INF)$")
_NAN = re.compile(r"^\.(?:nan|NaN|NAN)$")


@dataclass(frozen=True, slots=True)
class SourceDocument:
    """One definition file: its text, its plain data, and where every node came from."""

    path: str
    text: str
    data: Any
    locations: Mapping[str, Location] = field(default_factory=dict)

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def locate(self, pointer: str) -> Location:
        """The location of the node at ``pointer``, or of its nearest located ancestor."""
        while True:
            loc = self.locations.get(pointer)
            if loc is not None:
                return loc
            if not pointer:
                return Location(self.path, 1, 1)
            pointer = pointer.rsplit("/", 1)[0]

    def key_location(self, pointer: str) -> Location:
        """Where the key of a mapping entry is written (falls back to the value)."""
        return self.locations.get(pointer + "#key") or self.locate(pointer)


def pointer_join(base: str, token: str | int) -> str:
    text = str(token).replace("~", "~0").replace("/", "~1")
    return f"{base}/{text}"


def read_file(path: str | Path) -> tuple[SourceDocument | None, list[Diagnostic]]:
    """Read one definition file; returns (document or None, diagnostics)."""
    shown = str(path)
    p = Path(path)
    if p.suffix.lower() not in EXTENSIONS:
        return None, [make("READ007", f"'{p.name}' is not a .yaml, .yml or .json file", Location(shown), hint="rename the file or move it out of the definitions folder")]
    try:
        raw = p.read_bytes()
        if len(raw) > MAX_BYTES:
            return None, [make("READ005", f"file is {len(raw):,} bytes; the limit is {MAX_BYTES:,}", Location(shown, 1, 1), hint="split the definition into smaller forms")]
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, [make("READ001", f"file is not valid UTF-8 (byte {exc.start})", Location(shown), hint="save the file as UTF-8")]
    except OSError as exc:
        return None, [make("READ001", f"cannot read file: {exc.strerror or exc}", Location(shown), hint="check the path and permissions")]
    return read_text(text, shown, is_json=p.suffix.lower() == ".json")


def read_text(text: str, path: str = "<string>", *, is_json: bool = False) -> tuple[SourceDocument | None, list[Diagnostic]]:
    """Parse ``text`` (YAML, or JSON when ``is_json``) into a located document."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if len(text) > MAX_BYTES:
        return None, [make("READ005", f"document is {len(text):,} characters; the limit is {MAX_BYTES:,}", Location(path, 1, 1))]
    if is_json:
        try:
            json.loads(text)
        except json.JSONDecodeError as exc:
            return None, [make("READ003", exc.msg, Location(path, exc.lineno, exc.colno), hint="check for a missing comma, quote or bracket just before this position")]
        except RecursionError:
            return None, [make("READ005", "document is nested too deeply", Location(path, 1, 1))]
    if text.count("[") + text.count("{") > MAX_FLOW_OPENERS and _too_deep(text):
        return None, [make("READ005", f"document is nested deeper than {MAX_DEPTH} levels", Location(path, 1, 1), hint="simplify the document")]
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        loc = Location(path, mark.line + 1, mark.column + 1) if mark else Location(path, 1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        code = "READ003" if is_json else "READ002"
        return None, [make(code, problem, loc, hint=_yaml_hint(problem))]
    except yaml.YAMLError as exc:
        return None, [make("READ002", str(exc).splitlines()[0], Location(path, 1, 1))]
    except RecursionError:
        return None, [make("READ005", "document is nested too deeply", Location(path, 1, 1))]
    if node is None:
        return None, [make("READ006", "the file is empty", Location(path, 1, 1), hint="start the file with `schema: cliniform/form@1`")]
    builder = _Builder(path)
    data = builder.build(node, "", 0)
    if builder.diagnostics and any(d.code == "READ005" for d in builder.diagnostics):
        return None, builder.diagnostics
    return SourceDocument(path, text, data, builder.locations), builder.diagnostics


def _too_deep(text: str) -> bool:
    """Whether collections nest deeper than MAX_DEPTH, from parser events (no recursion)."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=_BaseLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    return True
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.MarkedYAMLError as exc:
        # libyaml (bundled with PyYAML >= 6.0.3) stops at its own limit of 1,000 levels
        return "nesting depth" in (exc.problem or "")  # else composing reports the error with its position
    except yaml.YAMLError:
        return False
    return False


def _yaml_hint(problem: str) -> str:
    if "tab" in problem:
        return "indent with spaces, not tabs"
    if "mapping values are not allowed" in problem:
        return "quote the value if it contains ': ', or fix the indentation of this line"
    if "could not find expected ':'" in problem:
        return "a key on this line or the previous one is missing its ':'"
    if "expected <block end>" in problem:
        return "check the indentation of this line against its siblings"
    return "fix the syntax at this position"


class _Builder:
    """Turns a YAML node graph into plain data, recording locations and limits."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.locations: dict[str, Location] = {}
        self.diagnostics: list[Diagnostic] = []
        self.count = 0

    def _loc(self, node: yaml.Node) -> Location:
        return Location(self.path, node.start_mark.line + 1, node.start_mark.column + 1)

    def build(self, node: yaml.Node, pointer: str, depth: int) -> Any:
        self.count += 1
        if self.count > MAX_NODES or depth > MAX_DEPTH:
            if not self.diagnostics or self.diagnostics[-1].code != "READ005":
                what = "too many nodes (or aliases expanding)" if self.count > MAX_NODES else f"more than {MAX_DEPTH} levels of nesting"
                self.diagnostics.append(make("READ005", f"document has {what}", self._loc(node), pointer=pointer, hint="simplify the document; aliases may not expand into huge trees"))
            return None
        self.locations[pointer] = self._loc(node)
        if isinstance(node, yaml.MappingNode):
            result: dict[str, Any] = {}
            for key_node, value_node in node.value:
                key = self._scalar(key_node) if isinstance(key_node, yaml.ScalarNode) else None
                if key_node.tag == "tag:yaml.org,2002:merge":
                    key = "<<"
                if not isinstance(key, str | int | float | bool) or key is None:
                    self.diagnostics.append(make("SCHEMA004", "mapping keys must be plain text", self._loc(key_node), pointer=pointer, hint="write the key as a plain word"))
                    continue
                key = str(key) if not isinstance(key, bool) else str(key).lower()
                child = pointer_join(pointer, key)
                if key in result:
                    first = self.locations.get(child + "#key")
                    where = f" (first at line {first.line})" if first else ""
                    self.diagnostics.append(make("READ004", f"duplicate key '{key}'{where}", self._loc(key_node), pointer=child, hint="remove one of the two entries; only one can be kept"))
                    continue
                self.locations[child + "#key"] = self._loc(key_node)
                result[key] = self.build(value_node, child, depth + 1)
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, pointer_join(pointer, i), depth + 1) for i, item in enumerate(node.value)]
        return self._scalar(node)

    @staticmethod
    def _scalar(node: yaml.Node) -> Any:
        value: str = node.value
        style = getattr(node, "style", None)
        tag = node.tag
        if style in ("'", '"') or tag == "tag:yaml.org,2002:str":
            return value
        if style in ("|", ">"):
            return value
        if _NULL.match(value):
            return None
        if _BOOL_TRUE.match(value):
            return True
        if _BOOL_FALSE.match(value):
            return False
        if _INT10.match(value):
            return int(value)
        if _INT8.match(value):
            return int(value[2:], 8)
        if _INT16.match(value):
            return int(value[2:], 16)
        if _FLOAT.match(value) and any(c.isdigit() for c in value):
            return float(value)
        if _INF.match(value):
            return float("-inf") if value.startswith("-") else float("inf")
        if _NAN.match(value):
            return float("nan")
        return value
