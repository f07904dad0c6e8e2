"""The progress sink the stages report to; a module of its own so the CLI can offer one
without loading the report stack."""

from __future__ import annotations


class Progress:
    """Progress sink; the default one is silent. The CLI passes a rich progress bar."""

    def start(self, label: str, total: int) -> None: ...

    def advance(self, n: int = 1) -> None: ...

    def stop(self) -> None: ...
