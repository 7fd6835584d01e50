"""Readable one-line text for a timeline entry (pure; the text is still untrusted)."""

from __future__ import annotations

from datetime import UTC
from typing import Any

_ROLE_NAMES = {
    "commander": "incident commander",
    "deputy": "deputy",
    "scribe": "scribe",
    "comms": "comms lead",
    "legal": "legal lead",
    "le_response": "law-enforcement response lead",
    "liaison": "liaison",
}

#: what an incident is to the other of a link, in words (docs/links.md); the other side
#: reads the inverse (:data:`INVERSE`)
LINK_WORDS = {
    "related": "related to",
    "parent": "parent of",
    "child": "child of",
    "duplicate_of": "duplicate of",
    "duplicated_by": "duplicated by",
}


def _s(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def _reason(data: dict[str, Any]) -> str:
    reason = data.get("reason")
    return f": {_s(reason)}" if reason else ""


def _when(value: Any) -> str:
    """A time as ``21 Nov 23:01Z`` (the journal keeps it exact)."""
    from data.engine.models import parse_rfc3339

    try:
        t = parse_rfc3339(value).astimezone(UTC)
    except (TypeError, ValueError):
        return _s(value)
    return t.strftime("%d %b %H:%MZ")


def describe(event_type: str, data: dict[str, Any]) -> str:
    """One line of text saying what an event did, from its type and ``data``."""
    d = data
    if event_type == "incident.opened":
        regions = ", ".join(_s(r) for r in d.get("regions", []))
        restricted = " (restricted)" if d.get("restricted") else ""
        return (
            f"Opened S{d.get('severity')} {_s(d.get('category'))} incident{restricted} "
            f"from {_s(d.get('source'))} [{regions}]: {_s(d.get('title'))}"
        )
    if event_type == "incident.updated":
        parts = []
        for name in ("title", "category", "source", "regions", "restricted", "summary"):
            if name in d:
                value = d[name]
                if name == "regions" and isinstance(value, list):
                    value = ", ".join(_s(r) for r in value)
                if name == "summary":
                    parts.append("summary changed" if value else "summary cleared")
                else:
                    parts.append(f"{name} → {_s(value)}")
        return "Updated " + ("; ".join(parts) if parts else "nothing")
    if event_type == "incident.severity_set":
        return f"Severity set to S{d.get('severity')}{_reason(d)}"
    if event_type == "incident.status_set":
        return f"Status set to {_s(d.get('status'))}{_reason(d)}"
    if event_type == "incident.role_set":
        role = _ROLE_NAMES.get(_s(d.get("role")), _s(d.get("role")))
        person = d.get("person")
        if person is None:
            return f"Cleared the {role} role"
        return f"{_s(person)} is {role}"
    if event_type == "incident.participant_added":
        return f"{_s(d.get('person'))} added as a participant{_reason(d)}"
    if event_type == "incident.participant_removed":
        return f"{_s(d.get('person'))} removed as a participant{_reason(d)}"
    if event_type == "incident.linked":
        note = f": {_s(d['note'])}" if d.get("note") else ""
        kind = d.get("kind")
        if kind == "unlinked":
            return f"Link to {_s(d.get('other'))} removed{note}"
        return f"Linked: {LINK_WORDS.get(_s(kind), _s(kind))} {_s(d.get('other'))}{note}"
    if event_type == "incident.note":
        return _s(d.get("text", ""))
    if event_type == "incident.action":
        ref = f" (ref {_s(d['ref'])})" if d.get("ref") else ""
        from data.engine.models import REGIMES, TRIGGER_KINDS

        if d.get("kind") in TRIGGER_KINDS:  # a trigger: it starts legal clocks (docs/sop.md)
            regime = f" under {_s(d['regime'])}" if d.get("regime") in REGIMES else ""
            at = f" at {_when(d['at'])}" if isinstance(d.get("at"), str) else ""
            return f"⏱ {_s(d.get('kind'))}{regime}{at}: {_s(d.get('text'))}{ref}"
        return f"Action {_s(d.get('kind'))}: {_s(d.get('text'))}{ref}"
    if event_type == "checklist.added":
        due = (
            f", {'held until' if d.get('hold') is True else 'due'} {_when(d['due'])}" if d.get("due") else ""
        )
        basis = f" [{_s(d['basis'])}]" if d.get("basis") else ""
        return f"Checklist + {_s(d.get('item'))} ({_s(d.get('team'))}{due}): {_s(d.get('text'))}{basis}"
    if event_type == "checklist.retimed":
        return f"Checklist {_s(d.get('item'))} now due {_when(d.get('due'))}: {_s(d.get('reason'))}"
    if event_type == "checklist.set":
        note = f": {_s(d['note'])}" if d.get("note") else ""
        return f"Checklist {_s(d.get('item'))} → {_s(d.get('state'))}{note}"
    if event_type == "roster.person":
        return f"Roster: {_s(d.get('handle'))} ({_s(d.get('name'))}, {_s(d.get('team'))}, {_s(d.get('tz'))})"
    if event_type == "roster.rotation":
        return f"Rotation {_s(d.get('rotation'))} set for {_s(d.get('region'))}"
    if event_type == "roster.override":
        return f"Override on {_s(d.get('rotation'))}: {_s(d.get('person'))} {_s(d.get('start'))} to {_s(d.get('end'))}"
    if event_type == "handoff.submitted":
        return f"Handoff {_s(d.get('handoff'))} from {_s(d.get('from'))} to {_s(d.get('to'))}"
    if event_type == "handoff.acknowledged":
        return f"Handoff {_s(d.get('handoff'))} acknowledged: {_s(d.get('readback'))}"
    if event_type.startswith("postmortem."):
        return _postmortem(event_type, d)
    if event_type == "decision.recorded":
        return _decision(d)
    if event_type == "page.sent":
        who = _s(d["person"]) if d.get("person") else "nobody on call"
        again = f", repeat {_s(d['repeat'])}" if d.get("repeat") else ""
        return (
            f"Paged {who} on {_s(d.get('channel'))} (step {_s(d.get('step'))}{again}: {_s(d.get('notify'))})"
        )
    if event_type == "page.delivered":
        if d.get("ok") is True:
            return f"Page {_s(d.get('page'))} delivered"
        return f"Page {_s(d.get('page'))} not delivered: {_s(d.get('error'))}"
    if event_type == "response.drafted":
        return (
            f"Response {_s(d.get('response'))} drafted ({_s(d.get('template'))}) for {_s(d.get('agency'))} "
            f"[{_s(d.get('agency_type'))}, {_s(d.get('country'))}] by {_s(d.get('channel'))}"
        )
    if event_type == "response.reviewed":
        note = f": {_s(d['note'])}" if d.get("note") else ""
        verdict = _s(d.get("verdict", "")).replace("_", " ")
        return f"Response {_s(d.get('response'))} reviewed by {_s(d.get('reviewer'))}: {verdict}{note}"
    if event_type == "response.sent":
        digest = _s(d.get("sha256", ""))[:12]
        return f"Response {_s(d.get('response'))} sent by {_s(d.get('channel'))} (sha256 {digest}…)"
    if event_type == "disclosure.recorded":
        from data.privacy.mask import MASK

        account = _s(d.get("account", ""))[:1] + MASK  # never the account whole (docs/disclosures.md)
        return (
            f"Disclosure of {_list(d.get('categories'))} about account {account} to {_s(d.get('agency'))} "
            f"[{_s(d.get('agency_type'))}, {_s(d.get('country'))}] under {_s(d.get('basis'))}; "
            f"approved by {_list(d.get('approved_by'))}"
        )
    if event_type.startswith("signal."):
        return _signal(event_type, d)
    if event_type == "audit.reveal":
        what = f"entry {_s(d['entry'])}" if d.get("entry") else _list(d.get("fields")) or "an entry"
        kinds = _list(d.get("kinds"))
        return (
            f"Revealed the masked identifiers ({kinds}) of {what}{_reason(d)}"
            if kinds
            else (f"Revealed the masked identifiers of {what}{_reason(d)}")
        )
    if event_type == "audit.unmasked_export":
        scope = f" of {_s(d['incident'])}" if d.get("incident") else ""
        region = f" for {_s(d['region'])}" if d.get("region") else ""
        return (
            f"Exported {_s(d.get('kind'))}{scope}{region} as {_s(d.get('format'))} with identifiers unmasked"
        )
    return unknown(event_type)


def unknown(event_type: str) -> str:
    """The text of a type this version does not know (written by a newer console)."""
    return f"{event_type} (a type this version does not know)"


def _list(value: Any) -> str:
    return ", ".join(_s(v) for v in value) if isinstance(value, list) else ""


def _postmortem(event_type: str, d: dict[str, Any]) -> str:
    kind = event_type.removeprefix("postmortem.")
    if kind == "section_set":
        section = _s(d.get("section", "")).replace("_", " ")
        return f"Post-mortem {section} {'cleared' if not d.get('text') else 'edited'}"
    if kind == "status_set":
        return f"Post-mortem status set to {_s(d.get('status', '')).replace('_', ' ')}{_reason(d)}"
    if kind == "action_added":
        due = f", due {_when(d['due'])}" if d.get("due") else ""
        return (
            f"Post-mortem action + {_s(d.get('action'))} ({_s(d.get('kind'))}, {_s(d.get('owner'))}{due}): "
            f"{_s(d.get('text'))}"
        )
    if kind == "action_set":
        note = f": {_s(d['note'])}" if d.get("note") else ""
        return f"Post-mortem action {_s(d.get('action'))} → {_s(d.get('state'))}{note}"
    if kind == "pin_set":
        return f"Post-mortem: {'pinned' if d.get('pinned') else 'unpinned'} event {_s(d.get('event'))}"
    if kind == "meeting":
        people = d.get("attendees") or []
        who = f" with {', '.join(_s(p) for p in people)}" if isinstance(people, list) and people else ""
        note = f": {_s(d['note'])}" if d.get("note") else ""
        return f"Post-mortem meeting held {_when(d.get('at'))}{who}{note}"
    return unknown(event_type)


def _decision(d: dict[str, Any]) -> str:
    """``decision.recorded`` (docs/decisions.md): the decision, who approved it in what
    role, its legal basis, whether it can be reversed, what it supersedes."""
    people = d.get("approvers")
    approved = ", ".join(
        f"{_s(a.get('person'))} ({_s(a.get('role'))})" for a in people if isinstance(a, dict)
    ) if isinstance(people, list) else ""  # fmt: skip
    parts = [f"approved by {approved}"] if approved else []
    if d.get("basis"):
        parts.append(f"basis {_s(d['basis'])}")
    parts.append("reversible" if d.get("reversible") else "irreversible")
    if d.get("supersedes"):
        parts.append(f"supersedes {_s(d['supersedes'])}")
    return f"Decision {_s(d.get('decision'))}: {_s(d.get('text'))} ({'; '.join(parts)})"


_OUTCOMES = {
    "promoted": "promoted to incident {incident}",
    "attached": "attached to incident {incident}",
    "duplicate": "marked a duplicate of {duplicate_of}",
    "dismissed": "dismissed",
    "snoozed": "snoozed until {until}",
    "reopened": "back to triage",
}


def _signal(event_type: str, d: dict[str, Any]) -> str:
    sid = _s(d.get("signal"))
    if event_type == "signal.received":
        ref = f" (ref {_s(d['ref'])})" if d.get("ref") else ""
        return f"Signal {sid} received from {_s(d.get('channel'))}{ref}: {_s(d.get('title'))}"
    if event_type == "signal.payload":
        return f"Signal {sid}: payload part {_s(d.get('part'))}"
    if event_type == "signal.triaged":
        outcome = _s(d.get("outcome"))
        shown = {k: _when(v) if k == "until" else _s(v) for k, v in d.items()}
        try:
            what = _OUTCOMES[outcome].format_map(shown)
        except (KeyError, ValueError):
            what = outcome
        return f"Signal {sid} {what}{_reason(d)}"
    return unknown(event_type)
