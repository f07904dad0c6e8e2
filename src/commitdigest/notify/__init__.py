"""Notifications: a digest of a finished report, pushed to chat webhooks or sent by e-mail."""

from commitdigest.notify.config import ChannelSettings, parse_channels
from commitdigest.notify.digest import Digest, build_digest
from commitdigest.notify.send import Delivery, deliver

__all__ = ["ChannelSettings", "Delivery", "Digest", "build_digest", "deliver", "parse_channels"]
