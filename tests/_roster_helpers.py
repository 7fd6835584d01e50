"""A roster with a gap a day, for the tests of how gaps are shown (the demo's roster,
data/sample.py, has none): New York, London and Sydney each on call 09:00-18:00 local
every day, one member a week. Nobody is on call between Sydney's 18:00 and London's 09:00
in the northern winter (07:00-09:00 UTC)."""

from __future__ import annotations

from typing import Any

GAPPY_ROTATIONS: list[dict[str, Any]] = [
    {
        "rotation": "us-ic", "team": "emergency_response", "region": "US", "tz": "America/New_York",
        "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": "09:00", "hours": 9,
        "members": ["amara", "eli", "jonah"], "anchor": "2026-01-06", "turn_days": 7,
    },
    {
        "rotation": "uk-ic", "team": "emergency_response", "region": "UK", "tz": "Europe/London",
        "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": "09:00", "hours": 9,
        "members": ["hugo", "dana", "fatima"], "anchor": "2026-01-05", "turn_days": 7,
    },
    {
        "rotation": "au-ic", "team": "emergency_response", "region": "AU", "tz": "Australia/Sydney",
        "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": "09:00", "hours": 9,
        "members": ["isla", "chen", "grace"], "anchor": "2026-01-04", "turn_days": 7,
    },
]  # fmt: skip
