"""Time and money helpers of the black-box tests (the test-side model: integer cents, integer microseconds, UTC);
tallylib re-exports them.
"""
from __future__ import annotations

import datetime as dt

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def iso(t: dt.datetime) -> str:
    """Naive-UTC ISO text the way a client would send it."""
    t = t.astimezone(dt.timezone.utc) if t.tzinfo else t
    return t.replace(tzinfo=None).isoformat()


def norm_iso(t: dt.datetime) -> str:
    """The normalized form the server must answer with."""
    if t.tzinfo:
        t = t.astimezone(dt.timezone.utc).replace(tzinfo=None)
    # Not strftime: glibc's %Y does not pad years before 1000 to four digits.
    text = f"{t.year:04d}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:{t.second:02d}"
    return text + (f".{t.microsecond:06d}Z" if t.microsecond else "Z")


def parse_norm_iso(text: str) -> dt.datetime:
    """Parses the server's normalized form strictly (and so checks it)."""
    fmt = "%Y-%m-%dT%H:%M:%S.%fZ" if "." in text else "%Y-%m-%dT%H:%M:%SZ"
    parsed = dt.datetime.strptime(text, fmt).replace(tzinfo=dt.timezone.utc)
    assert norm_iso(parsed) == text, f"timestamp {text!r} is not in the normalized form"
    return parsed


def micros(t: dt.datetime) -> int:
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.timezone.utc)
    d = t - EPOCH
    return (d.days * 86400 + d.seconds) * 1_000_000 + d.microseconds


def from_micros(us: int) -> dt.datetime:
    return EPOCH + dt.timedelta(microseconds=us)


def cents_text(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def text_cents(text: str) -> int:
    assert isinstance(text, str), f"money must be a string, got {text!r}"
    units, _, frac = text.partition(".")
    assert len(frac) == 2 and units.lstrip("-").isdigit() and frac.isdigit(), f"bad money text {text!r}"
    value = int(units.lstrip("-")) * 100 + int(frac)
    return -value if units.startswith("-") else value
