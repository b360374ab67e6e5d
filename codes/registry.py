"""The registry of parties, candidates and officials, their accounts and compliance officers.

Rules, face matching and targeting read it. The YAML format (see ``codes/samples/registry.yaml``)::

    parties:
      - id: pbn
        name: Parti Bersatu Nusantara
        signatory: true
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
"""

from __future__ import annotations

import re
import unicodedata
from functools import cached_property
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pantau.errors import ConfigError

__all__ = ["Account", "Officer", "Party", "Person", "Registry", "load_registry", "normalise_handle"]


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

    platform: str
    handle: str
    party: str | None = None
    person: str | None = None
    kind: Literal["official", "affiliated", "personal"] = "official"


class Officer(_Model):
    """A party's compliance officer and how to reach them."""

    id: str
    name: str
    email: str | None = None
    phone: str | None = None
    channels: list[str] = Field(default_factory=list, description="Apprise URLs.")


class Party(_Model):
    """A political party; ``signatory`` when it signed the code of conduct."""

    id: str
    name: str
    short_name: str | None = None
    signatory: bool = True
    officers: list[Officer] = Field(default_factory=list)


class Person(_Model):
    """A candidate, official or other public figure in the registry."""

    id: str
    name: str
    variants: list[str] = Field(default_factory=list)
    gender: Literal["female", "male", "nonbinary", "unknown"] = "unknown"
    role: Literal["candidate", "official", "commissioner", "other"] = "candidate"
    party: str | None = None
    constituency: str | None = None
    photos: list[str] = Field(default_factory=list)
    accounts: list[Account] = Field(default_factory=list)
    consented_ai_depiction: bool = Field(False, description="Consented to AI-generated depictions of them.")

    def names(self) -> list[str]:
        """Return the name and its variants."""
        return [self.name, *self.variants]


class Registry(_Model):
    """Parties, people and accounts, with look-ups."""

    parties: list[Party] = Field(default_factory=list)
    people: list[Person] = Field(default_factory=list)
    accounts: list[Account] = Field(default_factory=list)
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
        """Return people named in ``text`` (name variants, accent- and case-insensitive) or by handle."""
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


def load_registry(path: Path | None) -> Registry:
    """Load a registry YAML file; ``None`` gives an empty registry."""
    if path is None:
        return Registry()
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read registry: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: registry must be a mapping")
    raw.setdefault("base_dir", str(Path(path).resolve().parent))
    try:
        return Registry.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{path}: invalid registry: {exc}") from exc
