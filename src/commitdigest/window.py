"""Report windows: calendar days in a time zone, turned into half-open instant ranges.

A day is ``[00:00, next day 00:00)`` in the report's zone, so a commit at 00:00:00 belongs to
that day and one at 24:00:00 to the next. Days are built with zoneinfo, so a DST day is 23 or 25
hours long. Commits carry their own UTC offsets; comparisons are between aware instants.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from commitdigest.errors import InputError
from commitdigest.models import Window

_OFFSET_RE = re.compile(r"^(?:UTC|GMT)?([+-])(\d{1,2}):?(\d{2})?$", re.IGNORECASE)


class Zone:
    """A time zone and the name the report prints for it."""

    def __init__(self, tz: tzinfo, name: str):
        self.tz = tz
        self.name = name

    def __repr__(self) -> str:
        return f"Zone({self.name})"


def local_zone() -> Zone:
    """The machine's zone by IANA name (so DST is right on every day), UTC if unknown."""
    try:
        import tzlocal

        name = tzlocal.get_localzone_name()
        if name:
            return Zone(ZoneInfo(name), name)
    except Exception:  # an unusual /etc/localtime is not worth failing a report over
        pass
    return Zone(UTC, "UTC")


def parse_zone(value: str | None) -> Zone:
    """``None`` → local zone; ``+08:00`` / ``-0530`` / ``UTC`` → fixed offset; else IANA name."""
    if value is None or value.strip() == "":
        return local_zone()
    text = value.strip()
    if text.upper() in ("UTC", "Z", "GMT"):
        return Zone(UTC, "UTC")
    m = _OFFSET_RE.match(text)
    if m:
        sign, hours, minutes = m.group(1), int(m.group(2)), int(m.group(3) or 0)
        if hours > 14 or minutes >= 60:
            raise InputError(f"invalid time zone offset '{value}': use ±HH:MM between -14:00 and +14:00")
        delta = timedelta(hours=hours, minutes=minutes)
        if sign == "-":
            delta = -delta
        name = f"{sign}{hours:02d}:{minutes:02d}"
        return Zone(timezone(delta), name)
    try:
        if len(text) > 64:  # the longest IANA name has 32 characters; the OS refuses long file names
            raise ValueError(text)
        return Zone(ZoneInfo(text), text)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        shown = text if len(text) <= 64 else f"{text[:40]}… ({len(text)} characters)"
        raise InputError(
            f"unknown time zone '{shown}': use an IANA name such as Asia/Shanghai or an offset such as +08:00"
        ) from None


def parse_day(value: str, zone: Zone, now: datetime | None = None) -> date:
    """``YYYY-MM-DD``, ``today``, ``yesterday`` or ``Nd`` (N days ago), today as seen in the
    report's zone."""
    text = value.strip().lower()
    current = (now or datetime.now(UTC)).astimezone(zone.tz).date()
    if text == "today":
        return current
    if text == "yesterday":
        return current - timedelta(days=1)
    if re.fullmatch(r"\d{1,4}d", text):
        return current - timedelta(days=int(text[:-1]))
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise InputError(f"invalid date '{value}': use YYYY-MM-DD, today, yesterday or Nd (N days ago)")
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise InputError(f"invalid date '{value}': no such day") from None
    # A day's window reaches into its neighbours in other zones; at the ends of the calendar
    # Python has no neighbour to give. No git history lies that far out anyway.
    if not FIRST_DAY <= day <= LAST_DAY:
        raise InputError(f"invalid date '{value}': use a day between {FIRST_DAY} and {LAST_DAY}")
    return day


FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(9998, 12, 31)


def check_not_future(day: date, zone: Zone, option: str, now: datetime | None = None) -> None:
    """A day after today in the report's zone is almost always a typo in the year: say so,
    rather than write an empty report that looks like a quiet day."""
    today = parse_day("today", zone, now)
    if day > today:
        raise InputError(f"{option} {day.isoformat()} is after today ({today.isoformat()} in {zone.name}): "
                         "check the year, or pass --allow-future")


def midnight(day: date, zone: Zone) -> datetime:
    local = datetime(day.year, day.month, day.day, tzinfo=zone.tz)
    # Pin the offset in force at that instant: Python compares and subtracts two datetimes that
    # share a ZoneInfo by wall clock, which would make a DST day 24 hours long.
    return local.astimezone(timezone(local.utcoffset() or timedelta()))


def make_window(since: date, until: date, zone: Zone) -> Window:
    """The inclusive days ``since..until`` as ``[since 00:00, until+1 00:00)`` in ``zone``."""
    if since > until:
        raise InputError(f"--since {since.isoformat()} is after --until {until.isoformat()}")
    try:
        return Window(start=midnight(since, zone), end=midnight(until + timedelta(days=1), zone))
    except (OverflowError, ValueError):
        raise InputError(f"{since.isoformat()}..{until.isoformat()}: out of the range of dates this tool "
                         f"handles ({FIRST_DAY} to {LAST_DAY})") from None


def contains(window: Window, instant: datetime) -> bool:
    return window.start <= instant < window.end
