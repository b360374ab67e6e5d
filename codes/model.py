"""The code-of-conduct format as pydantic models: a code, its clauses, their examples and whom to alert.

The JSON Schema ``codes/schema/code.schema.json`` is generated from these (:mod:`codes.validation`);
:class:`codes.engine.CodeEngine` loads and compiles them.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pantau.schemas import Family, Severity

__all__ = ["Clause", "Code", "Example", "OnBreach"]


class Example(BaseModel):
    """A worked example written in the code: facts in, breach expected or not."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="What the example shows, e.g. 'deepfake of a candidate'.")
    breach: bool = Field(description="Whether the clause must fire on this example.")
    item: dict[str, Any] = Field(default_factory=dict, description="Item facts (merged over an empty item).")
    signals: dict[str, dict[str, Any]] = Field(default_factory=dict)
    calendar: dict[str, Any] = Field(default_factory=dict)


class OnBreach(BaseModel):
    """What to do when the clause fires."""

    model_config = ConfigDict(extra="forbid")

    notify: list[Literal["commission", "party_officer"]] = Field(
        default_factory=lambda: ["commission"],
        description="Who is alerted: commission, party_officer (the officer of the signatory party that "
        "posted "
        "it; content by others goes to the commission only).",
    )
    deadline_hours: float | None = Field(
        None, description="Hours the party has to answer or take the content down."
    )


class Clause(BaseModel):
    """One clause of a code: as signed, with its rule."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(
        description="Clause id cited in breaches, e.g. GBV-1. Never reuse an id for another meaning."
    )
    title: str = Field(description="One line saying what the clause forbids.")
    text: str = Field(description="The clause as signed.")
    family: Family = Field(description="The harm: synthetic, disinfo, gbv, campaign or meta.")
    severity: Severity = Field(description="low, medium, high or critical.")
    applies_to: Literal["signatories", "anyone"] = Field(
        "signatories",
        description="signatories: only content from signatory parties' accounts is a breach of the code; "
        "anyone: any content is an incident for the commission (e.g. abuse aimed at a candidate).",
    )
    rule: str = Field(
        description="CEL expression over item, signals and calendar that is true on a breach, e.g. "
        'signals["gbv.threat"].score >= 0.7. See docs/codes.md for the facts it can read.'
    )
    on_breach: OnBreach = Field(default_factory=OnBreach)
    examples: list[Example] = Field(
        default_factory=list,
        description="Positive (breach: true) and negative examples; `pantau codes test` runs them.",
    )


class Code(BaseModel):
    """A code of conduct: metadata and clauses."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="Code id cited in breaches, e.g. pantau-model-code.")
    title: str
    version: str = Field(
        description='Version, quoted ("1.1"). Raise it whenever a clause or rule changes: breaches cite it.'
    )
    jurisdiction: str = Field("", description="Jurisdiction whose election calendar applies by default.")
    effective_from: date | None = Field(None, description="First day the code is in force, YYYY-MM-DD.")
    effective_until: date | None = Field(None, description="Last day the code is in force, YYYY-MM-DD.")
    signatories: list[str] = Field(
        default_factory=list, description="Party ids; empty = the registry's signatories."
    )
    clauses: list[Clause] = Field(min_length=1)

    @model_validator(mode="after")
    def _dates_in_order(self) -> Code:
        if self.effective_from and self.effective_until and self.effective_until < self.effective_from:
            raise ValueError(
                f"effective_until ({self.effective_until}) is before effective_from ({self.effective_from})"
            )
        return self
