"""E-mail: the report as HTML (the site's page when there is one), the Markdown attached."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from html import escape

from commitdigest.notify.config import Email
from commitdigest.notify.digest import WORDS, Digest


def digest_html(d: Digest) -> str:
    w = WORDS[d.language]
    items = "".join(
        f'<li>{escape(i.repo)} <a href="{escape(i.url)}">{escape(i.short_sha)}</a> {escape(i.subject)}</li>'
        if i.url else f"<li>{escape(i.repo)} {escape(i.short_sha)} {escape(i.subject)}</li>" for i in d.items)
    link = f'<p><a href="{escape(d.report_url)}">{escape(w["link"])}</a></p>' if d.report_url else ""
    return (f"<!doctype html><html><body><h2>{escape(d.title)}</h2><p>{escape(d.headline())}</p>"
            f"<ul>{items}</ul>{link}</body></html>")


def build_message(channel: Email, d: Digest, markdown: str | None, html: str | None, stem: str) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = f"{channel.subject_prefix} {d.title} — {d.headline()}".strip()
    msg["From"] = channel.sender
    msg["To"] = ", ".join(channel.to)
    plain = d.title + "\n" + d.headline() + "\n" + "\n".join(f"- {i.repo} {i.short_sha} {i.subject}" for i in d.items)
    if d.report_url:
        plain += f"\n\n{d.report_url}"
    msg.set_content(plain)
    msg.add_alternative(html or digest_html(d), subtype="html")
    if markdown is not None:
        msg.add_attachment(markdown.encode("utf-8"), maintype="text", subtype="markdown", filename=f"{stem}.md")
    return msg


def send_email(channel: Email, d: Digest, *, markdown: str | None, html: str | None, stem: str,
               env: Mapping[str, str], timeout: float | None = None) -> None:
    from commitdigest.notify.send import _Final, _Transient

    msg = build_message(channel, d, markdown, html, stem)
    password = channel.password_value(env)
    timeout = channel.timeout if timeout is None else timeout
    try:
        if channel.security == "ssl":
            smtp = smtplib.SMTP_SSL(channel.host, channel.port, timeout=timeout,
                                    context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(channel.host, channel.port, timeout=timeout)
        with smtp:
            if channel.security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if channel.username:
                smtp.login(channel.username, password or "")
            smtp.send_message(msg)
    except smtplib.SMTPAuthenticationError:
        raise _Final(f"{channel.host}: SMTP authentication refused") from None
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError,
            smtplib.SMTPNotSupportedError, smtplib.SMTPHeloError) as exc:
        raise _Final(f"{channel.host}: {type(exc).__name__}") from None
    except OSError as exc:  # refused, reset, timed out, dropped: worth another try
        raise _Transient(f"cannot deliver through {channel.host}:{channel.port}: {type(exc).__name__}") from None
