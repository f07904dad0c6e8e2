"""Parsing days and zones, and the instant ranges they make."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from commitdigest.errors import InputError
from commitdigest.window import make_window, parse_day, parse_zone

NOW = datetime(2026, 1, 13, 17, 0, tzinfo=UTC)  # 01:00 on the 14th in Shanghai


def test_relative_days_follow_the_report_zone():
    sh, utc = parse_zone("Asia/Shanghai"), parse_zone("UTC")
    assert parse_day("today", sh, NOW) == date(2026, 1, 14)
    assert parse_day("today", utc, NOW) == date(2026, 1, 13)
    assert parse_day("yesterday", sh, NOW) == date(2026, 1, 13)
    assert parse_day("7d", sh, NOW) == date(2026, 1, 7)
    assert parse_day("2026-02-28", sh, NOW) == date(2026, 2, 28)


@pytest.mark.parametrize("bad", ["2026-02-30", "2026-1-3", "tomorrowish", "", "13/01/2026"])
def test_bad_days(bad):
    with pytest.raises(InputError, match="invalid date"):
        parse_day(bad, parse_zone("UTC"), NOW)


@pytest.mark.parametrize("text, name, offset_h", [
    ("+08:00", "+08:00", 8), ("-0530", "-05:30", -5.5), ("UTC", "UTC", 0), ("+8", "+08:00", 8),
    ("Asia/Shanghai", "Asia/Shanghai", 8),
])
def test_zones(text, name, offset_h):
    z = parse_zone(text)
    assert z.name == name
    assert datetime(2026, 1, 13, tzinfo=z.tz).utcoffset().total_seconds() == offset_h * 3600


@pytest.mark.parametrize("bad", ["Mars/Olympus", "+25:00", "../etc/passwd"])
def test_bad_zones(bad):
    with pytest.raises(InputError):
        parse_zone(bad)


def test_window_is_half_open_and_keeps_offsets():
    w = make_window(date(2026, 1, 13), date(2026, 1, 13), parse_zone("Asia/Shanghai"))
    assert w.start.isoformat() == "2026-01-13T00:00:00+08:00"
    assert w.end.isoformat() == "2026-01-14T00:00:00+08:00"
    with pytest.raises(InputError, match="after --until"):
        make_window(date(2026, 1, 14), date(2026, 1, 13), parse_zone("UTC"))
