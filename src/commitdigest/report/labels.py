"""The old names of the report's words, for modules that have not moved to ``commitdigest.vocab``
yet (the notifications). No word lives here: each name is a view of the vocabulary."""

from __future__ import annotations

from commitdigest.vocab import EMOJI, VOCAB, counted

# Keyed by the plain code: callers index them with a bare string.
LABELS = {language.value: v.report for language, v in VOCAB.items()}
IMPORTANCE_WORD = {language.value: v.importance for language, v in VOCAB.items()}

__all__ = ["EMOJI", "IMPORTANCE_WORD", "LABELS", "counted"]
