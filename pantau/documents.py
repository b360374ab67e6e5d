"""Load Pantau's YAML files (codes, registry, calendar) with messages that name file, line and problem.

Each format has a JSON Schema (draft 2020-12) in ``codes/schema/``, generated from the pydantic
models so the two never drift (:mod:`codes.validation` writes them: ``python -m codes.validation``;
a test checks they are current). Editors use the schemas for validation and autocompletion, e.g.
in VS Code with the YAML extension, a first line ``# yaml-language-server: $schema=schema/code.schema.json``.

At load, :func:`load_document` parses the YAML, keeps the composed node tree (whose marks give the
line of every key and value), validates with ``jsonschema`` and then with pydantic, and turns
every problem into ``file:line: where: what`` in words commission staff can act on.

Example Snippet::

    from codes.calendar import Calendar
    from pantau.documents import load_document
    calendar = load_document(Path("calendar.yaml"), "calendar", Calendar, ConfigError)
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Sequence
from datetime import date, datetime, time
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from pantau.errors import PantauError

__all__ = [
    "SCHEMA_DIR",
    "SCHEMAS",
    "DocumentProblem",
    "describe_path",
    "format_problems",
    "line_of",
    "load_document",
    "load_schema",
    "parse_yaml",
    "pydantic_problems",
    "schema_problems",
]

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "codes" / "schema"
"""Where the JSON Schemas live (``code.schema.json``, ``registry.schema.json``, ``calendar.schema.json``)."""

SCHEMAS = ("code", "registry", "calendar")
"""The document kinds that have a schema."""

_MAX_PROBLEMS = 20
M = TypeVar("M", bound=BaseModel)


class DocumentProblem(BaseModel):
    """One problem in one document, with the line it is on (1-based; 0 when unknown)."""

    line: int
    where: str
    message: str


# -- YAML with lines ---------------------------------------------------------------------------
def parse_yaml(text: str, path: Path | str, error: type[PantauError]) -> tuple[Any, yaml.Node | None]:
    """Parse YAML into plain data and its node tree; raise ``error`` naming file and line when invalid."""
    from pantau.yaml_limits import check_shape

    try:
        # Depth and alias expansion bounded first, on the event stream (issue 19, row 10).
        check_shape(text, path, error)
        # One pass: compose the node tree (its marks give lines), then build the data from it.
        # libyaml's loader when available: the pure-Python scanner is most of the load time.
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise error(f"{where}: invalid YAML: {problem} (check indentation, colons and quotes)") from exc
    return _jsonable(data), node


def _jsonable(value: Any) -> Any:
    """YAML dates and times become ISO strings, as JSON Schema and editors see them."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


def _child(node: yaml.Node | None, key: str | int) -> tuple[yaml.Node | None, yaml.Node | None]:
    """Return (key node, value node) of ``key`` under ``node``."""
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == str(key):
                return k, v
    elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and 0 <= key < len(node.value):
        return None, node.value[key]
    return None, None


def line_of(node: yaml.Node | None, path: Sequence[str | int], key: bool = False) -> int:
    """Return the 1-based line of the value at ``path`` (of its key when ``key``).

    When ``path`` goes further than the document, the line of the nearest parent is returned.
    """
    line = node.start_mark.line + 1 if node is not None else 0
    current = node
    for part in path:
        key_node, value_node = _child(current, part)
        if value_node is None:
            break
        current = value_node
        line = (key_node if key and key_node is not None else value_node).start_mark.line + 1
    return line


def describe_path(data: Any, path: Sequence[str | int]) -> str:
    """Say where ``path`` is in words: ``clause GBV-1 > severity`` rather than ``clauses/4/severity``."""
    parts: list[str] = []
    current = data
    for i, part in enumerate(path):
        nxt = current[part] if isinstance(current, dict | list) and _has(current, part) else None
        if isinstance(part, int):
            parent = str(path[i - 1]) if i else "item"
            noun = {
                "clauses": "clause",
                "people": "person",
                "parties": "party",
                "elections": "election",
                "accounts": "account",
                "officers": "officer",
                "examples": "example",
            }.get(parent, parent)
            ident = (nxt.get("id") or nxt.get("name") or nxt.get("handle")) if isinstance(nxt, dict) else None
            label = f"{noun} {ident}" if ident else f"{noun} #{part + 1}"
            if parts and parts[-1] == parent:
                parts[-1] = label
            else:
                parts.append(label)
        else:
            parts.append(str(part))
        current = nxt
    return " > ".join(parts) or "top level"


def _has(container: Any, key: str | int) -> bool:
    if isinstance(container, dict):
        return key in container
    return isinstance(key, int) and 0 <= key < len(container)


# -- schemas -----------------------------------------------------------------------------------
@cache
def load_schema(kind: str) -> dict[str, Any]:
    """Return the JSON Schema of a document kind (``code``, ``registry``, ``calendar``)."""
    return json.loads((SCHEMA_DIR / f"{kind}.schema.json").read_text(encoding="utf-8"))


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "nothing" if value is None else type(value).__name__


_TYPE_WORDS = {
    "string": "text",
    "number": "a number",
    "integer": "a whole number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping (key: value)",
    "null": "nothing",
}


def _expected(schema_type: Any) -> str:
    types = schema_type if isinstance(schema_type, list) else [schema_type]
    return " or ".join(_TYPE_WORDS.get(t, str(t)) for t in types if t != "null")


def schema_problems(data: Any, node: yaml.Node | None, kind: str) -> list[DocumentProblem]:
    """Validate ``data`` against the ``kind`` schema; return problems with lines, sorted by line."""
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import best_match

    validator = Draft202012Validator(load_schema(kind))
    problems: list[DocumentProblem] = []
    for error in validator.iter_errors(data):
        if error.context:
            error = best_match(error.context)
        path = list(error.absolute_path)
        problems.extend(_explain(error, path, data, node))
    problems.sort(key=lambda p: p.line)
    return problems


def _explain(error: Any, path: list[str | int], data: Any, node: yaml.Node | None) -> list[DocumentProblem]:
    where = describe_path(data, path)
    kind = error.validator
    if kind == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extras = [k for k in error.instance if k not in allowed] if isinstance(error.instance, dict) else []
        out = []
        for extra in extras:
            hint = difflib.get_close_matches(extra, allowed, n=1)
            message = f"unknown field {extra!r}"
            if hint:
                message += f"; did you mean {hint[0]!r}?"
            message += f" Allowed here: {', '.join(allowed)}"
            out.append(
                DocumentProblem(line=line_of(node, [*path, extra], key=True), where=where, message=message)
            )
        return out
    line = line_of(node, path)
    if kind == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return [DocumentProblem(line=line, where=where, message=f"missing required field {missing!r}")]
    if kind == "enum":
        choices = ", ".join(str(c) for c in error.validator_value)
        message = f"{error.instance!r} is not allowed; choose one of: {choices}"
    elif kind == "type":
        got = f"{_type_name(error.instance)} ({error.instance!r})"
        message = f"expected {_expected(error.validator_value)}, got {got}"
        if (
            isinstance(error.instance, int)
            and not isinstance(error.instance, bool)
            and error.schema.get("format") == "time"
        ):
            message += '; write times in quotes, e.g. "18:00" (YAML reads 18:00 as the number 1080)'
        elif (
            isinstance(error.instance, int | float)
            and not isinstance(error.instance, bool)
            and "string" in str(error.validator_value)
        ):
            message += f'; write it in quotes, e.g. "{error.instance}"'
        elif error.instance is None:
            message += "; give a value or remove the field"
    elif kind == "pattern":
        message = (
            f"{error.instance!r} does not have the expected form ({error.schema.get('description', '')})"
        )
    elif kind in ("minItems", "minLength"):
        message = "must not be empty"
    else:
        message = error.message
    return [DocumentProblem(line=line, where=where, message=message)]


def pydantic_problems(exc: ValidationError, data: Any, node: yaml.Node | None) -> list[DocumentProblem]:
    """Turn a pydantic error into problems with lines (for checks the schema cannot express)."""
    out = []
    for err in exc.errors():
        path = [p for p in err["loc"] if isinstance(p, str | int)]
        msg = err["msg"].removeprefix("Value error, ")
        out.append(DocumentProblem(line=line_of(node, path), where=describe_path(data, path), message=msg))
    return out


def format_problems(path: Path | str, problems: Sequence[DocumentProblem]) -> str:
    """Return one ``file:line: where: problem`` line per problem (the first few when there are many)."""
    lines = [f"{path}:{p.line or '?'}: {p.where}: {p.message}" for p in problems[:_MAX_PROBLEMS]]
    if len(problems) > _MAX_PROBLEMS:
        lines.append(f"{path}: ... and {len(problems) - _MAX_PROBLEMS} more problems")
    return "\n".join(lines)


def load_document(
    path: Path,
    kind: str,
    model: type[M],
    error: type[PantauError],
    prepare: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> tuple[M, yaml.Node | None]:
    """Read, schema-check and parse one YAML document; raise ``error`` listing every problem with its line.

    :param prepare: adjusts the raw mapping before pydantic sees it (e.g. adds the folder photo
        paths are relative to).
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{path}: cannot read: {exc}") from exc
    data, node = parse_yaml(text, path, error)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise error(f"{path}:1: top level: a {kind} file must be a mapping of fields (key: value)")
    problems = schema_problems(data, node, kind)
    if problems:
        raise error(format_problems(path, problems))
    try:
        return model.model_validate(prepare(data) if prepare else data), node
    except ValidationError as exc:
        raise error(format_problems(path, pydantic_problems(exc, data, node))) from exc
