"""Rollups sent to the channels that ask for them (``when = "weekly"`` / ``"monthly"``), daily
reports kept from those channels, the webhook body carrying the twin as written, and a channel
type added from outside the package — all against real receivers on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Mapping
from email import message_from_bytes
from email.policy import default as email_policy
from typing import Literal

import pytest
from aiosmtpd.controller import Controller
from capture_server import Answer, CaptureServer
from conftest import run_cli
from smtp_inbox import Inbox, free_port

from commitdigest.api import build_report, load_report
from commitdigest.errors import InputError
from commitdigest.notify import deliver, deliver_rollup, parse_channels
from commitdigest.notify.config import WebhookChannel
from commitdigest.notify.digest import Message
from commitdigest.notify.registry import ChannelType, Request, register
from commitdigest.rollup import load_rollup

BASE = "https://reports.example.com/sched"
HOSTILE = "feat: add the scheduler \x1b[2J\x07 now"  # a terminal escape: the twin drops it

# 2026-W46 (Nov 9–15): one high, one low; 2026-W47 (Nov 16–22): two high, one medium, one low.
COMMITS = [
    ("2026-11-10", 10, "Ann", HOSTILE, {"sched/core.py": "A = 1\n" * 60}),
    ("2026-11-12", 11, "Bo", "docs: describe the scheduler", {"docs/sched.md": "# S\n"}),
    ("2026-11-16", 9, "Ann", "feat: stream results (#12)", {"sched/stream.py": "S = 1\n" * 120,
                                                              "sched/io.py": "I = 1\n"}),
    ("2026-11-16", 15, "Cy", "fix: crash on empty queue", {"sched/queue.py": "Q = []\n"}),
    ("2026-11-18", 10, "Bo", "chore: tidy @all [x](https://evil.example)", {"tools/t.py": "T = 1\n"}),
    ("2026-11-18", 16, "Ann", "refactor: split the planner", {f"plan/p{i}.py": f"P = {i}\n" * 30 for i in range(6)}),
]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from conftest import GitRepo

    root = tmp_path_factory.mktemp("nr")
    repo = GitRepo(root / "sched")
    repo.git("remote", "add", "origin", "https://github.com/acme/sched.git")
    repo.commit("chore: init", {"README.md": "# sched\n"}, when="2026-11-01T09:00:00+08:00")
    for day, hour, author, subject, files in COMMITS:
        repo.commit(subject, files, when=f"{day}T{hour:02d}:00:00+08:00", author=f"{author} <{author.lower()}@x.io>")
    out = root / "out"
    for period in (("--week", "2026-W47"), ("--month", "2026-11")):
        r = run_cli("rollup", "--repo", str(repo.path), "--tz", "Asia/Shanghai", "--lang", "en", "--out", str(out),
                    *period)
        assert r.returncode == 0, r.stderr
    return repo, out




def test_load_rollup_reads_back_what_was_written(site, tmp_path):
    _, out = site
    path = out / "rollups" / "2026-W47.json"
    week = load_rollup(path)
    assert week.period.kind == "week" and week.period.label == "2026-W47"
    assert week.to_json_dict() == json.loads(path.read_text(encoding="utf-8"))
    for text in ("{broken", json.dumps({"kind": "report", "repos": []}), json.dumps({"kind": "rollup"})):
        (tmp_path / "bad.json").write_text(text)
        with pytest.raises(InputError, match="bad.json: not a"):
            load_rollup(tmp_path / "bad.json")


def test_weekly_rollup_goes_to_weekly_channels_only(site):
    _, out = site
    week = load_rollup(out / "rollups" / "2026-W47.json")
    twin = json.loads((out / "rollups" / "2026-W47.json").read_text(encoding="utf-8"))
    url = f"{BASE}/rollups/2026-W47.html"
    with CaptureServer() as weekly, CaptureServer() as monthly, CaptureServer() as daily, \
            CaptureServer() as chat, CaptureServer(Answer(body="ok")) as slack:
        weekly.script(Answer(503))  # the same retry path as the daily messages
        chans = parse_channels([
            {"type": "webhook", "url": weekly.url("/w"), "when": "weekly", "backoff": 0},
            {"type": "webhook", "url": monthly.url("/m"), "when": "monthly"},
            {"type": "webhook", "url": daily.url("/d")},
            {"type": "wecom", "url": chat.url("/wecom"), "when": "weekly"},
            {"type": "feishu", "url": chat.url("/feishu"), "when": "weekly"},
            {"type": "slack", "url": slack.url("/slack"), "when": "weekly"},
        ])
        seen = []
        result = deliver_rollup(week, chans, report_url=url, on_delivery=lambda i, d: seen.append(i))
        assert seen == list(range(6))
        assert [(d.ok, d.skipped) for d in result] == [(True, False), (True, True), (True, True), (True, False),
                                                       (True, False), (True, False)], [d.error for d in result]
        assert result[0].attempts == 2
        assert monthly.posts == [] and daily.posts == []
        body = weekly.posts[-1].body
        wecom, feishu = (p.body for p in chat.posts)
        blocks = slack.posts[0].body["blocks"]
    assert body["title"] == week.title == "Weekly Report (2026-W47: 2026-11-16 ~ 2026-11-22)"
    assert body["kind"] == "week" and body["rollup"] == twin and "report" not in body
    assert body["total"] == 4 and body["counts"] == {"high": 2, "medium": 1, "low": 1}
    assert body["versus"] == "Versus last week: commits +2, 🔴High +1, 🟡Medium +1, 🟢Low ±0"
    assert [i["subject"] for i in body["items"]] == ["feat: stream results (#12)", "refactor: split the planner"]
    assert all(i["url"].startswith("https://github.com/acme/sched/commit/") for i in body["items"])
    assert body["report_url"] == url
    content = wecom["markdown"]["content"]
    assert content.startswith("### Weekly Report (2026-W47: 2026-11-16 ~ 2026-11-22)\n\n4 commits | 🔴High 2")
    assert "\nVersus last week: commits +2" in content and content.endswith(f"[Full report]({url})")
    assert f"]({body['items'][0]['url']}) feat: stream results (＃12)" in content  # "#" neutralised
    texts = [el.get("text", "") for row in feishu["content"]["post"]["en_us"]["content"] for el in row]
    assert "Versus last week: commits +2, 🔴High +1, 🟡Medium +1, 🟢Low ±0" in texts
    assert blocks[1]["text"]["text"].endswith("\nVersus last week: commits +2, 🔴High +1, 🟡Medium +1, 🟢Low ±0")


def test_monthly_rollup_by_email_with_its_page(site):
    _, out = site
    month = load_rollup(out / "rollups" / "2026-11.json")
    html = (out / "rollups" / "2026-11.html").read_text(encoding="utf-8")
    md = (out / "rollups" / "2026-11.md").read_text(encoding="utf-8")
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        table = {"type": "email", "host": "127.0.0.1", "port": port, "security": "none",
                 "from": "digest@example.com", "to": ["team@example.com"]}
        chans = parse_channels([{**table, "when": "monthly"}, {**table, "when": "weekly"}])
        monthly, weekly = deliver_rollup(month, chans, markdown=md, html=html)
    finally:
        controller.stop()
    assert monthly.ok and not monthly.skipped and weekly.skipped, monthly.error
    [envelope] = inbox.messages
    msg = message_from_bytes(envelope.content, policy=email_policy)
    subject = " ".join(str(msg["Subject"]).split())  # a long header comes back folded
    assert subject == "[commitdigest] Monthly Report (2026-11: 2026-11-01 ~ 2026-11-30) — 7 commits | 🔴High 3 | 🟡Medium 1 | 🟢Low 3"
    assert msg.get_body(("html",)).get_content().replace("\r\n", "\n").strip() == html.strip()  # SMTP's CRLF
    [attachment] = list(msg.iter_attachments())
    assert attachment.get_filename() == "2026-11.md" and attachment.get_payload(decode=True).decode().replace("\r\n", "\n") == md


def test_daily_reports_skip_rollup_channels_and_the_webhook_carries_the_twin(site, tmp_path):
    repo, _ = site
    out = tmp_path / "daily"
    r = run_cli("report", "--repo", str(repo.path), "--date", "2026-11-10", "--tz", "Asia/Shanghai",
                "--format", "json", "--out", str(out))
    assert r.returncode == 0, r.stderr
    twin_text = (out / "2026-11-10.json").read_text(encoding="utf-8")
    assert "\x1b" not in twin_text and "feat: add the scheduler [2J" not in twin_text
    fresh = build_report(repo.path, "2026-11-10", tz="Asia/Shanghai", use_cache=False)
    assert "\x1b" in fresh.repos[0].commits[0].subject  # the record keeps what git said; the files do not
    with CaptureServer() as hook, CaptureServer() as rollups:
        chans = parse_channels([{"type": "webhook", "url": rollups.url("/w"), "when": "weekly"},
                                {"type": "webhook", "url": rollups.url("/m"), "when": "monthly"},
                                {"type": "webhook", "url": hook.url("/d")}])
        for report in (load_report(out / "2026-11-10.json"), fresh):
            weekly, monthly, daily = deliver(report, chans)
            assert weekly.skipped and monthly.skipped and daily.ok and not daily.skipped
        assert rollups.posts == []
        from_disk, in_memory = (p.body["report"] for p in hook.posts)
    twin = json.loads(twin_text)
    assert from_disk == twin
    # the record made in this process carries the same cleaned text as the file written by the CLI
    assert in_memory["repos"][0]["commits"] == twin["repos"][0]["commits"]
    with pytest.raises(TypeError, match="load_report"):
        deliver(twin, chans)


# ------------------------------------------------------------------ a channel from outside the package


class Teams(WebhookChannel):
    """A throwaway channel type, defined here as a user's module would."""

    type: Literal["teams-test"]


def teams_card(channel: Teams, message: Message, env: Mapping[str, str]) -> Request:
    d = message.digest
    return Request(channel.url_value(env), {"@type": "MessageCard", "summary": d.title, "text": d.headline(),
                                            "items": [i.subject for i in d.items]}, {"X-Card": "1"})


@pytest.fixture
def teams(monkeypatch):
    """The throwaway type registered for one test: the registry is the process's, and other
    tests list the registered types in messages."""
    from commitdigest.notify import registry

    registry.types()  # the built-in types first, as any run has them
    monkeypatch.setattr(registry, "_TYPES", dict(registry._TYPES))
    monkeypatch.setattr(registry, "_adapter", None)
    register(ChannelType(settings=Teams, build=teams_card))


def test_a_registered_channel_type_is_configured_and_delivered(site, teams):
    repo, _ = site
    report = build_report(repo.path, "2026-11-16", tz="Asia/Shanghai", language="en", use_cache=False)
    with CaptureServer() as server:
        server.script(Answer(500))
        [d] = deliver(report, parse_channels([{"type": "teams-test", "name": "team", "url": server.url("/t"),
                                               "backoff": 0}]))
        assert d.ok and d.type == "teams-test" and d.channel == "team" and d.attempts == 2, d.error
        post = server.posts[-1]
    assert post.headers["x-card"] == "1"
    assert post.body == {"@type": "MessageCard", "summary": "Daily Update Report (2026-11-16)",
                         "text": "2 commits | 🔴High 1 | 🟡Medium 1 | 🟢Low 0",
                         "items": ["feat: stream results (#12)"]}
    with pytest.raises(ValueError, match="registered already"):
        class Other(WebhookChannel):
            type: Literal["teams-test"]

        register(ChannelType(settings=Other, build=teams_card))


def test_run_sends_the_finished_week_once_to_weekly_channels(site, tmp_path):
    """``run`` writes the week once it is over and sends it to the weekly channel once; the daily
    channel gets the day; a failed weekly delivery is retried by the next run, and a rerun after
    success sends nothing. The feed lists the rollup written by the same run."""
    repo, _ = site
    with CaptureServer() as daily, CaptureServer(Answer(503)) as weekly:
        (tmp_path / "commitdigest.toml").write_text(f'''timezone = "Asia/Shanghai"
language = "en"
[[repos]]
path = "{repo.path}"
[output]
dir = "out"
formats = ["md", "json", "html", "feed"]
base_url = "{BASE}"
[[notify]]
type = "webhook"
name = "day"
url = "{daily.url('/d')}"
[[notify]]
type = "webhook"
name = "week"
url = "{weekly.url('/w')}"
when = "weekly"
retries = 0
''')
        r = run_cli("run", "--date", "2026-11-22", cwd=tmp_path)
        assert r.returncode == 7, r.stderr  # the weekly hook failed: reports written, the run says so
        out = tmp_path / "out"
        assert (out / "rollups" / "2026-W47.json").is_file()  # written because a channel asks for it
        assert "rollups/2026-W47.html" in (out / "feed.xml").read_text()
        assert 'data-rollup="2026-W47"' in (out / "index.html").read_text()
        assert len(daily.posts) == 1 and daily.posts[0].body["title"].startswith("Daily Update Report")
        assert len(weekly.posts) == 1
        weekly.default = Answer()
        r = run_cli("run", "--date", "2026-11-22", cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        assert len(daily.posts) == 1 and len(weekly.posts) == 2
        body = weekly.posts[-1].body
        assert body["kind"] == "week" and body["rollup"]["period"]["label"] == "2026-W47"
        assert body["report_url"] == f"{BASE}/rollups/2026-W47.html"
        assert body["rollup"]["repos"][0]["totals"]["commits"] == 4
        r = run_cli("run", "--date", "2026-11-22", cwd=tmp_path)
        assert r.returncode == 0 and len(daily.posts) == 1 and len(weekly.posts) == 2
    state = json.loads((tmp_path / "out" / ".commitdigest-deliveries.json").read_text())
    assert state["rollup-2026-W47"] == {"1:webhook:week": "ok"} and state["2026-11-22"] == {"0:webhook:day": "ok"}
