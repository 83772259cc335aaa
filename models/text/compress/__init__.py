"""Sentence compression: a shorter sentence that is still a grammatical sentence.

A sentence over the length limit loses the parts a reader does not need, never its end:

* English: attributions (", the operator said on Tuesday", "according to ...", "Police said"),
  ages and appositives between commas, parentheticals and dash asides, non-restrictive relative
  clauses, leading adverbial and subordinate clauses, trailing participial or subordinate clauses,
  and, last, a second coordinated clause (", but ...", "; ...").
* Korean, on kiwipiepy's morphological analysis (no pattern ever looks at raw Korean text):
  a reporting frame ("...한다고 12일 밝혔다") gives way to the reported clause closed as a
  finished sentence ("...한다."), a quotation frame ('"..."라고 말했다') likewise; date adverbials
  ("지난 12일", "이날", a bare "12일"), parentheticals, leading attributions ("...에 따르면")
  go; a sentence of two clauses keeps its first clause, closed with a final ending by
  ``Kiwi.join``, or its subject and last clause.

Every candidate (any combination of those drops) that fits the limit is checked before it is
returned: English by :func:`is_clause_en`, Korean by re-analysing it (:func:`is_sentence_ko`).
Which passing candidate wins: in English the one with the fewest truncations (a whole clause or
a final phrase gone, which loses content), then the longest, then the fewest drops; in Korean one
that dropped the reporting frame (the reported clause over "...라고 밝혔다"), then the longest,
then the fewest drops. When none passes the result is ``None`` and the caller takes its next
sentence. Nothing here ever appends "…" or cuts inside a clause.

The package: ``checks`` holds what both languages share (:func:`is_balanced`), ``en_clause`` the
English complete-clause check, ``en`` the English drops and choice, ``ko`` the Korean analysis,
drops and choice with the grammar helpers the concise style (``models.text.style``) builds on.
``en`` and ``ko`` import ``checks``, never each other.
"""
from __future__ import annotations

from .checks import is_balanced
from .en import Drop, compress_en, concise_en_text, en_drops, quote_spans
from .en_clause import is_clause_en
from .ko import (
    Kiwi,
    KoSentence,
    MorphLike,
    Word,
    base_tag,
    compress_ko,
    finished_once,
    first_subject,
    is_sentence_ko,
    ko_candidates,
    opens_sentence,
)

__all__ = [
    "Drop",
    "Kiwi",
    "KoSentence",
    "MorphLike",
    "Word",
    "base_tag",
    "compress_en",
    "compress_ko",
    "concise_en_text",
    "en_drops",
    "finished_once",
    "first_subject",
    "is_balanced",
    "is_clause_en",
    "is_sentence_ko",
    "ko_candidates",
    "opens_sentence",
    "quote_spans",
]
