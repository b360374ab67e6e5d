"""The JSON Schemas of Pantau's YAML files (codes, registry, calendar), generated from the pydantic models.

``python -m codes.validation`` rewrites ``codes/schema/*.json``; a test checks they are current.
Loading and checking a file against its schema is :mod:`pantau.documents`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pantau.documents import SCHEMA_DIR, load_schema

__all__ = ["SCHEMA_DIR", "generate_schemas", "write_schemas"]


# -- generation ---------------------------------------------------------------------------------
def generate_schemas() -> dict[str, dict[str, Any]]:
    """Build the three JSON Schemas from the pydantic models (what ``codes/schema/*.json`` must hold)."""
    from codes.calendar import Calendar
    from codes.facts import CALENDAR_FIELDS, ITEM_FIELDS, PERSON_FIELDS, SIGNAL_FIELDS, fact_schema
    from codes.model import Code
    from pantau.registry import Registry

    def finish(schema: dict[str, Any], kind: str, title: str, description: str) -> dict[str, Any]:
        head = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"https://pantau.example/schema/{kind}.schema.json",
            "title": title,
            "description": description,
        }
        schema.pop("title", None)
        schema.pop("description", None)
        return {**head, **schema}

    code = Code.model_json_schema()
    example = code["$defs"]["Example"]["properties"]
    example["item"] = {
        **fact_schema(ITEM_FIELDS, fact_schema(PERSON_FIELDS)),
        "description": "Item facts of the example; fields left out are empty.",
    }
    example["signals"] = {
        "type": "object",
        "description": "Signals of the example by detector name; detectors left out are absent (score 0).",
        "additionalProperties": fact_schema(SIGNAL_FIELDS),
    }
    example["calendar"] = {
        **fact_schema(CALENDAR_FIELDS),
        "description": "Calendar facts of the example; fields left out are neutral.",
    }
    registry = Registry.model_json_schema()
    registry["properties"].pop("base_dir", None)
    return {
        "code": finish(
            code,
            "code",
            "Pantau code of conduct",
            "A code of conduct on AI in political life: clauses as signed, each with a CEL rule "
            "and worked examples. See docs/codes.md.",
        ),
        "registry": finish(
            registry,
            "registry",
            "Pantau registry",
            "Parties, candidates and officials, their accounts and compliance officers. See docs/codes.md.",
        ),
        "calendar": finish(
            Calendar.model_json_schema(),
            "calendar",
            "Pantau election calendar",
            "Elections per jurisdiction with their time zone and phases. See docs/codes.md.",
        ),
    }


def write_schemas(folder: Path = SCHEMA_DIR) -> list[Path]:
    """Write the generated schemas to ``folder``; return the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for kind, schema in generate_schemas().items():
        path = folder / f"{kind}.schema.json"
        path.write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(path)
    load_schema.cache_clear()
    return written


if __name__ == "__main__":
    for written_path in write_schemas():
        print(written_path)
