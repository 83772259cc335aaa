"""The English complete-clause check (:func:`is_clause_en`) and the finite verbs it knows.

``models.text.compress.en`` filters every English candidate through it and builds its own verb
patterns from :data:`EN_FINITE`; the tests use it to check every output.
"""
from __future__ import annotations

import re

from .checks import is_balanced

__all__ = ["EN_END", "EN_FINITE", "is_clause_en", "is_fragment_en", "opens_subordinate_en"]

# The complete-clause check: a deliberately simple test, used both to filter candidates and
# in the tests. A sentence passes when it starts with a capital, digit or quote, ends with
# terminal punctuation, has balanced brackets and quotes, and has a finite verb that is not
# its first word: an auxiliary or a common finite form from the list below, a word ending in
# "-ed", a word ending in "-s" that does not follow a determiner or preposition (the subject in
# front of it), or a plain verb after a plural, a name or a pronoun ("Real Madrid travel"); a
# verb right after who/which/that does not count (it is a relative clause's). It cannot prove
# grammar; it catches what cutting produces: no verb ("The plan, a $40m scheme."), no end, a
# dangling bracket or quote, a sentence cut before its main verb ("The family of a man who
# drowned."). It rejects some good sentences too ("Most people consider it done."): those are
# not used as compressions, and the caller takes its next sentence.
EN_FINITE = frozenset(
    """is are was were am be 's 're has have had does do did will would can could may might must
    shall should said says told went came made took gave found got saw knew thought became began
    left kept held brought built bought paid sent spent won lost fell rose ran met led hit put set
    cut struck sold sought taught caught fought wrote spoke broke chose drove flew grew threw drew
    ate stood understood felt meant heard sat lay laid shot hid wore tore swore slept fed fled dealt
    sank sang swam rang shook withdrew overtook forgot forgave became arose awoke bore beat bent
    bet bid bled blew bound bred burnt burst cast clung crept dug dove fit fled flung forbade froze
    hung hurt knelt leapt lent let lit meant mistook overcame paid proved quit rid rode sank saw
    shed shone shrank slid slung smelt sped spun spat split spread sprang stank stole stuck stung
    strode strove swept swung thrust trod undertook upset woke wove wept wound wrung""".split()
)
_EN_NOT_BEFORE_VERB = frozenset(
    """a an the this that these those his her its their our my your of in on at to for from with by
    into onto over under about as than per each every some any no several many""".split()
)
_EN_ADVERBS = frozenset("now also still just already never often then later soon even only".split())
_EN_FUNCTION = frozenset(
    """and or but nor so yet for of in on at to from with by into onto over under about as than per
    after before since until while when where whose which who whom that this these those the a an
    his her its their our my your some any no every each all both either neither more most less
    least such other another same very too not there here if because although though unless
    whether during against between among through across behind beyond within without upon near
    around along amid""".split()
)
# a clause opening with one of these needs a main clause after a comma to stand alone
_SUBORDINATORS = frozenset("while although though because when whenever if unless whereas since until once".split())
_SAY_VERBS = frozenset("said says added told reported announced explained confirmed stated noted wrote".split())
_WHEN_WORDS = frozenset("""on in at last this yesterday today tonight week month year night morning afternoon
    evening earlier later monday tuesday wednesday thursday friday saturday sunday""".split())
_EN_WORDS = re.compile(r"[A-Za-z][A-Za-z'’-]*")
_EN_START = re.compile(r"^[\"'“‘(]?[A-Z0-9]")
EN_END = re.compile(r"[.!?][\"'’”)\]]*$")
# a drop that left the punctuation before it: "... of their own money –." or "... the plan,.", or a
# word that cannot end a sentence: "... in Ivory Coast and."
_DANGLING_END = re.compile(
    r"(?:\s(?:--|[–—-])|[,;:]|\b(?i:and|or|but|nor|the|a|an|of|that|which|whose|than))\s*[.!?][\"'’”)\]]*$")


def opens_subordinate_en(text: str) -> bool:
    """True when ``text`` opens with a subordinating word (while, although, because, when, if...)."""
    first = _EN_WORDS.search(text)
    return first is not None and first.group().lower() in _SUBORDINATORS


def is_fragment_en(text: str) -> bool:
    """True for a subordinate clause without its main clause ("While passengers board and leave.")
    and for a bare attribution ("The operator said.", "Police said on Tuesday."): who spoke, not what."""
    words = [w.lower() for w in _EN_WORDS.findall(text)]
    if not words:
        return False
    if words[0] in _SUBORDINATORS and "," not in text:
        return True
    say = next((i for i, w in enumerate(words) if w in _SAY_VERBS), None)
    return len(words) <= 8 and say is not None and set(words[say + 1:]) <= _WHEN_WORDS


def is_clause_en(text: str) -> bool:
    """True when ``text`` looks like a complete English clause (the simple check described above)."""
    text = text.strip()
    if not _EN_START.match(text) or not EN_END.search(text) or not is_balanced(text) \
            or _DANGLING_END.search(text):
        return False
    raw = [w.replace("’", "'") for w in _EN_WORDS.findall(text)]
    words = [w.lower() for w in raw]
    if len(words) < 3:
        return False
    if words[0] in ("which", "who", "whom", "whose") and not text.rstrip("\"'’”)]").endswith("?"):
        return False  # a relative clause left at the front ("Which uses ..., regularly click ...")
    if is_fragment_en(text):
        return False
    for i in range(1, len(words)):
        w, prev = words[i], words[i - 1]
        if prev in ("who", "which", "that", "whom", "whose"):
            continue  # the verb of a relative clause ("The family of a worker who drowned.")
        base = w[:-2] if w.endswith("'s") else w
        if base in EN_FINITE or w.endswith("n't"):
            return True
        if not raw[i][0].islower():
            continue  # a capitalised word inside a sentence is a name ("Manchester United", "Enterprises")
        if len(base) > 3 and base.endswith("ed"):
            return True
        if (len(base) > 2 and base.endswith("s") and not base.endswith("ss")
                and prev not in _EN_NOT_BEFORE_VERB and not w.endswith("'s")):
            return True
        # a plural or a name, then (after an adverb) a plain verb with a lowercase word after it:
        # "Real Madrid travel to ...", "Germans now consider it ..." (not a last word, not one before
        # a name: "The Birmingham athlete.", "Manchester United striker Ruud van Nistelrooy.")
        j = i - 1
        while j > 0 and (words[j] in _EN_ADVERBS or words[j].endswith("ly")):
            j -= 1
        subj = words[j]
        if (raw[i].islower() and i < len(words) - 1 and raw[i + 1][0].islower()
                and words[i + 1] not in ("who", "which", "whose", "whom") and w not in _EN_FUNCTION
                and not w.endswith(("ly", "ing")) and j < i
                and subj not in _EN_NOT_BEFORE_VERB and subj not in _EN_FUNCTION
                and (raw[j][0].isupper() and not raw[j].isupper() and j > 0 or subj in ("they", "we", "i", "you")
                     or len(subj) > 3 and subj.endswith("s") and not subj.endswith(("ss", "'s")))):
            return True
    return False
