"""Talking to OpenAI-compatible chat servers: settings and a resilient async client."""

from commitdigest.llm.settings import LLMSettings, Price

__all__ = ["LLMSettings", "Price"]
