"""Secrets are redacted from what a model is shown, and counted."""

from __future__ import annotations

import pytest

from commitdigest.analysis.redact import MARK, Redactor, looks_random

PEM = "-----BEGIN OPENSSH PRIVATE KEY-----\n+b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n+-----END OPENSSH PRIVATE KEY-----"

SECRETS = [
    ("+key = '" + PEM + "'", PEM),
    ("aws_access_key_id AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
    ("token: ghp_" + "a1B2" * 9, "ghp_" + "a1B2" * 9),
    ("OPENAI sk-proj-abcdefghijklmnopqrstuv12", "sk-proj-abcdefghijklmnopqrstuv12"),
    ("slack xoxb-1234567890-abcdefghij", "xoxb-1234567890-abcdefghij"),
    ('headers["Authorization"] = "Bearer abcdefghijklmnopqrstuvwxyz0123"', "abcdefghijklmnopqrstuvwxyz0123"),
    ("DATABASE_URL=postgres://app:pa55w0rd-x@db:5432/app", "pa55w0rd-x"),
    ('db_password = "hunter2-hunter2"', "hunter2-hunter2"),
    ('{"apiKey": "AIzaSyA-1234567890abcdefghijklmnopqrstu"}', "AIzaSyA-1234567890abcdefghijklmnopqrstu"),
]


@pytest.mark.parametrize(("text", "secret"), SECRETS)
def test_shape_rules(text, secret):
    r = Redactor()
    out = r.text(text)
    assert secret not in out and MARK in out and r.count >= 1


@pytest.mark.parametrize("text", [
    'author = "Alice Example"', 'compass = "north"', "tokenizer = 'bert-base'",
    "password = get_password()", "commit 0123456789abcdef0123456789abcdef01234567",
    "def rotate_token(self, token):",
])
def test_ordinary_code_is_left_alone(text):
    r = Redactor()
    assert r.text(text) == text and r.count == 0


def test_config_files_get_context_rules():
    env = "+DB_PASSWORD=s3cr3t\n+API_TOKEN=${TOKEN}\n+SIGNING=Zk3mQ9xLp2Rt7vWy8Hs4Nd6Bc1Fg5Jh0\n+IMAGE_DIGEST=0123456789abcdef0123456789abcdef\n+LOG_LEVEL=debug"
    r = Redactor()
    out = r.file("deploy/.env.production", env)
    assert "s3cr3t" not in out and "Zk3mQ9xLp2Rt7vWy8Hs4Nd6Bc1Fg5Jh0" not in out
    assert "${TOKEN}" in out and "0123456789abcdef0123456789abcdef" in out and "LOG_LEVEL=debug" in out
    assert r.count == 2
    # The same lines in source code: an unquoted value there is an expression, not a secret.
    r2 = Redactor()
    assert r2.file("src/settings.py", "+DB_PASSWORD=s3cr3t") == "+DB_PASSWORD=s3cr3t"


def test_disabled_redactor_changes_nothing():
    r = Redactor(enabled=False)
    assert r.text(SECRETS[1][0]) == SECRETS[1][0] and r.count == 0


def test_looks_random():
    assert looks_random("Zk3mQ9xLp2Rt7vWy8Hs4Nd6Bc1Fg5Jh0")
    assert not looks_random("a" * 40) and not looks_random("deadbeef" * 5)
    assert not looks_random("some_long_identifier_name_here")
