"""Bounds on the shape of a YAML file, checked on its event stream before anything builds it.

YAML can describe far more than its size: an alias names a node already written, so ten lines of
anchors each aliasing the one before nine times describe a billion scalars (an *alias bomb*: a
477-byte file took 85 s and 2.4 GB before anything refused it), and ``[[[[...`` 50,000 deep
overflows the C stack of libyaml's composer (SIGSEGV) or Python's recursion limit in the pure
Python one. :func:`check_shape` reads the file as a flat stream of events (libyaml's parser keeps
its own stack on the heap, so depth cannot crash it), keeps the nesting depth and the number of
nodes the document stands for once every alias is expanded, and refuses the file at the first
event over :data:`MAX_DEPTH` or :data:`MAX_NODES`, naming the file and line. Pantau's own files
(codes, registry, calendar, detector list) are a few thousand nodes and under ten levels deep.

>>> check_shape("a: [1, 2, {b: c}]", "x.yaml", ValueError)
>>> check_shape("a: " + "[" * 100 + "]" * 100, "x.yaml", ValueError)
Traceback (most recent call last):
...
ValueError: x.yaml:1: nested deeper than 64 levels (a mapping or list inside another, 64 times); flatten it
"""

from __future__ import annotations

from typing import Any

import yaml

__all__ = ["MAX_DEPTH", "MAX_NODES", "check_shape", "load_bounded"]

MAX_DEPTH = 64
"""Most levels of mappings and lists inside each other."""

MAX_NODES = 200_000
"""Most nodes (scalars, mappings, lists) a document may stand for once its aliases are expanded."""

_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def check_shape(
    text: str, path: object, error: type[Exception], max_depth: int = MAX_DEPTH, max_nodes: int = MAX_NODES
) -> None:
    """Raise ``error`` (``file:line: what``) when ``text`` nests too deeply or expands to too many nodes.

    Invalid YAML raises :class:`yaml.YAMLError` as the parser finds it, for the caller to report.
    """
    sizes: dict[str, int] = {}  # anchor -> nodes under it, aliases expanded
    stack: list[list[Any]] = []  # open collections: [nodes so far, anchor]
    total = 0
    for event in yaml.parse(text, Loader=_LOADER):
        line = event.start_mark.line + 1 if event.start_mark is not None else 0
        if isinstance(event, yaml.CollectionStartEvent):
            if len(stack) >= max_depth:
                raise error(
                    f"{path}:{line}: nested deeper than {max_depth} levels (a mapping or list inside "
                    f"another, {max_depth} times); flatten it"
                )
            stack.append([1, event.anchor])
            continue
        if isinstance(event, yaml.CollectionEndEvent):
            size, anchor = stack.pop()
        elif isinstance(event, yaml.ScalarEvent):
            size, anchor = 1, event.anchor
        elif isinstance(event, yaml.AliasEvent):
            size, anchor = sizes.get(event.anchor or "", 1), None
        else:
            continue
        if anchor:
            sizes[anchor] = size
        if stack:
            stack[-1][0] += size
        total += size if not stack else 0
        if (stack and stack[-1][0] > max_nodes) or total > max_nodes:
            raise error(
                f"{path}:{line}: the document stands for over {max_nodes:,} values once its aliases "
                "(*name) are expanded (an alias bomb?); write the values out or use fewer aliases"
            )


def load_bounded(text: str, path: object, error: type[Exception]) -> Any:
    """``yaml.safe_load`` after :func:`check_shape` (libyaml's loader when installed)."""
    check_shape(text, path, error)
    return yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader
