"""Our model wrapper: every response is logged."""

from agents.models.openai_chatcompletions import OpenAIChatCompletionsModel


class TracedChatModel(OpenAIChatCompletionsModel):
    async def get_response(self, *args, **kwargs):
        response = await super().get_response(*args, **kwargs)
        print("response", response.response_id)
        return response
