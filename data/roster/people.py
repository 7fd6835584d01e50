"""People, not strings: matching what someone typed (or a calendar wrote) to the roster's
people (``roster.person``), by handle, e-mail or name.

Used by the console's person fields (a role, a participant, an owner, a handoff's
commanders: ``screens/dialogs.py``), by what marks a handle that is not in the roster, and
by the calendar import (``data/roster/calendar.py``). Pure: no I/O, no Textual. docs/roster.md
("People, not strings").
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

ME = "me"
#: how a handle that is not in the roster is marked where it is shown
NOT_LISTED = "not in the roster"


def fold(text: str) -> str:
    """For comparing names: case, accents and runs of spaces do not count
    (``"  Bernard  DÉSRUISSEAUX"`` and ``"bernard desruisseaux"`` are the same)."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


@dataclass(frozen=True)
class Person:
    handle: str
    name: str
    email: str | None = None


class People:
    """The roster's people, looked up by handle, name or e-mail. An empty roster knows
    nobody and checks nothing (:attr:`checks` is False): every handle is taken as given."""

    def __init__(self, people: Iterable[Person]) -> None:
        self.people = list(people)
        self._handles = {p.handle: p for p in self.people}
        self._folded_handles: dict[str, Person] = {}
        self._names: dict[str, list[Person]] = {}
        self._emails: dict[str, Person] = {}
        for p in self.people:
            self._folded_handles.setdefault(p.handle.casefold(), p)
            self._names.setdefault(fold(p.name), []).append(p)
            if p.email:
                self._emails.setdefault(p.email.strip().casefold(), p)

    @property
    def checks(self) -> bool:
        """Whether there is a roster to check handles against."""
        return bool(self.people)

    def __contains__(self, handle: object) -> bool:
        return handle in self._handles

    @classmethod
    def of_snapshot(cls, people: Iterable[tuple[str, str, str]]) -> People:
        """From ``Snapshot.people`` ((handle, name, tz) of each)."""
        return cls(Person(h, n) for h, n, _ in people)

    def knows(self, handle: str) -> bool:
        """In the roster, or no roster to check against."""
        return not self.checks or handle in self._handles

    def unlisted(self, handles: Iterable[str]) -> tuple[str, ...]:
        """Those of ``handles`` not in the roster (none when there is no roster), in order."""
        if not self.checks:
            return ()
        return tuple(dict.fromkeys(h for h in handles if h and h not in self._handles))

    def completions(self, me: str | None = None) -> list[str]:
        """What a person field completes from: ``me``, the handles, then the names."""
        out = [ME] if me else []
        out += sorted(self._handles)
        out += sorted({p.name for p in self.people if p.name and p.name not in self._handles})
        return out

    def by_handle(self, text: str) -> Person | None:
        """The person whose handle is ``text`` (an ``@`` before it, case, do not count)."""
        h = text.strip().removeprefix("@").strip()
        return self._handles.get(h) or self._folded_handles.get(h.casefold())

    def by_name(self, text: str) -> Person | None:
        """The one person called ``text`` (case, accents and spaces do not count; an ``@``
        before it neither); None if nobody, or several, are."""
        found = self._names.get(fold(text.strip().removeprefix("@")))
        return found[0] if found and len(found) == 1 else None

    def by_email(self, address: str) -> Person | None:
        """The person with this e-mail (their ``email``), else the one whose handle is the
        address's local part (``bernard@example.com`` is ``bernard``)."""
        address = re.sub(r"^mailto:", "", address.strip(), flags=re.IGNORECASE).strip()
        if "@" not in address:
            return None
        found = self._emails.get(address.casefold())
        if found is not None:
            return found
        local = address.split("@", 1)[0]
        return self._handles.get(local) or self._folded_handles.get(local.casefold())

    def find(self, text: str, me: str | None = None) -> str | None:
        """The handle ``text`` names: ``me`` (the console's actor), a handle (``@`` optional,
        any case), a name, or an e-mail; None if it names nobody in the roster."""
        t = text.strip()
        if me and t.casefold() == ME:
            return me
        for how in (self.by_handle, self.by_name, self.by_email):
            p = how(t)
            if p is not None:
                return p.handle
        return None

    def close_to(self, text: str, n: int = 3) -> list[str]:
        """Handles that look like ``text`` (for "did you mean"): by handle and by name."""
        t = text.strip().removeprefix("@")
        handles = difflib.get_close_matches(t.casefold(), list(self._folded_handles), n=n, cutoff=0.6)
        out = [self._folded_handles[h].handle for h in handles]
        names = difflib.get_close_matches(fold(t), list(self._names), n=n, cutoff=0.6)
        out += [p.handle for name in names for p in self._names[name]]
        return list(dict.fromkeys(out))[:n]
