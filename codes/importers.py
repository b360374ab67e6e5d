"""Build a registry from CSV files or from a FollowTheMoney (OpenSanctions) export, and write it as YAML.

CSV (a folder; only ``parties.csv`` and ``people.csv`` are required; UTF-8, with or without a
BOM; comma, semicolon or tab separated; lists inside a cell separated by ``|``; yes/no,
true/false or 1/0 for flags; an empty ``id`` is made from the name):

``parties.csv``   id, name, short_name, signatory, jurisdiction
``people.csv``    id, name, variants, gender, role, party, constituency, photos, consented_ai_depiction
``accounts.csv``  platform, handle, party, person, kind      (a row with ``person`` joins that person)
``officers.csv``  party, id, name, email, phone, channels

FollowTheMoney (https://followthemoney.tech): a JSON Lines file of entities (or a JSON array),
each ``{"id", "schema", "properties": {name: [values]}}``, as OpenSanctions publishes its
politically exposed persons (``entities.ftm.json``). Read:

- ``Person``: ``name`` (first is the name, the others are variants), ``alias``, ``weakAlias``,
  ``gender`` (male, female, other), ``position`` (free text; "candidate" in it makes the role
  candidate, else official), ``country``/``nationality`` (for ``--country``).
- ``Organization`` (or ``PublicBody``) that a person is a member of through a ``Membership``
  (``member`` -> ``organization``), or whose ``topics`` include ``pol.party``: a party.
- ``Occupancy`` (``holder`` -> ``post``) of a ``Position``: role official, and the
  position's ``subnationalArea`` as constituency.
- ``UserAccount`` (``owner``, ``service``, ``username``): an account of the person or party.

Imported parties are not signatories unless named with ``signatories=...``: who signed is the
commission's record, not the source's. Every entry keeps the source's id in ``source_id``.

Example Snippet::

    registry = registry_from_csv(Path("registry-csv"))
    write_registry(registry, Path("registry.yaml"))
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from pantau.errors import ConfigError
from pantau.registry import Account, Officer, Party, Person, Registry

__all__ = [
    "CSV_COLUMNS",
    "read_ftm_entities",
    "registry_from_csv",
    "registry_from_ftm",
    "slug",
    "write_registry",
]

CSV_COLUMNS: dict[str, tuple[list[str], list[str]]] = {
    "parties.csv": (["name"], ["id", "short_name", "signatory", "jurisdiction"]),
    "people.csv": (
        ["name"],
        ["id", "variants", "gender", "role", "party", "constituency", "photos", "consented_ai_depiction"],
    ),
    "accounts.csv": (["platform", "handle"], ["party", "person", "kind"]),
    "officers.csv": (["party", "name"], ["id", "email", "phone", "channels"]),
}
"""Per CSV file: (required columns, optional columns)."""

_TRUE = {"1", "yes", "y", "true", "t", "ya", "ok", "x"}
_FALSE = {"0", "no", "n", "false", "f", "tidak", "", "-"}
_GENDERS = {
    "f": "female",
    "female": "female",
    "woman": "female",
    "perempuan": "female",
    "wanita": "female",
    "m": "male",
    "male": "male",
    "man": "male",
    "lelaki": "male",
    "laki-laki": "male",
    "nonbinary": "nonbinary",
    "non-binary": "nonbinary",
    "other": "nonbinary",
}


def slug(text: str) -> str:
    """Return a lower-case id made from a name: ``Aminah Yusof`` -> ``aminah-yusof``."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-") or "x"


class _Ids:
    """Hands out unique ids, adding -2, -3... on a clash."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def take(self, wanted: str) -> str:
        candidate, n = wanted, 1
        while candidate in self.used:
            n += 1
            candidate = f"{wanted}-{n}"
        self.used.add(candidate)
        return candidate

    def claim(self, wanted: str, where: str, kind: str) -> str:
        """Take ``wanted`` as it is; a second row with the same id is an error at ``where``."""
        if wanted in self.used:
            raise ConfigError(f"{where}: {kind} id {wanted!r} is used twice")
        return self.take(wanted)


# -- CSV --------------------------------------------------------------------------------------
def _rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read (save it as UTF-8 CSV): {exc}") from exc
    try:
        dialect: Any = csv.Sniffer().sniff(text.splitlines()[0] if text else ",", delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text, newline=""), dialect=dialect)
    required, optional = CSV_COLUMNS[path.name]
    try:
        columns = [c.strip().lower() for c in (reader.fieldnames or [])]
    except csv.Error as exc:  # a field over the csv module's size limit, a stray quote...
        raise ConfigError(f"{path}:1: not readable as CSV: {exc}") from exc
    missing = [c for c in required if c not in columns]
    if missing:
        raise ConfigError(
            f"{path}:1: missing column(s) {', '.join(missing)}; expected columns: "
            f"{', '.join(required + optional)}"
        )
    unknown = [c for c in columns if c and c not in required + optional]
    if unknown:
        raise ConfigError(
            f"{path}:1: unknown column(s) {', '.join(unknown)}; expected columns: "
            f"{', '.join(required + optional)}"
        )
    rows = enumerate(reader, start=2)
    while True:
        try:
            number, row = next(rows)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ConfigError(f"{path}:{reader.line_num}: not readable as CSV: {exc}") from exc
        clean = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items() if k}
        if any(clean.values()):
            yield number, clean


def _flag(value: str, where: str, default: bool) -> bool:
    low = value.strip().lower()
    if not low:
        return default
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise ConfigError(f"{where}: {value!r} is not yes or no")


def _list(value: str) -> list[str]:
    return [v.strip() for v in value.split("|") if v.strip()]


def _gender(value: str, where: str) -> str:
    if not value.strip():
        return "unknown"
    found = _GENDERS.get(value.strip().lower())
    if found is None:
        raise ConfigError(f"{where}: gender {value!r} is not one of female, male, nonbinary (or empty)")
    return found


def _build(model_name: str, where: str, **fields: Any) -> Any:
    model = {"party": Party, "person": Person, "account": Account, "officer": Officer}[model_name]
    try:
        return model(**{k: v for k, v in fields.items() if v not in (None, "")})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"{where}: {problems}") from exc


def registry_from_csv(folder: Path) -> Registry:
    """Read ``parties.csv``, ``people.csv`` and, when present, ``accounts.csv`` and ``officers.csv``.

    Raises :class:`ConfigError` naming the file and row of the first problem.
    """
    folder = Path(folder)
    for name in ("parties.csv", "people.csv"):
        if not (folder / name).is_file():
            raise ConfigError(
                f"{folder}: {name} is missing; columns: {', '.join(sum(CSV_COLUMNS[name], []))}"
            )
    officers: dict[str, list[Officer]] = {}
    if (folder / "officers.csv").is_file():
        officer_ids = _Ids()
        for n, row in _rows(folder / "officers.csv"):
            where = f"{folder / 'officers.csv'}:{n}"
            officers.setdefault(row["party"], []).append(
                _build(
                    "officer",
                    where,
                    id=officer_ids.take(row.get("id") or slug(row["name"])),
                    name=row["name"],
                    email=row.get("email"),
                    phone=row.get("phone"),
                    channels=_list(row.get("channels", "")),
                )
            )
    parties: list[Party] = []
    party_ids = _Ids()
    for n, row in _rows(folder / "parties.csv"):
        where = f"{folder / 'parties.csv'}:{n}"
        pid = party_ids.claim(row.get("id") or slug(row.get("short_name") or row["name"]), where, "party")
        parties.append(
            _build(
                "party",
                where,
                id=pid,
                name=row["name"],
                short_name=row.get("short_name"),
                signatory=_flag(row.get("signatory", ""), where, default=True),
                jurisdiction=row.get("jurisdiction"),
                officers=officers.pop(pid, []),
            )
        )
    if officers:
        raise ConfigError(
            f"{folder / 'officers.csv'}: officers of unknown part(ies) {', '.join(sorted(officers))}"
        )
    accounts_by_person: dict[str, list[Account]] = {}
    accounts: list[Account] = []
    if (folder / "accounts.csv").is_file():
        for n, row in _rows(folder / "accounts.csv"):
            where = f"{folder / 'accounts.csv'}:{n}"
            person = row.get("person")
            acc = _build(
                "account",
                where,
                platform=row["platform"].lower(),
                handle=row["handle"],
                party=row.get("party"),
                kind=row.get("kind") or ("personal" if person else "official"),
            )
            if person:
                accounts_by_person.setdefault(person, []).append(acc)
            else:
                accounts.append(acc)
    people: list[Person] = []
    person_ids = _Ids()
    for n, row in _rows(folder / "people.csv"):
        where = f"{folder / 'people.csv'}:{n}"
        pid = person_ids.claim(row.get("id") or slug(row["name"]), where, "person")
        people.append(
            _build(
                "person",
                where,
                id=pid,
                name=row["name"],
                variants=_list(row.get("variants", "")),
                gender=_gender(row.get("gender", ""), where),
                role=(row.get("role") or "candidate").lower(),
                party=row.get("party"),
                constituency=row.get("constituency"),
                photos=_list(row.get("photos", "")),
                consented_ai_depiction=_flag(row.get("consented_ai_depiction", ""), where, default=False),
                accounts=accounts_by_person.pop(pid, []),
            )
        )
    if accounts_by_person:
        raise ConfigError(
            f"{folder / 'accounts.csv'}: accounts of unknown person(s) "
            f"{', '.join(sorted(accounts_by_person))}"
        )
    return Registry(parties=parties, people=people, accounts=accounts)


# -- FollowTheMoney ---------------------------------------------------------------------------
def read_ftm_entities(path: Path) -> list[dict[str, Any]]:
    """Read FtM entities from JSON Lines, a JSON array, or ``{"entities": [...]}``."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from exc
    stripped = text.lstrip()
    entities: list[Any]
    if stripped.startswith("["):
        try:
            entities = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}:{exc.lineno}: invalid JSON: {exc.msg}") from exc
    elif stripped.startswith("{") and "\n{" not in stripped.rstrip() and '"entities"' in stripped[:200]:
        try:
            entities = json.loads(text).get("entities", [])
        except (json.JSONDecodeError, AttributeError) as exc:
            raise ConfigError(f"{path}: invalid JSON: {exc}") from exc
    else:
        entities = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                entities.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ConfigError(f"{path}:{number}: invalid JSON line: {exc.msg}") from exc
    out = []
    for n, entity in enumerate(entities, start=1):
        if not isinstance(entity, dict) or "id" not in entity or "schema" not in entity:
            raise ConfigError(
                f"{path}: entity #{n} is not a FollowTheMoney entity (needs id, schema, properties)"
            )
        props = entity.get("properties") or {}
        if not isinstance(props, dict):
            raise ConfigError(f"{path}: entity {entity['id']}: properties must be a mapping of lists")
        entity["properties"] = {k: (v if isinstance(v, list) else [v]) for k, v in props.items()}
        out.append(entity)
    return out


def _first(entity: dict[str, Any], prop: str) -> str:
    values = entity["properties"].get(prop) or []
    return str(values[0]).strip() if values else ""


def _all(entity: dict[str, Any], *props: str) -> list[str]:
    found: list[str] = []
    for prop in props:
        for value in entity["properties"].get(prop) or []:
            text = str(value).strip()
            if text and text not in found:
                found.append(text)
    return found


_ORG_SCHEMAS = {"Organization", "PublicBody", "LegalEntity", "Company"}
_CANDIDATE = re.compile(r"\b(candidate|calon|caleg|kandidat|candidato)\b", re.IGNORECASE)


def registry_from_ftm(
    path: Path, signatories: Iterable[str] = (), country: str | None = None, jurisdiction: str | None = None
) -> Registry:
    """Build a registry from FtM entities (see the module docstring for what is read).

    :param signatories: ids (after import) or source ids of parties that signed the code.
    :param country: keep only people whose ``country``/``nationality`` includes this code (e.g. ``my``).
    :param jurisdiction: the calendar jurisdiction of every imported party (none: the code's).
    """
    entities = read_ftm_entities(path)
    by_id = {e["id"]: e for e in entities}
    members: dict[str, list[str]] = {}
    for e in entities:
        if e["schema"] == "Membership":
            for person in _all(e, "member"):
                members.setdefault(person, []).extend(_all(e, "organization"))
    posts: dict[str, list[dict[str, Any]]] = {}
    for e in entities:
        if e["schema"] == "Occupancy":
            for holder in _all(e, "holder"):
                posts.setdefault(holder, []).extend(by_id[p] for p in _all(e, "post") if p in by_id)
    party_entities = {oid for orgs in members.values() for oid in orgs if oid in by_id}
    party_entities |= {
        e["id"] for e in entities if e["schema"] in _ORG_SCHEMAS and "pol.party" in _all(e, "topics")
    }
    wanted = {s for s in signatories}
    parties: list[Party] = []
    party_id_of: dict[str, str] = {}
    ids = _Ids()
    for oid in sorted(party_entities, key=lambda i: _first(by_id[i], "name")):
        org = by_id[oid]
        name = _first(org, "name") or oid
        short = next((a for a in _all(org, "alias", "weakAlias") if a.isupper() and len(a) <= 12), None)
        pid = ids.take(slug(short or name))
        party_id_of[oid] = pid
        parties.append(
            Party(
                id=pid,
                name=name,
                short_name=short,
                signatory=bool({pid, oid} & wanted),
                source_id=oid,
                jurisdiction=jurisdiction or None,
            )
        )
    people: list[Person] = []
    person_id_of: dict[str, str] = {}
    people_ids = _Ids()
    for e in entities:
        if e["schema"] != "Person":
            continue
        if country and country.lower() not in {
            c.lower() for c in _all(e, "country", "nationality", "citizenship")
        }:
            continue
        names = _all(e, "name")
        if not names:
            first, last = _first(e, "firstName"), _first(e, "lastName")
            names = [f"{first} {last}".strip()] if first or last else []
        if not names:
            continue
        variants = [n for n in [*names[1:], *_all(e, "alias", "weakAlias")] if n != names[0]]
        positions = _all(e, "position") + [_first(p, "name") for p in posts.get(e["id"], [])]
        role = "candidate" if any(_CANDIDATE.search(p) for p in positions) else "official"
        areas = [_first(p, "subnationalArea") for p in posts.get(e["id"], []) if _first(p, "subnationalArea")]
        party = next((party_id_of[o] for o in members.get(e["id"], []) if o in party_id_of), None)
        gender = _GENDERS.get(_first(e, "gender").lower(), "unknown")
        pid = people_ids.take(slug(names[0]))
        person_id_of[e["id"]] = pid
        people.append(
            Person(
                id=pid,
                name=names[0],
                variants=list(dict.fromkeys(variants)),
                gender=gender,
                role=role,
                party=party,
                constituency=areas[0] if areas else None,
                source_id=e["id"],
            )
        )
    accounts: list[Account] = []
    person_accounts: dict[str, list[Account]] = {}
    for e in entities:
        if e["schema"] != "UserAccount":
            continue
        handle, service = _first(e, "username"), _first(e, "service").lower()
        if not handle or not service:
            continue
        for owner in _all(e, "owner"):
            if owner in person_id_of:
                person_accounts.setdefault(person_id_of[owner], []).append(
                    Account(platform=service, handle=handle, kind="personal")
                )
            elif owner in party_id_of:
                accounts.append(Account(platform=service, handle=handle, party=party_id_of[owner]))
    people = [p.model_copy(update={"accounts": person_accounts.get(p.id, [])}) for p in people]
    return Registry(parties=parties, people=people, accounts=accounts)


def write_registry(registry: Registry, path: Path, header: str = "") -> None:
    """Write a registry as YAML, leaving out empty fields, with an optional comment header."""
    data = registry.model_dump(mode="json", exclude_none=True, exclude={"base_dir"})

    def prune(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: prune(v) for k, v in value.items() if v not in ([], {}, None)}
        if isinstance(value, list):
            return [prune(v) for v in value]
        return value

    body = yaml.safe_dump(prune(data), sort_keys=False, allow_unicode=True, width=110)
    lines = [f"# {line}".rstrip() for line in header.splitlines()] if header else []
    Path(path).write_text("\n".join([*lines, body]), encoding="utf-8")
