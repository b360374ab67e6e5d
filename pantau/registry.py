"""The registry of parties, candidates and officials, their accounts and compliance officers.

Rules, face matching and targeting read it. The YAML format (see ``codes/samples/registry.yaml``)::

    parties:
      - id: pbn
        name: Parti Bersatu Nusantara
        signatory: true
            jurisdiction: Nusantara        # whose election calendar applies to its content
        officers:
          - {id: officer-pbn, name: Siti Rahman, email: compliance@pbn.example, channels: ["mailto://..."]}
    people:
      - id: aminah-yusof
        name: Aminah Yusof
        variants: ["Kak Aminah", "Aminah Y."]
        gender: female
        role: candidate          # candidate | official | commissioner | other
        party: pbn
        constituency: P.101 Bukit Mawar
        photos: [photos/aminah.jpg]     # relative to the registry file
        accounts: [{platform: x, handle: "@aminahyusof"}]
    accounts:                    # official and affiliated accounts of parties
      - {platform: facebook, handle: pbn.official, party: pbn, kind: official}

The JSON Schema is ``codes/schema/registry.schema.json``; :mod:`codes.importers` builds a
registry from CSV files or a FollowTheMoney (OpenSanctions) export. Loading is loud: YAML and
schema errors, duplicate ids and references to unknown parties or people are refused with
file and line.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from pantau.errors import ConfigError
from pantau.lru import LRU

__all__ = [
    "Account",
    "Officer",
    "Party",
    "Person",
    "Registry",
    "load_registry",
    "normalise_handle",
    "registry_problems",
]


def normalise_handle(handle: str) -> str:
    """Return a handle in comparable form: lower case, no leading '@', no spaces."""
    return handle.strip().lstrip("@").lower().replace(" ", "")


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).casefold()


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Account(_Model):
    """An account on a platform, with whose it is."""

    platform: str = Field(
        description="Platform name, lower case: x, facebook, instagram, tiktok, youtube, telegram..."
    )
    handle: str = Field(description="Handle or page name; a leading '@' and case are ignored.")
    party: str | None = Field(None, description="Registry id of the party the account speaks for.")
    person: str | None = Field(None, description="Registry id of the person who owns it.")
    kind: Literal["official", "affiliated", "personal"] = Field(
        "official",
        description="official: the party's own; affiliated: a wing or support page; personal: a "
        "candidate's own account (attributed to the candidate's party).",
    )


class Officer(_Model):
    """A party's compliance officer and how to reach them."""

    id: str = Field(description="Unique id of the officer.")
    name: str
    email: str | None = None
    phone: str | None = Field(
        None, description="Telephone number in international form, e.g. +60 3 1234 5678."
    )
    channels: list[str] = Field(default_factory=list, description="Apprise URLs to alert the officer on.")


class Party(_Model):
    """A political party; ``signatory`` when it signed the code of conduct."""

    id: str = Field(description="Unique id, lower case, used in rules and reports (e.g. pbn).")
    name: str
    short_name: str | None = None
    signatory: bool = Field(True, description="The party signed the code of conduct.")
    jurisdiction: str | None = Field(
        None,
        description="Jurisdiction whose election calendar applies to the party's content (calendar's "
        "`jurisdiction`); none: the code's jurisdiction.",
    )
    officers: list[Officer] = Field(
        default_factory=list, description="Compliance officers alerted on breaches."
    )
    source_id: str | None = Field(None, description="Id in the source this entry was imported from.")


class Person(_Model):
    """A candidate, official or other public figure in the registry."""

    id: str = Field(description="Unique id, lower case (e.g. aminah-yusof).")
    name: str
    variants: list[str] = Field(
        default_factory=list, description="Other names the person is called by: nicknames, titles, spellings."
    )
    gender: Literal["female", "male", "nonbinary", "unknown"] = "unknown"
    role: Literal["candidate", "official", "commissioner", "other"] = "candidate"
    party: str | None = Field(None, description="Registry id of their party.")
    constituency: str | None = None
    photos: list[str] = Field(
        default_factory=list, description="Reference photos for face matching, relative to the registry file."
    )
    accounts: list[Account] = Field(default_factory=list, description="Their own accounts.")
    consented_ai_depiction: bool = Field(
        False, description="Consented in writing to AI-generated depictions of them."
    )
    source_id: str | None = Field(None, description="Id in the source this entry was imported from.")

    def names(self) -> list[str]:
        """Return the name and its variants."""
        return [self.name, *self.variants]


class Registry(_Model):
    """Parties, people and accounts, with look-ups."""

    parties: list[Party] = Field(default_factory=list, description="Political parties.")
    people: list[Person] = Field(default_factory=list, description="Candidates, officials and other figures.")
    accounts: list[Account] = Field(
        default_factory=list, description="Official and affiliated party accounts."
    )
    base_dir: str | None = Field(None, description="Folder the photo paths are relative to.")

    @cached_property
    def _accounts_by_handle(self) -> dict[tuple[str, str], Account]:
        found: dict[tuple[str, str], Account] = {}
        for acc in self.accounts:
            found[(acc.platform.lower(), normalise_handle(acc.handle))] = acc
        for person in self.people:
            for acc in person.accounts:
                acc2 = acc.model_copy(update={"person": person.id, "party": acc.party or person.party})
                found[(acc.platform.lower(), normalise_handle(acc.handle))] = acc2
        return found

    def account(self, platform: str | None, handle: str | None) -> Account | None:
        """Find an account by platform and handle (any platform when ``platform`` is None)."""
        if not handle:
            return None
        key = normalise_handle(handle)
        if platform:
            hit = self._accounts_by_handle.get((platform.lower(), key))
            if hit:
                return hit
        for (_, h), acc in self._accounts_by_handle.items():
            if h == key:
                return acc
        return None

    def party(self, party_id: str | None) -> Party | None:
        """Return a party by id."""
        return next((p for p in self.parties if p.id == party_id), None)

    def person(self, person_id: str | None) -> Person | None:
        """Return a person by id."""
        return next((p for p in self.people if p.id == person_id), None)

    def signatories(self) -> list[str]:
        """Ids of parties that signed the code."""
        return [p.id for p in self.parties if p.signatory]

    @cached_property
    def _name_patterns(self) -> list[tuple[re.Pattern[str], Person]]:
        pats = []
        for person in self.people:
            for name in person.names():
                folded = re.escape(_fold(name)).replace(r"\ ", r"\s+")
                pats.append((re.compile(rf"(?<!\w){folded}(?!\w)"), person))
        return pats

    def people_mentioned(self, text: str, handles: list[str] | None = None) -> list[Person]:
        """Return people named in ``text`` (name variants, accent- and case-insensitive) or by handle.

        Remembered for the last texts seen (share cascades repeat a post thousands of times).
        """
        key = (text, tuple(handles or ()))
        return list(self._mentioned.get_or_compute(key, lambda: self._people_mentioned(text, handles)))

    @cached_property
    def _mentioned(self) -> LRU[tuple[str, tuple[str, ...]], list[Person]]:
        return LRU(4096)

    def _people_mentioned(self, text: str, handles: list[str] | None) -> list[Person]:
        folded = _fold(text)
        found: dict[str, Person] = {}
        for pattern, person in self._name_patterns:
            if person.id not in found and pattern.search(folded):
                found[person.id] = person
        for handle in [*(handles or []), *re.findall(r"@[\w.]+", text)]:
            acc = self.account(None, handle)
            if acc and acc.person and acc.person not in found:
                person = self.person(acc.person)
                if person:
                    found[person.id] = person
        return list(found.values())

    def photo_paths(self, person: Person) -> list[Path]:
        """Absolute paths of a person's reference photos."""
        base = Path(self.base_dir or ".")
        return [(base / p) if not Path(p).is_absolute() else Path(p) for p in person.photos]


def registry_problems(registry: Registry) -> list[tuple[list[str | int], str]]:
    """Return consistency problems as (path, message): duplicate ids, unknown references, shared handles."""
    problems: list[tuple[list[str | int], str]] = []
    party_ids = {p.id for p in registry.parties}
    person_ids = {p.id for p in registry.people}
    for section, entries in (("parties", registry.parties), ("people", registry.people)):
        seen: set[str] = set()
        for n, entry in enumerate(entries):
            if entry.id in seen:
                problems.append(([section, n, "id"], f"id {entry.id!r} is used twice"))
            seen.add(entry.id)
    handles: dict[tuple[str, str], str] = {}

    def check_account(path: list[str | int], acc: Account, owner: str) -> None:
        if acc.party and acc.party not in party_ids:
            problems.append(
                ([*path, "party"], f"unknown party {acc.party!r}; known: {', '.join(sorted(party_ids))}")
            )
        if acc.person and acc.person not in person_ids:
            problems.append(([*path, "person"], f"unknown person {acc.person!r}"))
        key = (acc.platform.lower(), normalise_handle(acc.handle))
        if key in handles and handles[key] != owner:
            problems.append(
                (path, f"{acc.platform} account {acc.handle!r} is also listed for {handles[key]}")
            )
        handles[key] = owner

    for n, person in enumerate(registry.people):
        if person.party and person.party not in party_ids:
            problems.append(
                (
                    ["people", n, "party"],
                    f"unknown party {person.party!r}; known: {', '.join(sorted(party_ids))}",
                )
            )
        for m, acc in enumerate(person.accounts):
            check_account(["people", n, "accounts", m], acc, person.id)
    for n, acc in enumerate(registry.accounts):
        check_account(["accounts", n], acc, acc.party or acc.person or "?")
    return problems


def load_registry(path: Path | None) -> Registry:
    """Load a registry YAML file; ``None`` gives an empty registry.

    Raises :class:`~pantau.errors.ConfigError` listing every problem as ``file:line: where: what``.
    """
    from pantau.documents import DocumentProblem, describe_path, format_problems, line_of, load_document

    if path is None:
        return Registry()
    base = str(Path(path).resolve().parent)
    registry, node = load_document(
        Path(path), "registry", Registry, ConfigError, prepare=lambda raw: {**raw, "base_dir": base}
    )
    problems = registry_problems(registry)
    if problems:
        data = registry.model_dump()
        found = [
            DocumentProblem(line=line_of(node, p), where=describe_path(data, p), message=m)
            for p, m in problems
        ]
        raise ConfigError(format_problems(path, found))
    return registry
