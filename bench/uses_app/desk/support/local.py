"""Our own helpers; their names match the SDK's, and they are not the SDK's."""


class Bot:
    def get_response(self, text: str) -> str:
        return text.upper()

    def as_tool(self) -> "Bot":
        return self


def run(where: str) -> None:
    print("running", where)


def get_default_model() -> str:
    return "local-model"


def handle_stream(events: list) -> int:
    return len(events)
