"""The fact-check queue (commission and fact-checkers): check-worthy claims by party accounts, unmatched.

Each entry is a post by a party's account that ``disinfo.checkworthy`` found check-worthy and no
fact-check in the database matched (:mod:`detectors.disinfo.queue`), with the nearest fact-checks
the matcher saw. A fact-checker picks one, reads it and its nearest claims, and records a verdict:
false, misleading, mixed or true (a ClaimReview is written to Pantau's claims database, and a
re-share of the claim then matches it: DIS-1 when false or misleading), or "not a claim" (the
entry closes, nothing is written).

The verdict form is bound to the entry it was drawn for: its key carries the entry id and the
write happens in the submit button's callback with that id (never a selector's current value).
The store's update is conditional on the entry still waiting, so a double click or a second
fact-checker records nothing more and is told so. Party officers and journalists do not see the
queue (their scope hides it, and the page is not theirs): a claim under check is not a finding.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.context import Context
from dashboard.render import escape, plain_block
from dashboard.urlstate import bind, remember
from dashboard.views.decisions import acting_context, flash
from detectors.disinfo.queue import MAX_NOTE, rate_claim
from pantau.access import can_rate_claims
from pantau.stores.base import ClaimCheck

__all__ = ["VERDICTS", "check_label", "fact_check_page"]

VERDICTS = {
    "false": "False",
    "misleading": "Misleading",
    "mixed": "Mixed / partly true",
    "true": "True",
    "not_a_claim": "Not a checkable claim (close, no ClaimReview)",
}


def check_label(check: ClaimCheck) -> str:
    """How an entry is named in the selector and in messages: account and the start of the claim."""
    text = check.text if len(check.text) <= 60 else check.text[:57] + "..."
    return f"@{check.account or '?'}: {text}"


def _rate(check_id: str, form_key: str) -> None:
    """Callback of the verdict form: the entry id is the one the form was drawn for."""
    ctx = acting_context()
    if ctx is None or not can_rate_claims(ctx.user):
        return
    verdict = st.session_state.get(f"{form_key}-verdict")
    if verdict not in VERDICTS:
        flash("error", "Choose a verdict first; nothing was recorded.")
        return
    outcome = rate_claim(
        ctx.store,
        ctx.settings.data_dir / "claims",
        check_id,
        str(verdict),
        str(st.session_state.get(f"{form_key}-rating", "")),
        actor=ctx.user.username,
        claim=str(st.session_state.get(f"{form_key}-claim", "")),
        note=str(st.session_state.get(f"{form_key}-note", "")),
        scope=ctx.scope,
    )
    if outcome.result != "recorded" or outcome.check is None:
        flash("info" if outcome.result == "decided" else "error", escape(outcome.message.capitalize() + "."))
        return
    check = outcome.check
    ctx.audit("rate_claim", target=check.id, detail=f"{verdict}: {check.rating} {check.claim_id}".strip())
    if check.status == "rated":
        message = (
            f"Rated {check_label(check)} {check.rating} ({check.verdict}); ClaimReview "
            f"{check.claim_id} added to Pantau's fact-checks: re-shares of it now match."
        )
    else:
        message = f"Closed {check_label(check)} as not a checkable claim."
    flash("success", escape(message))


def _verdict_form(check: ClaimCheck) -> None:
    key = f"rate-{check.id}"
    with st.form(key):
        st.radio(
            f"Verdict on {check_label(check)}",
            list(VERDICTS),
            format_func=VERDICTS.get,
            index=None,
            key=f"{key}-verdict",
        )
        st.text_input("Rating as published ('False', 'Salah'...; default: the verdict)", key=f"{key}-rating")
        st.text_area(
            "The claim as checked (default: the post's text)", value=check.text[:2000], key=f"{key}-claim"
        )
        st.text_area("Explanation or link to the fact-check", key=f"{key}-note", max_chars=MAX_NOTE)
        st.form_submit_button("Record verdict", on_click=_rate, args=(check.id, key))


def fact_check_page(ctx: Context) -> None:
    """List the queue, pick an entry, see its nearest fact-checks, record a verdict."""
    if not can_rate_claims(ctx.user):  # not in this role's pages; never drawn for it either
        st.error("The fact-check queue is for the commission and fact-checkers.")
        return
    waiting = ctx.store.claim_checks(ctx.scope, status="waiting", limit=500)
    st.markdown(f"#### Fact-check queue · {len(waiting)} waiting")
    st.caption(
        "Check-worthy posts by party accounts that no fact-check in the database matches. "
        "Not incidents: nothing is breached until a claim is rated false or misleading and repeated."
    )
    if waiting:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "check-worthy": c.checkworthy,
                        "party": ctx.party_name(c.party),
                        "account": c.account,
                        "platform": c.platform,
                        "published": c.published_at,
                        "nearest match": c.best_match,
                        "text": c.text[:160],
                        "id": c.id[:8],
                    }
                    for c in waiting
                ]
            ),
            hide_index=True,
            width="stretch",
            height=260,
        )
        by_id = {c.id: c for c in waiting}
        bind("check-pick", "check", allowed=by_id)
        if st.session_state.get("check-pick") not in by_id:
            st.session_state["check-pick"] = next(iter(by_id))  # the one picked before was decided
        picked = st.selectbox(
            "Claim", list(by_id), format_func=lambda k: check_label(by_id[k]), key="check-pick"
        )
        remember("check", picked)
        check = by_id[picked]
        st.markdown(
            plain_block(
                f"<b>@{escape(check.account or '?')}</b> ({escape(ctx.party_name(check.party))}, "
                f"{escape(check.platform or '?')}) — {escape(check.text[:1000])}"
            ),
            unsafe_allow_html=True,
        )
        if check.url:
            st.caption(escape(f"Post: {check.url}"))
        st.markdown("##### Nearest fact-checks")
        if check.nearest:
            st.dataframe(
                pd.DataFrame(
                    [
                        {
                            "match": n.get("probability"),
                            "verdict": n.get("verdict"),
                            "claim": n.get("claim"),
                            "url": n.get("url"),
                        }
                        for n in check.nearest
                    ]
                ),
                hide_index=True,
                width="stretch",
            )
        else:
            st.caption("No fact-check in the database is near this claim.")
        _verdict_form(check)
    else:
        st.success("No claim waiting for a fact-check.")
    done = [c for c in ctx.store.claim_checks(ctx.scope, status=None, limit=500) if c.status != "waiting"]
    st.markdown(f"#### Decided · {len(done)}")
    if done:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "decided": c.decided_at,
                        "by": c.decided_by,
                        "verdict": c.verdict or "not a claim",
                        "rating": c.rating,
                        "account": c.account,
                        "claim": c.claim[:160],
                        "claim review": c.claim_id,
                    }
                    for c in sorted(done, key=lambda c: c.decided_at or c.created_at, reverse=True)
                ]
            ),
            hide_index=True,
            width="stretch",
        )
