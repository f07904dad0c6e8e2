"""A small support desk built on the OpenAI Agents SDK."""

from __future__ import annotations

from typing import Any

from agents import Agent, ModelSettings, RunContextWrapper, Runner, function_tool
from agents.models import get_default_model

from desk.support.local import Bot, run
from desk.support.models import TracedChatModel


def main() -> None:
    model = get_default_model()
    researcher = Agent(name="researcher", instructions="Look things up.", model=model)
    tool = researcher.as_tool(tool_name="research", tool_description="Research a question")
    triage = Agent(
        name="triage",
        instructions="Answer or hand off.",
        tools=[tool, lookup],
        model_settings=ModelSettings(temperature=0.2),
        model=TracedChatModel(model=model, openai_client=None),
    )
    result = Runner.run_sync(triage, "What changed in the SDK?")
    print(result.final_output)
    Bot().get_response("hello")
    run("local")


@function_tool
def lookup(ctx: RunContextWrapper[Any], question: str) -> str:
    """Find the answer in the local notes."""
    return f"{ctx.context}: {question}"


if __name__ == "__main__":
    main()
