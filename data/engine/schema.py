"""The store's tables: the projection of the journal (SQLAlchemy Core).

Everything here can be thrown away and rebuilt from the journal. Times are kept as the
journal gave them (RFC 3339 text) next to a UTC epoch where the console sorts or computes
durations with them.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

SCHEMA_VERSION = 11

metadata = MetaData()

# One row per line that became an event: applied (known type) or stored as unknown.
# The timeline of an incident is its applied events in journal order.
events = Table(
    "events",
    metadata,
    Column("seq", Integer, primary_key=True),  # the 1-based line number
    Column("id", String(64), nullable=False, unique=True),
    Column("ts", String, nullable=False),
    Column("actor", String, nullable=False),
    Column("type", String, nullable=False),
    Column("incident", String),
    Column("applied", Boolean, nullable=False),  # False: an unknown type, stored only
    Column("raw", LargeBinary, nullable=False),  # the line's bytes, byte-exact
)
Index("events_incident", events.c.incident, events.c.seq)

incidents = Table(
    "incidents",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("title", Text, nullable=False),
    Column("category", String, nullable=False),
    Column("severity", Integer, nullable=False),
    Column("source", String, nullable=False),
    Column("regions", Text, nullable=False),  # JSON list
    Column("summary", Text),
    Column("restricted", Boolean, nullable=False),
    Column("status", String, nullable=False),
    Column("roles", Text, nullable=False),  # JSON object: role -> person
    Column("detected_at", String),
    Column("opened_at", String, nullable=False),  # the opening event's ts
    Column("opened_by", String, nullable=False),
    Column("opened_seq", Integer, nullable=False),
    Column("acknowledged_at", String),
    Column("contained_at", String),
    Column("resolved_at", String),
    Column("closed_at", String),
    Column("updated_at", String, nullable=False),
    Column("last_seq", Integer, nullable=False),
    Column("events", Integer, nullable=False),  # applied events in its timeline
    Column("last_update_at", String),  # the last incident.action of kind stakeholder_update
    Column("acknowledged_severity", Integer),  # its severity when it was acknowledged
    Column("participants", Text, nullable=False),  # JSON list of handles (need-to-know)
)

Index("incidents_status", incidents.c.status)

role_history = Table(
    "role_history",
    metadata,
    Column("incident", String(32), primary_key=True),
    Column("role", String, primary_key=True),
    Column("start_seq", Integer, primary_key=True),
    Column("person", String, nullable=False),
    Column("start_ts", String, nullable=False),
    Column("start_actor", String, nullable=False),
    Column("end_seq", Integer),
    Column("end_ts", String),
    Column("end_actor", String),
)

checklist = Table(
    "checklist",
    metadata,
    Column("incident", String(32), primary_key=True),
    Column("item", String(32), primary_key=True),
    Column("text", Text, nullable=False),
    Column("team", String, nullable=False),
    Column("due", String),
    Column("basis", Text),
    Column("template", String),
    Column("state", String, nullable=False),
    Column("note", Text),
    Column("state_by", String),
    Column("state_at", String),
    Column("added_seq", Integer, nullable=False),
    Column("added_by", String, nullable=False),
    Column("added_at", String, nullable=False),
    # extension members of checklist.added (docs/sop.md): the template step, what started
    # its clock (trigger kind, when, its ref), whether it is a preservation hold, its calendar
    Column("step", String(32)),
    Column("trigger_kind", String),
    Column("trigger_at", String),
    Column("trigger_ref", Text),
    Column("hold", Boolean, nullable=False, default=False),
    Column("calendar", String),
)

checklist_history = Table(
    "checklist_history",
    metadata,
    Column("seq", Integer, primary_key=True),
    Column("incident", String(32), nullable=False),
    Column("item", String(32), nullable=False),
    Column("state", String, nullable=False),
    Column("note", Text),
    Column("actor", String, nullable=False),
    Column("ts", String, nullable=False),
)
Index("checklist_history_item", checklist_history.c.incident, checklist_history.c.item)

roster_people = Table(
    "roster_people",
    metadata,
    Column("handle", String, primary_key=True),
    Column("name", Text, nullable=False),
    Column("team", String, nullable=False),
    Column("region", String, nullable=False),
    Column("tz", String, nullable=False),
    Column("seq", Integer, nullable=False),
)

rotations = Table(
    "rotations",
    metadata,
    Column("rotation", String, primary_key=True),
    Column("team", String, nullable=False),
    Column("region", String, nullable=False),
    Column("tz", String, nullable=False),
    Column("days", Text, nullable=False),  # JSON list
    Column("start", String, nullable=False),
    Column("hours", Float, nullable=False),
    Column("members", Text, nullable=False),  # JSON list
    Column("anchor", String, nullable=False),
    Column("turn_days", Integer, nullable=False),
    Column("seq", Integer, nullable=False),
)

overrides = Table(
    "overrides",
    metadata,
    Column("seq", Integer, primary_key=True),
    Column("rotation", String, nullable=False),
    Column("person", String, nullable=False),
    Column("start", String, nullable=False),
    Column("end", String, nullable=False),
    Column("reason", Text),
    Column("actor", String, nullable=False),
    Column("ts", String, nullable=False),
)

handoffs = Table(
    "handoffs",
    metadata,
    Column("handoff", String, primary_key=True),
    Column("from_person", String),
    Column("to_person", String),
    Column("region", String),
    Column("notes", Text),
    Column("submitted_by", String),
    Column("submitted_at", String),
    Column("submitted_seq", Integer),
    Column("readback", Text),
    Column("acknowledged_by", String),
    Column("acknowledged_at", String),
    Column("acknowledged_seq", Integer),
)

# Post-mortems (docs/postmortem.md): the latest status, each section's latest text, the
# action items, the pins of timeline entries, and the meetings held.
postmortem_status = Table(
    "postmortem_status",
    metadata,
    Column("incident", String(32), primary_key=True),
    Column("status", String, nullable=False),
    Column("reason", Text),
    Column("actor", String, nullable=False),
    Column("ts", String, nullable=False),
    Column("seq", Integer, nullable=False),
)

postmortem_sections = Table(
    "postmortem_sections",
    metadata,
    Column("incident", String(32), primary_key=True),
    Column("section", String, primary_key=True),
    Column("text", Text, nullable=False),
    Column("actor", String, nullable=False),
    Column("ts", String, nullable=False),
    Column("seq", Integer, nullable=False),
)

postmortem_actions = Table(
    "postmortem_actions",
    metadata,
    Column("incident", String(32), primary_key=True),
    Column("action", String(32), primary_key=True),
    Column("kind", String, nullable=False),
    Column("text", Text, nullable=False),
    Column("owner", String, nullable=False),
    Column("due", String),
    Column("state", String, nullable=False),
    Column("note", Text),
    Column("state_by", String),
    Column("state_at", String),
    Column("added_seq", Integer, nullable=False),
    Column("added_by", String, nullable=False),
    Column("added_at", String, nullable=False),
)

postmortem_pins = Table(
    "postmortem_pins",
    metadata,
    Column("incident", String(32), primary_key=True),
    Column("event", String(64), primary_key=True),
    Column("pinned", Boolean, nullable=False),
    Column("actor", String, nullable=False),
    Column("ts", String, nullable=False),
    Column("seq", Integer, nullable=False),
)

postmortem_meetings = Table(
    "postmortem_meetings",
    metadata,
    Column("seq", Integer, primary_key=True),
    Column("incident", String(32), nullable=False),
    Column("at", String, nullable=False),
    Column("attendees", Text, nullable=False),  # JSON list
    Column("note", Text),
    Column("actor", String, nullable=False),
    Column("ts", String, nullable=False),
)
Index("postmortem_meetings_incident", postmortem_meetings.c.incident, postmortem_meetings.c.seq)

# Decisions (an extension, docs/decisions.md): one row per decision.recorded, never edited;
# superseded_by is the id of the later decision that supersedes it.
decisions = Table(
    "decisions",
    metadata,
    Column("incident", String(32), primary_key=True),
    Column("decision", String(32), primary_key=True),
    Column("text", Text, nullable=False),
    Column("options", Text, nullable=False),  # JSON list of strings
    Column("rationale", Text, nullable=False),
    Column("approvers", Text, nullable=False),  # JSON list of {"person", "role"}
    Column("basis", Text),
    Column("reversible", Boolean, nullable=False),
    Column("supersedes", String(32)),
    Column("superseded_by", String(32)),
    Column("seq", Integer, nullable=False),
    Column("event", String(64), nullable=False),
    Column("actor", String, nullable=False),
    Column("ts", String, nullable=False),
)
Index("decisions_incident", decisions.c.incident, decisions.c.seq)

# The audit trail of the privacy controls (an extension, docs/privacy.md): who revealed the
# identifiers of which entry and why, and which exports were written unmasked. No values.
audits = Table(
    "audits",
    metadata,
    Column("seq", Integer, primary_key=True),
    Column("id", String, nullable=False),  # the audit event's id
    Column("type", String, nullable=False),  # audit.reveal or audit.unmasked_export
    Column("actor", String, nullable=False),
    Column("ts", String, nullable=False),
    Column("incident", String(32)),
    Column("entry", String),  # audit.reveal: the event revealed
    Column("fields", Text),  # audit.reveal: JSON list of the incident's fields revealed
    Column("reason", Text),  # audit.reveal
    Column("kinds", Text),  # audit.reveal: JSON list of the kinds of identifiers
    Column("kind", String),  # audit.unmasked_export: what was exported
    Column("format", String),  # audit.unmasked_export
    Column("region", String),  # audit.unmasked_export (a handoff's)
)
Index("audits_incident", audits.c.incident, audits.c.seq)

# Written responses and the disclosure ledger (an extension, docs/disclosures.md): each
# response's latest draft, its review and its sending; one row per disclosure recorded.
responses = Table(
    "responses",
    metadata,
    Column("incident", String(32), primary_key=True),
    Column("response", String(32), primary_key=True),
    Column("template", String, nullable=False),
    Column("agency", String, nullable=False),
    Column("agency_type", String, nullable=False),
    Column("country", String, nullable=False),
    Column("channel", String, nullable=False),
    Column("text", Text, nullable=False),
    Column("drafted_by", String, nullable=False),
    Column("drafted_at", String, nullable=False),
    Column("drafted_seq", Integer, nullable=False),
    Column("drafts", Integer, nullable=False),
    Column("verdict", String),
    Column("reviewed_by", String),
    Column("reviewed_at", String),
    Column("review_note", Text),
    Column("approved", Boolean, nullable=False),
    Column("sent_sha256", String),
    Column("sent_channel", String),
    Column("sent_by", String),
    Column("sent_at", String),
    Column("sent_seq", Integer),
)

disclosures = Table(
    "disclosures",
    metadata,
    Column("seq", Integer, primary_key=True),
    Column("id", String, nullable=False),  # the event's id
    Column("incident", String(32), nullable=False),
    Column("categories", Text, nullable=False),  # JSON list
    Column("account", String, nullable=False),
    Column("agency", String, nullable=False),
    Column("agency_type", String, nullable=False),
    Column("country", String, nullable=False),
    Column("basis", Text, nullable=False),
    Column("approved_by", Text, nullable=False),  # JSON list
    Column("response", String),
    Column("actor", String, nullable=False),
    Column("ts", String, nullable=False),
)
Index("disclosures_incident", disclosures.c.incident, disclosures.c.seq)

# Signals (an extension, docs/intake.md): one row per signal.received, with what triage
# did with it (the latest signal.triaged); a repeat (same channel and ref as an earlier
# signal) names the first in repeat_of, and the first counts its repeats.
signals = Table(
    "signals",
    metadata,
    Column("signal", String(32), primary_key=True),
    Column("channel", String, nullable=False),
    Column("ref", String),
    Column("received_at", String, nullable=False),
    Column("title", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("body_truncated", Boolean, nullable=False),
    Column("reporter", String),
    Column("accounts", Text, nullable=False),  # JSON list of strings
    Column("urls", Text, nullable=False),  # JSON list of strings
    Column("attachments", Text, nullable=False),  # JSON list of {"name", "type", "size"}
    Column("raw_type", String, nullable=False),
    Column("raw_size", Integer, nullable=False),
    Column("raw_sha256", String, nullable=False),
    Column("raw_parts", Integer, nullable=False),
    Column("repeat_of", String(32)),
    Column("repeats", Integer, nullable=False),
    Column("last_received_at", String, nullable=False),
    Column("status", String, nullable=False),  # untriaged, repeat, or the latest outcome
    Column("incident", String(32)),
    Column("duplicate_of", String(32)),
    Column("reason", Text),
    Column("until", String),
    Column("triaged_by", String),
    Column("triaged_at", String),
    Column("first_triaged_at", String),
    Column("seq", Integer, nullable=False),
    Column("event", String(64), nullable=False),
    Column("actor", String, nullable=False),
    Column("ts", String, nullable=False),
    Column("triaged_seq", Integer),  # the line of the latest signal.triaged (a timeline entry's place)
)
Index("signals_ref", signals.c.channel, signals.c.ref)
Index("signals_status", signals.c.status, signals.c.received_at)
Index("signals_incident", signals.c.incident)

# A signal's payload, base64, in order: part 0 is the signal.received line's own ``raw``.
signal_parts = Table(
    "signal_parts",
    metadata,
    Column("signal", String(32), primary_key=True),
    Column("part", Integer, primary_key=True),
    Column("data", Text, nullable=False),
    Column("seq", Integer, nullable=False),
)

# Linked incidents (an extension, docs/links.md): the current link between each pair of
# incidents (``low`` < ``high``), as the latest ``incident.linked`` between them wrote it (on
# ``incident``, about ``other``); ``unlinked`` removes the row.
incident_links = Table(
    "incident_links",
    metadata,
    Column("low", String(32), primary_key=True),
    Column("high", String(32), primary_key=True),
    Column("incident", String(32), nullable=False),
    Column("other", String(32), nullable=False),
    Column("kind", String, nullable=False),
    Column("note", Text),
    Column("actor", String, nullable=False),
    Column("ts", String, nullable=False),
    Column("seq", Integer, nullable=False),
)
Index("incident_links_high", incident_links.c.high)

quarantine = Table(
    "quarantine",
    metadata,
    Column("line", Integer, primary_key=True),
    Column("offset", BigInteger, nullable=False),
    Column("size", Integer, nullable=False),  # the line's full length in bytes
    Column("reason", Text, nullable=False),
    Column("raw", LargeBinary, nullable=False),  # up to the line-size limit
)

chain_breaks = Table(
    "chain_breaks",
    metadata,
    Column("line", Integer, primary_key=True),
    Column("reason", Text, nullable=False),
)

# Running totals since the last rebuild: lines, applied, unknown, duplicates, quarantined,
# chain_breaks.
counters = Table(
    "counters",
    metadata,
    Column("name", String, primary_key=True),
    Column("value", Integer, nullable=False),
)

# One row: where the projection stands in the journal. Written in the same transaction as
# the rows it accounts for.
checkpoint = Table(
    "checkpoint",
    metadata,
    Column("one", Integer, primary_key=True),  # always 1
    Column("offset", BigInteger, nullable=False),
    Column("line", Integer, nullable=False),
    Column("identity", String, nullable=False),
    Column("last_hash", String),
    Column("last_start", BigInteger, nullable=False),
    Column("journal", Text, nullable=False),
    Column("synced_at", Float),  # wall clock of the last sync that read to the end
    Column("rebuilt_at", Float),
    Column("rebuild_reason", Text),
)

meta = Table(
    "meta",
    metadata,
    Column("key", String, primary_key=True),
    Column("value", Text, nullable=False),
)

#: the tables that hold projected state, in the order the digest reads them, with the
#: columns that make up their identity (sort order)
PROJECTED: tuple[tuple[Table, tuple[str, ...]], ...] = (
    (events, ("seq",)),
    (incidents, ("id",)),
    (role_history, ("incident", "role", "start_seq")),
    (checklist, ("incident", "item")),
    (checklist_history, ("seq",)),
    (roster_people, ("handle",)),
    (rotations, ("rotation",)),
    (overrides, ("seq",)),
    (handoffs, ("handoff",)),
    (postmortem_status, ("incident",)),
    (postmortem_sections, ("incident", "section")),
    (postmortem_actions, ("incident", "action")),
    (postmortem_pins, ("incident", "event")),
    (postmortem_meetings, ("seq",)),
    (decisions, ("incident", "decision")),
    (audits, ("seq",)),
    (responses, ("incident", "response")),
    (disclosures, ("seq",)),
    (incident_links, ("low", "high")),
    (signals, ("signal",)),
    (signal_parts, ("signal", "part")),
    (quarantine, ("line",)),
    (chain_breaks, ("line",)),
    (counters, ("name",)),
)
