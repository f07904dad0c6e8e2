"""Notifications against real receivers on 127.0.0.1: a capturing HTTP server for the chat
webhooks and an aiosmtpd SMTP server. Exact payloads per channel, signatures recomputed here,
size limits, retries, clean give-ups, secrets kept out of every error."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import date
from email import message_from_bytes
from email.policy import default as email_policy

import pytest
from aiosmtpd.controller import Controller
from capture_server import Answer, CaptureServer
from conftest import run_cli
from smtp_inbox import Inbox, free_port

from commitdigest import pipeline
from commitdigest.notify import build_digest, deliver, parse_channels
from commitdigest.notify.wecom import MAX_BYTES as WECOM_MAX_BYTES
from commitdigest.window import parse_zone

TOKEN = "tok-5ecret-0123456789"
SIGNING = "SECabcdef0123456789"
URL = "https://reports.example.com/r/2026-01-13.html"
INJECTED = "fix: @all see [prize](http://evil.example) <b>now</b> & more"


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    from conftest import GitRepo

    repo = GitRepo(tmp_path_factory.mktemp("n") / "svc")
    repo.git("remote", "add", "origin", "https://github.com/acme/svc.git")
    repo.commit("chore: init", {"src/a.py": "def a():\n    return 1\n"}, when="2026-01-12T09:00:00+08:00")
    # three high-importance commits: feat 8 + core 2 = 10; fix 7 + core 2 + 3 files 1 = 10 (twice)
    repo.commit("feat: drop the v1 api", {"src/a.py": "A = 1\n"}, when="2026-01-13T09:00:00+08:00")
    repo.commit("fix: crash when the queue is empty", {"src/q.py": "Q = []\n", "src/q2.py": "Q = 2\n",
                                                       "src/q3.py": "Q = 3\n"}, when="2026-01-13T10:00:00+08:00")
    repo.commit(INJECTED, {"src/x.py": "X = 1\n", "src/y.py": "Y = 1\n", "src/z.py": "Z = 1\n"},
                when="2026-01-13T11:00:00+08:00")
    repo.commit("docs: usage", {"README.md": "# svc\n"}, when="2026-01-13T12:00:00+08:00")
    req = pipeline.ReportRequest(repos=[pipeline.RepoSpec(path=str(repo.path))], since=date(2026, 1, 13),
                                 until=date(2026, 1, 13), zone=parse_zone("Asia/Shanghai"), use_cache=False)
    r = pipeline.generate_report(req)
    assert [c.analysis.importance.value for c in r.repos[0].commits].count("high") == 3
    return r


def many_high(report, n=200):
    base = next(c for c in report.repos[0].commits if c.analysis.importance.value == "high")
    commits = [base.model_copy(update={"short_sha": f"{i:07x}", "subject": f"feat: 功能 {i} " + "很长的说明" * 8})
               for i in range(n)]
    repo = report.repos[0].model_copy(update={"commits": commits,
                                              "stats": report.repos[0].stats.model_copy(update={"high": n, "total": n})})
    return report.model_copy(update={"repos": [repo]})


def one(report, table, **kw):
    kw.setdefault("report_url", URL)
    [delivery] = deliver(report, parse_channels([{"backoff": 0, **table}]), **kw)
    return delivery


def test_feishu_post_with_signature(report):
    with CaptureServer() as server:
        d = one(report, {"type": "feishu", "url": server.url(f"/open-apis/bot/v2/hook/{TOKEN}"), "secret": SIGNING})
        assert d.ok and d.attempts == 1, d.error
        body = server.posts[0].body
    ts = int(body["timestamp"])
    expected = base64.b64encode(hmac.new(f"{ts}\n{SIGNING}".encode(), b"", hashlib.sha256).digest()).decode()
    assert body["sign"] == expected
    assert body["msg_type"] == "post"
    post = body["content"]["post"]["zh_cn"]
    assert post["title"] == "每日更新报告（2026-01-13）"
    flat = [el for row in post["content"] for el in row]
    texts = "".join(el["text"] for el in flat)
    assert "共 4 个提交 | 🔴高 3" in texts and "高重要度变更" in texts
    # A text element, and mentions (@all, <at user_id="all">) broken with look-alikes.
    assert "fix: ＠all see [prize](http://evil.example) ‹b›now‹/b› & more" in texts and "@" not in texts
    links = [el["href"] for el in flat if el["tag"] == "a"]
    assert links[-1] == URL and all(h.startswith("https://github.com/acme/svc/commit/") for h in links[:-1])
    assert len(links) == 4


def test_dingtalk_markdown_with_signed_url(report):
    with CaptureServer() as server:
        d = one(report, {"type": "dingtalk", "url": server.url("/robot/send?access_token=" + TOKEN),
                         "secret_env": "DT_SECRET"}, env={"DT_SECRET": SIGNING})
        assert d.ok, d.error
        post = server.posts[0]
    ts = post.query["timestamp"]
    want = base64.b64encode(hmac.new(SIGNING.encode(), f"{ts}\n{SIGNING}".encode(), hashlib.sha256).digest()).decode()
    assert post.query["sign"] == want and post.query["access_token"] == TOKEN
    assert post.body["msgtype"] == "markdown" and post.body["markdown"]["title"] == "每日更新报告（2026-01-13）"
    text = post.body["markdown"]["text"]
    assert "@all" not in text and "](http://evil" not in text and "<b>" not in text
    assert "＠all" in text and text.endswith(f"[查看完整报告]({URL})")


def test_wecom_fits_4096_bytes_with_200_high_commits(report):
    big = many_high(report)
    with CaptureServer() as server:
        d = one(big, {"type": "wecom", "url": server.url("/cgi-bin/webhook/send?key=" + TOKEN)})
        assert d.ok, d.error
        content = server.posts[0].body["markdown"]["content"]
    assert len(content.encode()) <= WECOM_MAX_BYTES
    assert "共 200 个提交" in content and "…… 另有" in content and content.endswith(f"({URL})")
    shown = content.count("\n- ") - 1  # items, minus the "more" line
    assert f"另有 {200 - shown} 条" in content


def test_slack_escaping_and_section_limit(report):
    en = report.model_copy(update={"language": "en", "title": "Daily Update Report (2026-01-13)"})
    with CaptureServer(Answer(body="ok")) as server:
        d = one(en, {"type": "slack", "url": server.url("/services/T0/B0/" + TOKEN)})
        assert d.ok, d.error
        body = server.posts[0].body
        section = body["blocks"][2]["text"]["text"]
        assert "&lt;b&gt;now&lt;/b&gt; &amp; more" in section and "<b>" not in section
        assert body["blocks"][0]["text"]["text"] == "Daily Update Report (2026-01-13)"
        assert body["blocks"][-1]["text"]["text"] == f"<{URL}|Full report>"
        big = many_high(en)
        assert one(big, {"type": "slack", "url": server.url("/s")}).ok
        section = server.posts[-1].body["blocks"][2]["text"]["text"]
    assert len(section) <= 3000 and "… and " in section


def test_generic_webhook_carries_the_json_twin(report):
    with CaptureServer() as server:
        d = one(report, {"type": "webhook", "url": server.url("/in"), "headers": {"X-Team": "core"}})
        assert d.ok, d.error
        post = server.posts[0]
    assert post.headers["x-team"] == "core"
    assert post.body["report"] == json.loads(json.dumps(report.to_json_dict()))
    assert post.body["counts"] == {"high": 3, "medium": 0, "low": 1} and post.body["total"] == 4
    assert post.body["report_url"] == URL
    assert [i["subject"] for i in post.body["items"]] == [
        c.subject for c in report.repos[0].commits if c.analysis.importance.value == "high"]


def test_retries_500_then_succeeds(report):
    with CaptureServer() as server:
        server.script(Answer(500), Answer(502))
        d = one(report, {"type": "wecom", "url": server.url("/w")})
        assert d.ok and d.attempts == 3 and len(server.posts) == 3


def test_gives_up_cleanly_and_keeps_the_token_out(report):
    with CaptureServer(Answer(500)) as server:
        d = one(report, {"type": "feishu", "url": server.url(f"/hook/{TOKEN}"), "retries": 2})
        assert not d.ok and d.attempts == 3 and len(server.posts) == 3
    assert "HTTP 500" in d.error and "gave up after 3 attempts" in d.error
    assert TOKEN not in d.error and TOKEN not in repr(parse_channels([{"type": "feishu", "url": "http://h/" + TOKEN}]))


def test_429_honours_retry_after_and_4xx_is_final(report):
    with CaptureServer() as server:
        server.script(Answer(429, headers={"Retry-After": "0"}))
        assert one(report, {"type": "wecom", "url": server.url("/w")}).attempts == 2
        server.script(Answer(403, body={"errcode": 93000}))
        d = one(report, {"type": "wecom", "url": server.url("/w")})
        assert not d.ok and d.attempts == 1 and "HTTP 403" in d.error


def test_application_error_in_a_200_is_a_failure(report):
    with CaptureServer(Answer(200, body={"errcode": 310000, "errmsg": "sign not match"})) as server:
        d = one(report, {"type": "dingtalk", "url": server.url("/robot/send?access_token=x")})
    assert not d.ok and d.attempts == 1 and "310000" in d.error and "sign not match" in d.error
    # Slack answers a plain "ok"; Slack-compatible servers answer JSON, where only an explicit false is an error
    for body, ok in [("ok", True), ({"success": True}, True), ({"ok": False, "error": "invalid_token"}, False)]:
        with CaptureServer(Answer(200, body=body)) as server:
            d = one(report, {"type": "slack", "url": server.url("/s")})
        assert d.ok is ok and d.attempts == 1, (body, d.error)
    assert "invalid_token" in d.error


def test_timeouts_are_retried_then_reported(report):
    with CaptureServer(Answer(delay=1.5)) as server:
        d = one(report, {"type": "slack", "url": server.url("/s"), "timeout": 0.3, "retries": 1})
    assert not d.ok and d.attempts == 2 and "timed out" in d.error


def test_unreachable_and_unset_variable(report):
    port = free_port()
    d = one(report, {"type": "webhook", "url": f"http://127.0.0.1:{port}/x", "retries": 1})
    assert not d.ok and d.attempts == 2 and "cannot reach 127.0.0.1" in d.error
    d = one(report, {"type": "feishu", "url_env": "NO_SUCH_HOOK"}, env={})
    assert not d.ok and d.attempts == 0 and d.error == "environment variable NO_SUCH_HOOK (from url_env) is not set"



def test_email_html_body_and_markdown_attachment(report):
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        md = "# 每日更新报告（2026-01-13）\n\ncontent\n"
        d = one(report, {"type": "email", "host": "127.0.0.1", "port": port, "security": "none",
                         "from": "digest@example.com", "to": ["a@example.com", "b@example.com"]},
                markdown=md, html="<html><body><h1>page</h1></body></html>", stem="2026-01-13")
        assert d.ok, d.error
    finally:
        controller.stop()
    [envelope] = inbox.messages
    assert envelope.rcpt_tos == ["a@example.com", "b@example.com"] and envelope.mail_from == "digest@example.com"
    msg = message_from_bytes(envelope.content, policy=email_policy)
    assert msg["Subject"] == "[commitdigest] 每日更新报告（2026-01-13） — 共 4 个提交 | 🔴高 3 | 🟡中 0 | 🟢低 1"
    assert msg.get_body(("html",)).get_content().strip() == "<html><body><h1>page</h1></body></html>"
    [attachment] = list(msg.iter_attachments())
    assert attachment.get_filename() == "2026-01-13.md"
    assert attachment.get_payload(decode=True).decode() == md


def test_email_to_a_closed_port_is_a_failed_delivery(report):
    port = free_port()
    d = one(report, {"type": "email", "host": "127.0.0.1", "port": port, "security": "none", "retries": 1,
                     "from": "x@example.com", "to": ["y@example.com"], "password_env": "SMTP_PW"},
            env={"SMTP_PW": "hunter2-secret"})
    assert not d.ok and d.attempts == 2 and "cannot deliver through 127.0.0.1" in d.error
    assert "hunter2" not in d.error


def test_digest_lists_failed_repositories(report):
    broken = report.model_copy(update={"repos": report.repos + [report.repos[0].model_copy(
        update={"name": "gone/repo", "error": "clone failed", "commits": []})]})
    d = build_digest(broken)
    assert d.failed_repos == ["gone/repo"] and d.report_url is None


def test_run_notifies_after_writing_and_a_failing_hook_never_costs_the_report(make_repo, tmp_path):
    repo = make_repo("svc")
    repo.commit("feat: x", {"src/x.py": "X = 1\n"}, when="2026-01-13T10:00:00+08:00")
    with CaptureServer(Answer(500)) as bad, CaptureServer() as good:
        (tmp_path / "commitdigest.toml").write_text(f'''timezone = "Asia/Shanghai"
[[repos]]
path = "{repo.path}"
[output]
dir = "out"
formats = ["md", "json", "html"]
base_url = "https://reports.example.com/svc"
[[notify]]
type = "wecom"
name = "team-chat"
url_env = "HOOK_URL"
retries = 1
backoff = 0
[[notify]]
type = "webhook"
url = "{good.url('/in')}"
''')
        r = run_cli("run", "--date", "2026-01-13", cwd=tmp_path, env={"HOOK_URL": bad.url(f"/{TOKEN}")})
        assert r.returncode == 7, r.stderr
        assert "commitdigest: warning: notification team-chat: 127.0.0.1 answered HTTP 500" in r.stderr
        assert TOKEN not in r.stderr
        assert (tmp_path / "out" / "2026-01-13.md").is_file() and (tmp_path / "out" / "2026-01-13.html").is_file()
        assert len(bad.posts) == 2
        assert good.posts[0].body["report_url"] == "https://reports.example.com/svc/2026-01-13.html"
        # --no-notify: nothing sent, nothing recorded
        r = run_cli("run", "--date", "2026-01-13", "--force", "--no-notify", cwd=tmp_path, env={"HOOK_URL": bad.url()})
        assert r.returncode == 0 and len(good.posts) == 1 and len(bad.posts) == 2
        # the day is reported, but team-chat never got it: the next run retries that channel only
        bad.default = Answer()
        r = run_cli("run", "--date", "2026-01-13", cwd=tmp_path, env={"HOOK_URL": bad.url(f"/{TOKEN}")})
        assert r.returncode == 0, r.stderr
        assert len(bad.posts) == 3 and len(good.posts) == 1
        assert bad.posts[-1].body["markdown"]["content"].startswith("### 每日更新报告（2026-01-13）")
        # everyone has it now: nothing more is sent
        r = run_cli("run", "--date", "2026-01-13", cwd=tmp_path, env={"HOOK_URL": bad.url(f"/{TOKEN}")})
        assert r.returncode == 0 and len(bad.posts) == 3 and len(good.posts) == 1
    state = json.loads((tmp_path / "out" / ".commitdigest-deliveries.json").read_text())
    assert state == {"2026-01-13": {"0:wecom:team-chat": "ok", "1:webhook:webhook": "ok"}}
    assert TOKEN not in (tmp_path / "out" / ".commitdigest-deliveries.json").read_text()


def test_when_skips_quiet_days(report):
    empty = report.model_copy(update={"repos": [report.repos[0].model_copy(
        update={"commits": [], "stats": report.repos[0].stats.model_copy(update={"total": 0, "high": 0, "low": 0})})]})
    no_high = report.model_copy(update={"repos": [report.repos[0].model_copy(
        update={"commits": [c for c in report.repos[0].commits if c.analysis.importance.value != "high"]})]})
    with CaptureServer() as server:
        for rep, when, sent in [(empty, "always", True), (empty, "commits", False), (report, "commits", True),
                                (no_high, "high", False), (report, "high", True)]:
            before = len(server.posts)
            d = one(rep, {"type": "wecom", "url": server.url("/w"), "when": when})
            assert d.ok and d.skipped == (not sent) and len(server.posts) - before == int(sent), (when, sent)


def test_retry_after_is_capped_at_a_minute():
    from tenacity import RetryCallState, Retrying

    from commitdigest.notify.registry import Transient
    from commitdigest.notify.send import RETRY_AFTER_MAX, _waiter

    state = RetryCallState(Retrying(), fn=None, args=(), kwargs={})
    state.set_exception((Transient, Transient("429", retry_after=300.0), None))
    assert RETRY_AFTER_MAX == 60.0 and _waiter(1.0)(state) == 60.0


def test_a_long_retry_after_gives_up_within_the_runs_delivery_time(report):
    with CaptureServer(Answer(429, headers={"Retry-After": "300"})) as throttled, CaptureServer() as fine:
        chans = parse_channels([{"type": "wecom", "url": throttled.url("/w"), "retries": 3, "backoff": 0},
                                {"type": "webhook", "url": fine.url("/in")}])
        slow, ok = deliver(report, chans, deadline=30)
    # capped at 60 s, the wait is still longer than the 30 s the run has: no sleeping, no retry
    assert not slow.ok and slow.attempts == 1 and len(throttled.posts) == 1
    assert "HTTP 429" in slow.error and "delivery time ran out" in slow.error
    assert ok.ok and len(fine.posts) == 1


def test_channels_left_without_time_fail_and_are_named(report):
    with CaptureServer(Answer(delay=3)) as stalling, CaptureServer() as fine:
        chans = parse_channels([{"type": "slack", "url": stalling.url("/s"), "timeout": 30, "retries": 2},
                                {"type": "webhook", "url": fine.url("/in")}])
        first, second = deliver(report, chans, deadline=0.5)
    assert not first.ok and "timed out" in first.error and len(stalling.posts) == 1
    assert not second.ok and second.attempts == 0 and "delivery time (0.5s) ran out" in second.error
    assert fine.posts == []


def test_redirects_are_not_success_and_never_leave_the_host(report):
    with CaptureServer() as hook, CaptureServer() as other:
        elsewhere = other.url("/stolen").replace("127.0.0.1", "localhost")
        hook.script(Answer(307, headers={"Location": elsewhere}, body=""))
        d = one(report, {"type": "webhook", "url": hook.url(f"/in/{TOKEN}")})
        assert not d.ok and "HTTP 307" in d.error and "to localhost" in d.error and TOKEN not in d.error
        assert other.posts == [] and len(hook.posts) == 1
        # a 302 would turn the POST into a GET: not delivered either
        hook.script(Answer(302, headers={"Location": hook.url("/elsewhere")}, body=""))
        d = one(report, {"type": "webhook", "url": hook.url("/in")})
        assert not d.ok and "HTTP 302" in d.error
        # the same server moving its endpoint with a 307/308 is followed, the POST repeated as is
        hook.script(Answer(308, headers={"Location": "/moved"}, body=""))
        d = one(report, {"type": "webhook", "url": hook.url("/in")})
        assert d.ok and [p.path for p in hook.posts[-2:]] == ["/in", "/moved"]
        assert hook.posts[-1].body == hook.posts[-2].body


def test_a_run_killed_mid_delivery_does_not_announce_twice(make_repo, tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    repo = make_repo("svc")
    repo.commit("feat: x", {"src/x.py": "X = 1\n"}, when="2026-01-13T10:00:00+08:00")
    with CaptureServer() as first, CaptureServer(Answer(delay=60)) as hanging:
        (tmp_path / "commitdigest.toml").write_text(f'''timezone = "Asia/Shanghai"
[[repos]]
path = "{repo.path}"
[output]
dir = "out"
[[notify]]
type = "webhook"
url = "{first.url('/a')}"
[[notify]]
type = "webhook"
url = "{hanging.url('/b')}"
timeout = 120
''')
        proc = subprocess.Popen([sys.executable, "-m", "commitdigest", "run", "--date", "2026-01-13", "-q"],
                                cwd=tmp_path, env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for _ in range(600):  # until the second channel's request is in flight
            if hanging.posts or proc.poll() is not None:
                break
            time.sleep(0.05)
        assert hanging.posts and len(first.posts) == 1
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        state = json.loads((tmp_path / "out" / ".commitdigest-deliveries.json").read_text())
        assert state == {"2026-01-13": {"0:webhook:webhook": "ok"}}
        hanging.default = Answer()
        r = run_cli("run", "--date", "2026-01-13", cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        assert len(first.posts) == 1 and len(hanging.posts) == 2
