"""Money and time as the crash runner models them: integer cents, integer UTC microseconds.

The limits mirror ledger/limits.hpp; the text forms are the ones tallyd answers (`parse_server_ts`) and the ones this
runner sends (naive UTC, Z, or a +HH:MM offset: `format_client_ts`, `parse_client_ts`).
"""
from __future__ import annotations

import datetime as dt
import re

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
Y2023_START = 1672531200 * 1_000_000  # 2023-01-01T00:00:00Z in microseconds
Y2023_END = 1704067200 * 1_000_000    # 2024-01-01T00:00:00Z
# ledger/limits.hpp: timestamps 0001-01-01T00:00:00Z..9999-12-31T23:59:59.999999Z (and at most 5 minutes ahead of
# the server clock), amounts 0.01..10^13 units (10^15 cents), every balance within 0..10^15 units (10^17 cents).
UTC_MIN = -62_135_596_800 * 1_000_000
AMOUNT_MAX = 10 ** 15
BALANCE_MAX = 10 ** 17
OFFSET_MINUTES_MAX = 14 * 60  # UTC offsets sent: -14:00..+14:00


def cents_text(c: int) -> str:
    return f"{c // 100}.{c % 100:02d}"


def text_cents(text) -> int | None:
    if not isinstance(text, str):
        return None
    m = re.fullmatch(r"(\d+)\.(\d\d)", text)
    return int(m.group(1)) * 100 + int(m.group(2)) if m else None


def micros_of(t: dt.datetime) -> int:
    d = t - EPOCH
    return (d.days * 86400 + d.seconds) * 1_000_000 + d.microseconds


def from_micros(us: int) -> dt.datetime:
    return EPOCH + dt.timedelta(microseconds=us)


def parse_server_ts(text) -> int | None:
    """The server's form: YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z (UTC). Returns microseconds or None if malformed."""
    if not isinstance(text, str):
        return None
    m = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z", text)
    if not m:
        return None
    try:
        base = dt.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S").replace(tzinfo=dt.timezone.utc)
    except ValueError:
        return None
    frac = (m.group(2) or "").ljust(6, "0")[:6]
    return micros_of(base) + int(frac or 0)


def parse_client_ts(text: str) -> int:
    """The forms this runner sends: naive UTC, or with Z, or with a +HH:MM offset."""
    t = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.timezone.utc)
    return micros_of(t.astimezone(dt.timezone.utc))


def format_client_ts(us: int, style: int, offset_minutes: int = 180) -> str:
    """The instant us as naive UTC (0), with Z (1) or in local time at a UTC offset (2; naive UTC instead if the
    local date would leave years 1..9999, which 4-digit years cannot write)."""
    t = from_micros(us)
    if style == 1:
        return t.replace(tzinfo=None).isoformat() + "Z"
    if style == 2:
        try:
            return t.astimezone(dt.timezone(dt.timedelta(minutes=offset_minutes))).isoformat()
        except OverflowError:
            pass
    return t.replace(tzinfo=None).isoformat()


def now_micros() -> int:
    return micros_of(dt.datetime.now(dt.timezone.utc))


def signed(body: dict) -> int:
    c = text_cents(body["amount"])
    return c if body["type"] == "DEPOSIT" else -c
