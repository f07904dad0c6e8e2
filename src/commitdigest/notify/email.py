"""E-mail over SMTP: the report as HTML (the site's page when there is one), the Markdown attached.

``smtplib`` and ``ssl`` are imported when a message is sent: checking a config file's tables
needs only the settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from email.message import EmailMessage
from html import escape
from typing import Literal

from pydantic import Field, SecretStr

from commitdigest.notify.config import Channel, secret_value
from commitdigest.notify.digest import Digest, Message
from commitdigest.notify.registry import ChannelType, Final, Transient
from commitdigest.outputs.urls import link_target
from commitdigest.vocab import words


class Email(Channel):
    type: Literal["email"]
    host: str
    port: int = Field(default=587, ge=1, le=65535)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username: str | None = None
    password: SecretStr | None = None
    password_env: str | None = None
    sender: str = Field(alias="from")
    to: list[str] = Field(min_length=1)
    subject_prefix: str = "[commitdigest]"

    def password_value(self, env: Mapping[str, str] | None = None) -> str | None:
        return secret_value(self.password, self.password_env, "password", env)


def digest_html(d: Digest) -> str:
    w = words(d.language).notify
    items = "".join(
        f'<li>{escape(i.repo)} <a href="{escape(target)}">{escape(i.short_sha)}</a> {escape(i.text())}</li>'
        if (target := link_target(i.url)) else f"<li>{escape(i.repo)} {escape(i.short_sha)} {escape(i.text())}</li>"
        for i in d.items)
    if d.more:
        items += f"<li>{escape(w['more'].format(n=d.more))}</li>"
    versus = "".join(f"<p>{escape(line)}</p>" for line in (d.lead, d.versus) if line)
    report = link_target(d.report_url)
    link = f'<p><a href="{escape(report)}">{escape(w["link"])}</a></p>' if report else ""
    return (f"<!doctype html><html><body><h2>{escape(d.title)}</h2><p>{escape(d.headline())}</p>{versus}"
            f"<ul>{items}</ul>{link}</body></html>")


def build_message(channel: Email, d: Digest, markdown: str | None, html: str | None, stem: str) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = f"{channel.subject_prefix} {d.title} — {d.headline()}".strip()
    msg["From"] = channel.sender
    msg["To"] = ", ".join(channel.to)
    lines = [d.title, d.headline(), *(line for line in (d.lead, d.versus) if line),
             *(f"- {i.repo} {i.short_sha} {i.text()}" for i in d.items)]
    plain = "\n".join(lines)
    if d.report_url:
        plain += f"\n\n{d.report_url}"
    msg.set_content(plain)
    msg.add_alternative(html or digest_html(d), subtype="html")
    if markdown is not None:
        msg.add_attachment(markdown.encode("utf-8"), maintype="text", subtype="markdown", filename=f"{stem}.md")
    return msg


def send(channel: Email, message: Message, env: Mapping[str, str], timeout: float) -> None:
    import smtplib
    import ssl

    msg = build_message(channel, message.digest, message.markdown, message.html, message.stem)
    password = channel.password_value(env)
    smtp: smtplib.SMTP
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
        raise Final(f"{channel.host}: SMTP authentication refused") from None
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError,
            smtplib.SMTPNotSupportedError, smtplib.SMTPHeloError) as exc:
        raise Final(f"{channel.host}: {type(exc).__name__}") from None
    except OSError as exc:  # refused, reset, timed out, dropped: worth another try
        raise Transient(f"cannot deliver through {channel.host}:{channel.port}: {type(exc).__name__}") from None


CHANNEL = ChannelType(settings=Email, send=send)
