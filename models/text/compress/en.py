"""English compression: the optional drops of a sentence, every combination of them, and the choice
among the candidates that pass :func:`is_clause_en` (the rules: ``models.text.compress``)."""
from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .checks import is_balanced
from .en_clause import EN_END, EN_FINITE, is_clause_en
from .quotes import quote_spans

__all__ = ["MAX_DROPS", "Drop", "compress_en", "concise_en_text", "en_drops", "quote_spans"]

# At most this many optional drops are combined (2**n candidates, a few milliseconds); news
# sentences rarely have more.
MAX_DROPS = 8


@dataclass(frozen=True, slots=True)
class Drop:
    """One optional deletion: characters ``start:end`` of the sentence become ``replacement``."""

    start: int
    end: int
    replacement: str = ""
    kind: str = ""
    # truncations (dropping a whole coordinated clause) lose content; concise style avoids them
    # while lighter drops are enough
    truncation: bool = False


# Verbs of report whose clause a bullet may state without them. Verbs of claim or opinion
# (claimed, insisted, argued, warned, estimated, believes, alleged) are left out: dropping them
# would turn a claim into a fact.
_SAY = (r"(?:said|says|told\s+(?:[\w.'’-]+\s+){0,4}?[\w.'’-]+|reported|reports|added|announced|"
        r"wrote|explained|confirmed|stated|noted|revealed|admitted|according\s+to\s+[^,.;]{1,60})")
# Speakers whose words are an opinion or a side, never the news itself: their attribution stays
# ("Critics said the plan was too expensive" must not become "The plan was too expensive").
_OPINION_SPEAKER = re.compile(
    r"\b(?:critics?|opponents?|supporters?|sceptics?|skeptics?|detractors|campaigners|activists|"
    r"analysts|experts|observers|commentators|pundits|fans|residents|rivals|some|many|others|"
    r"lawyers?|attorneys?|defen[cs]e|prosecutors?|accusers?|protesters|critics)\b", re.I)
_WHEN = r"(?:\s+(?:on|in|at|last|this|earlier|late|early)\s+[\w\s'’-]{1,24}?|\s+(?:today|yesterday))?"
# a finite verb opening a verb phrase: an irregular past or an auxiliary, or a regular "-ed"
_FINITE_WORD = r"\b(?:" + "|".join(sorted(EN_FINITE - {"'s", "'re", "be", "am"})) + r"|[a-z]{3,}ed|[a-z]{2,}n['’]t)\b"
_DAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_TIME = (rf"(?:on\s+{_DAY}(?:\s+(?:morning|afternoon|evening|night))?|{_DAY}\s+(?:morning|afternoon|"
         r"evening|night)|last\s+(?:week|month|year|night|weekend)|earlier\s+(?:this|last)\s+"
         r"(?:week|month|year)|earlier\s+today|this\s+(?:week|weekend)|"
         rf"(?:last|this|next)\s+{_DAY})")
# words in -ing that are nouns or prepositions, not participles ("late on Sunday evening after ...")
_ING_NOUN = (r"(?:something|nothing|anything|everything|during|morning|evening|building|thing|"
             r"spring|string|ceiling|wedding|meeting|ring|bring|sing|sting|wing|swing|king|sibling|"
             r"darling|offspring|being|viewing|hearing|timing|ruling|funding|clothing|housing|training|"
             r"shooting|bombing|killing|opening|ending|warning|feeling|setting|filling)")
_DASH = r"(?:--|—|–|-)"
_NO_DASH = r"(?:(?!\s(?:--|—|–|-)\s).)"  # any character that does not start a spaced dash
_LEADING_WORD = re.compile(
    r"(?:In|On|At|After|Before|When|While|During|Since|Despite|Following|With|Without|By|For|"
    r"Although|Though|If|As|Because|Once|Until|Unless|Earlier|Later|Last|This|Meanwhile|However|"
    r"Still|Now|Instead|Indeed|Overall|Separately|Elsewhere|But|And|So|Yet)\b")
_VERB_LIST = re.compile(rf",\s+{_FINITE_WORD}[^,]*$")
# a comma inside a number ("40,000") is not a clause boundary
_NO_COMMA = r"(?:[^,;]|,(?=\d{3}))"
# one item of a run of asides between commas (an age, "from London", an appositive, a
# non-restrictive relative clause): any phrase up to the next comma, matched atomically so a long
# run of commas costs linear time, never exponential backtracking; an item that opens with a subject
# pronoun is a clause, not an aside ("Finally today, we learn how chemicals ..., may be hazardous")
_ASIDE = rf"(?!(?:he|she|they|we|I|you|it|there)\s)(?>{_NO_COMMA}{{2,100}})"
_EN_PATTERNS: list[tuple[str, re.Pattern[str], str, bool]] = [
    # (kind, pattern, replacement, truncation); a group named "keep" is put back in place
    # leading clauses first: an aside is judged by the words after them
    ("leading", re.compile(
        r"^(?:although|though|while|after|before|when|whenever|if|as|because|since|despite|once|"
        r"until|unless|following|speaking|asked|having|given|[a-z]+ing)\b[^,;]{0,140},\s+(?=[A-Za-z\"“])",
        re.I), "", False),
    # a leading phrase: no finite verb in it (else it was the main clause: "In Vietnam there are ...,")
    ("leading-phrase", re.compile(
        r"^(?:in|on|at|with|without|during|earlier|later|last|this|by|for|under|amid|over|within|"
        r"throughout|upon|from|like|unlike|meanwhile|still|now|however|instead|indeed|overall|"
        r"separately|elsewhere)\b[^,;]{0,80},\s+(?=[A-Za-z\"“])", re.I), "", False),
    ("attribution", re.compile(
        rf",\s+(?:[\w.'’-]+\s+){{0,6}}?{_SAY}{_WHEN}(?:,\s+(?:citing|adding|saying)\s{_NO_COMMA}{{1,90}}?)?"
        r"\s*(?P<keep>[.!?][\"'’”]?)$"), r"\g<keep>", False),
    ("attribution", re.compile(
        r",\s+(?:said|says|according\s+to)\s+[^;]{1,90}?(?P<keep>[.!?][\"'’”]?)$"), r"\g<keep>", False),
    ("attribution", re.compile(r",\s+according\s+to\s+[^,;]{1,80},(?=\s)"), "", False),
    ("attribution", re.compile(
        r",\s+it\s+(?:has\s+been|had\s+been|was|is)\s+(?:reported|said|revealed|understood|announced|"
        r"confirmed)(?P<keep>[.!?][\"'’”]?)$"), r"\g<keep>", False),
    ("attribution", re.compile(r"^According\s+to\s+[^,;]{1,80},\s+"), "", False),
    ("attribution", re.compile(
        r"^It\s+(?:is|was|has\s+been|had\s+been)\s+(?:understood|reported|said|revealed|confirmed)"
        r"\s+(?:that\s+)?(?=(?:the|a|an|[A-Z][a-z]+)\s)"), "", False),
    # "Police said (on Monday) (that) the man ...": the reported clause, unless it opens with a
    # pronoun that the dropped subject would have explained ("... announced they are")
    ("attribution", re.compile(
        r"^(?:[A-Z][\w.'’-]*\s+)(?:[\w.'’-]+\s+){0,4}?(?:said|says|told\s+(?:[\w.'’-]+\s+){1,3}?|"
        r"announced|reported|confirmed)(?:\s+on\s+[A-Z]\w+day)?\s+(?:that\s+)?"
        r"(?=(?:the|a|an|[A-Z][a-z]+)\s)(?!(?:He|She|They|It|We|I|You|His|Her|Their|Its|Our)\b)"), "", False),
    ("parenthetical", re.compile(r"\s*\([^()]{1,90}\)"), "", False),
    ("parenthetical", re.compile(r"\s*\[[^\[\]]{1,90}\]"), "", False),
    ("dash", re.compile(rf"\s+{_DASH}\s+{_NO_DASH}{{1,90}}?\s+{_DASH}(?=\s)"), "", False),
    ("dash-tail", re.compile(rf"\s+{_DASH}\s+{_NO_DASH}{{1,160}}?(?P<keep>[.!?][\"'’”]?)$"), r"\g<keep>", False),
    # ages, appositives and non-restrictive relatives between commas, dropped as one run so the
    # commas stay paired ("Maria Lopez, 34, a nurse from Leeds, was named" -> "Maria Lopez was named")
    # the run must be followed by the verb its subject was waiting for ("Holm, who led it, said"),
    # and dropped whole so the commas stay paired ("Roach, 26, from London, who ..., gave up")
    ("aside", re.compile(rf",\s+{_ASIDE}(?:,\s+{_ASIDE})*,(?=\s+{_FINITE_WORD})"), "", False),
    ("relative", re.compile(r",\s+(?:who|which|whose|where|whom)\s[^;]{2,200}?(?P<keep>[.!?][\"'’”]?)$"),
     r"\g<keep>", False),
    # a non-restrictive relative clause between commas anywhere, the sentence going on after it in
    # verb its subject was waiting for ("Leishman, who finished fourth in 2013, had to withdraw")
    ("relative-mid", re.compile(
        rf",\s+(?:who|which|whose|whom)\s[^,;\"'“”‘’()\[\]–—]{{2,150}},(?=\s+{_FINITE_WORD})"), "", False),
    ("trailing", re.compile(
        r",\s+(?:while|whereas|although|though|because|as|since|after|before|when|until|despite|"
        r"as\s+well\s+as|including|with|amid|leaving|making|bringing|sending|prompting|following|"
        rf"[a-z]+ing)\s{_NO_COMMA}{{2,}}?(?P<keep>[.!?][\"'’”]?)$"), r"\g<keep>", False),
    # a closing participle phrase that runs over commas of its own: "..., finishing second in the
    # world, European and German kart championships last season." (the rule above stops at a comma);
    # nouns in -ing ("something", "morning", "building") do not open one, and a main verb must come
    # before it: past or auxiliary, or present before an object (the past/auxiliary check alone on
    # the rule above cost 0.3 R1 on CNN/DM: it refused sentences in the present tense)
    ("trailing-participle", re.compile(
        rf",\s+(?!{_ING_NOUN}\b)(?:[a-z]+-)?[a-z]{{2,}}ing\s[^;]{{2,}}?(?P<keep>[.!?][\"'’”]?)$"), r"\g<keep>", True),
    # a closing list opened by "including" with no comma before it: "complete with original features
    # including stained-glass windows, oil-fired heating and retro jars." -> "... original features."
    ("trailing-participle", re.compile(r"\s+including\s[^;]{3,}?(?P<keep>[.!?][\"'’”]?)$"), r"\g<keep>", True),
    # a second verb phrase: "refuted the claims and said he was ..." -> "refuted the claims."
    ("verb-phrase", re.compile(
        rf"\s+(?:and|but)\s+(?:then\s+|also\s+)?(?={_FINITE_WORD})[^;]{{6,}}?(?P<keep>[.!?][\"'’”]?)$"),
     r"\g<keep>", True),
    # a second clause: after "and" only where a subject opens it (else it may end a list)
    ("coordinate", re.compile(
        r"(?:,\s+and|;|:)\s+(?=(?:(?:he|she|it|they|we|i|there|the|a|an|this|that|these|those|his|her|"
        r"its|their|our)\b|[A-Z]))[^;]{6,}?(?P<keep>[.!?][\"'’”]?)$"), r"\g<keep>", True),
    ("coordinate", re.compile(
        r"\s+but\s+(?=(?:he|she|it|they|we|i|there|the|a|an|this|that|his|her|its|their|our|one|some|many|"
        r"most|all|each|every|another|no)\b|[A-Z])"
        r"[^;]{6,}?(?P<keep>[.!?][\"'’”]?)$"), r"\g<keep>", True),
    ("coordinate", re.compile(r",\s+(?:but|yet|so|while|whereas)\s+[^;]{6,}?(?P<keep>[.!?][\"'’”]?)$"),
     r"\g<keep>", True),
    # a trailing adverbial clause with no comma: "was jailed after he admitted ..." -> "was jailed."
    ("trailing", re.compile(
        r"\s+(?:while|because|unless|although|though|whereas|"
        r"in\s+an\s+attempt\s+to|in\s+order\s+to|so\s+that)\s+"
        rf"{_NO_COMMA}{{6,}}?(?P<keep>[.!?][\"'’”]?)$"), r"\g<keep>", True),
    # "after/when/since" open a clause when a subject or an -ing verb follows ("after he admitted")
    ("trailing", re.compile(
        r"\s+(?:after|before|since|when|until|as|if)\s+(?=(?:he|she|they|it|we|I|you|there)\s|[a-z]+ing\s)"
        rf"{_NO_COMMA}{{6,}}?(?P<keep>[.!?][\"'’”]?)$"), r"\g<keep>", True),
    # a trailing comma phrase that opens with a time or degree word: ", just days after ..."
    ("trailing", re.compile(
        r",\s+(?:just|only|even|shortly|days|weeks|hours|months|years|minutes|almost|nearly|around|"
        r"about|well|long|soon|not|rather|instead|one\s+of|more\s+than|less\s+than)\s+"
        rf"{_NO_COMMA}{{4,}}?(?P<keep>[.!?][\"'’”]?)$"), r"\g<keep>", False),
    # a trailing subordinate clause whose subject is a noun phrase or a name: "... as the Italian
    # looked ahead to ...", "... after his older brother disappeared" (a finite verb must follow)
    ("trailing", re.compile(
        r",?\s+(?:as|after|before|when|while|since|until|because|although|though|whereas|once)\s+"
        r"(?=(?:the|a|an|his|her|their|its|this|that|these|those|[A-Z][a-z]+|[A-Z]{2,})\s)"
        rf"(?=(?:[^,;.!?]{{1,60}}?\s)?{_FINITE_WORD}){_NO_COMMA}{{6,}}?(?P<keep>[.!?][\"'’”]?)$"),
     r"\g<keep>", True),
    # a trailing participle after "and": "... outside Sydney Harbour and riding constant waves."
    ("trailing", re.compile(rf"\s+and\s+[a-z]{{3,}}ing\s{_NO_COMMA}{{4,}}?(?P<keep>[.!?][\"'’”]?)$"),
     r"\g<keep>", True),
    # a final prepositional phrase of time, place, purpose or circumstance, once the main verb
    # has been said ("... for her ongoing contribution to popular music."): no verb inside it
    ("trailing-phrase", re.compile(
        r"\s+(?:after|before|during|following|amid|despite|since|until|without|including|outside|"
        r"near|ahead\s+of|because\s+of|due\s+to|as\s+part\s+of|in\s+front\s+of|at|in|on|for|with|"
        r"over|across|through|throughout|under|among|against|around|within)\s+"
        r"(?P<np>[^,;:.!?]{3,90}?)(?P<keep>[.!?][\"'’”]?)$"), r"\g<keep>", True),
    # a final phrase opened by a preposition that never opens a clause, even one that holds a verb
    # (a clause of its own): "... a loan following reports it has drawn up plans to ...", "... for
    # life following an investigation into their alleged links ..." (the rule above refuses both:
    # "has drawn", "alleged"); once the main verb has been said, never "the following day", and never
    # over a comma (the phrase may open the main clause: "believes that ... again following poor
    # results against United, Liverpool can ...")
    ("trailing-adjunct", re.compile(
        r"\s+(?:following|amid|despite|during|ahead\s+of|because\s+of|due\s+to|as\s+part\s+of|"
        r"in\s+the\s+wake\s+of|in\s+response\s+to|in\s+connection\s+with)\s+"
        rf"{_NO_COMMA}{{6,}}?(?P<keep>[.!?][\"'’”]?)$"), r"\g<keep>", True),
    # a closing perfect participle phrase with no comma: "... could catch City in the league having
    # fought through a long season." (never "is having surgery": see en_drops)
    ("trailing-participle", re.compile(
        rf"\s+having\s+(?:been\s+)?[a-z]{{3,}}\s{_NO_COMMA}{{4,}}?(?P<keep>[.!?][\"'’”]?)$"), r"\g<keep>", True),
    # a closing appositive that sums up or ranks what the sentence said: "..., the latest Westerners
    # accused of ...", "..., a 25 per cent drop in ...", "..., a move that ...", "..., the highest since"
    ("trailing-appositive", re.compile(
        r",\s+(?:the|a|an)\s+(?:\d[\d,.]*\s+per\s+cent\s+|\d[\d,.]*%\s+)?(?:latest|first|second|third|"
        r"fourth|fifth|last|only|biggest|largest|highest|lowest|worst|best|youngest|oldest|same|move|"
        r"decision|step|sign|blow|setback|record|rise|drop|fall|increase|decrease|cut|jump|figure|total|"
        r"sum|tradition|practice|process|result|development)\b"
        rf"{_NO_COMMA}{{2,}}?(?P<keep>[.!?][\"'’”]?)$"), r"\g<keep>", True),
    # a closing appositive that describes the place or body just named: "... near Kenton-on-Sea, a
    # small town on the country's south-eastern coast."
    ("trailing-appositive", re.compile(
        r",\s+(?:a|an|the)\s+(?:[\w'’-]+\s+){0,3}?(?:town|city|village|suburb|district|region|province|"
        r"county|island|area|community|neighbourhood|neighborhood|company|firm|charity|group|organi[sz]ation)\b"
        rf"{_NO_COMMA}{{2,}}?(?P<keep>[.!?][\"'’”]?)$"), r"\g<keep>", True),
    # a closing passive participle phrase after a comma: "..., contained in a total of 14 packages."
    ("trailing-participle", re.compile(
        r",\s+[a-z]{3,}ed\s+(?:in|by|on|at|to|with|from|for|into|over|under|inside|outside)\s"
        rf"{_NO_COMMA}{{4,}}?(?P<keep>[.!?][\"'’”]?)$"), r"\g<keep>", True),
    # a closing adverbial of little content: "... has become more challenging as a result."
    ("adverbial", re.compile(
        r"\s+(?:as\s+a\s+result|at\s+the\s+time|in\s+the\s+process|in\s+the\s+past|at\s+the\s+moment|"
        r"in\s+recent\s+(?:years|months|weeks)|so\s+far|for\s+now|in\s+the\s+future)(?=[,.;:!?])"), "", False),
    # "..., it emerged today." / "..., it was revealed last night."
    ("attribution", re.compile(
        r",\s+it\s+(?:emerged|has\s+emerged|was\s+revealed|was\s+announced|was\s+confirmed)"
        r"(?:\s+(?:today|yesterday|last\s+night|this\s+week|on\s+\w+day))?(?P<keep>[.!?][\"'’”]?)$"),
     r"\g<keep>", False),
    # a leading participle or infinitive phrase: "Clearly impressed by Kane's goals, Mulumbu has
    # tipped ...", "To kick off the event, a breakfast will be hosted ..."
    ("leading", re.compile(
        r"^(?:[A-Z][a-z]+ly\s+[a-z]{3,}(?:ed|en)|[A-Z][a-z]{4,}ed|"
        r"(?:Given|Taken|Driven|Shaken|Stricken|Beaten|Chosen|Written|Known|Seen|Hidden|Frozen|Broken)|"
        r"To\s+[a-z]+|(?:Determined|Desperate|Eager|Keen|Unable|Anxious|Unwilling|Willing)\s+to)\s"
        r"[^,;]{0,120},\s+(?=(?:the|a|an|his|her|their|its|he|she|they|it|we|[A-Z][a-z]+)\b)"),
     "", False),
    # time adverbials: "on Sunday", "last week", "earlier this month"
    ("time", re.compile(rf"\s+{_TIME}(?=[\s,.;:!?])"), "", False),
    ("time", re.compile(rf"^{_TIME},?\s+(?=[A-Z])", re.I), "", False),
]


def _matches(kind: str, pattern: re.Pattern[str], text: str) -> Iterable[re.Match[str]]:
    if kind != "aside":
        return pattern.finditer(text)
    # a run of asides may start at any comma (runs overlap: ", the farmer, who ..., travelled")
    found = (pattern.match(text, m.start()) for m in re.finditer(r",\s", text))
    return (m for m in found if m is not None)


# a verb form that is never a participle: what makes "Giving X power was ..." a clause, while
# "Arriving at court dressed in a blazer, Giggs said" stays a participle phrase
_AUXILIARY = re.compile(r"\b(?:is|are|was|were|has|have|had|will|would|can|could|may|might|must|shall|should|"
                        r"does|do|did)\b")
_PARTICIPLE_LEAD = re.compile(r"(?:having|given|following|speaking|asked|[a-z]+ing)\b", re.I)
# an -ing word then a present-tense verb: a gerund subject ("Charging takes", "Parking costs"), not a
# participle phrase ("Speaking to reporters,"); possessives and adverbs ending in s are not verbs
_GERUND_SUBJECT = re.compile(
    r"[A-Za-z]+ing\s+(?!(?:its|his|hers|ours|yours|theirs|this|thus|plus|as|us|always|perhaps|across|"
    r"towards|unless|whereas|various|previous|serious|famous|numerous|obvious|enormous)\b)(?![a-z]*ss\b)[a-z]{2,}s\b")
_APPOSITIVE_REST = re.compile(rf"[\w'’.-]+(?:\s+[\w'’.-]+){{0,3}},\s+{_FINITE_WORD}")
_FINITE_RE = re.compile(_FINITE_WORD)
# a verb in the present tense, seen by the object that follows it: "faces several charges", "wins the"
# (a plural noun is rarely followed straight by a determiner: "crew members of the ferry")
_PRESENT_VERB = re.compile(r"\b[a-z]{2,}[a-rt-z]s\s+(?:the|a|an|his|her|their|its|our|my|your|this|that|these|"
                           r"those|several|many|some|no|more|all|every|each|two|three|four|five|\d)\b")
_RELATIVE_WORD = re.compile(r"\b(?:who|which|whose|whom|where|when|that)\b")


# a finite verb that is never a participle or an adjective: an auxiliary or an irregular past
# (not "-ed": "the man accused of ...")
_STRONG_FINITE = re.compile(r"\b(?:" + "|".join(sorted(EN_FINITE - {"'s", "'re", "be", "am"})) + r")\b")
# words after which a time adverbial is not optional: one of a pair ("Wednesday and next Monday"), the
# object of a preposition ("ready around next Thursday"), the time of a number ("180 on Friday") or
# of a time word ("Late on Tuesday, ...")
_TIME_NEEDED_AFTER = re.compile(
    r"(?:\b(?:and|or|between|from|to|until|till|around|by|before|after|since|for|at|in|of|late|early|later|"
    r"earlier)|\d[\d,.%]*)\s*$", re.I)
# another day soon after a time adverbial: "on Monday and Tuesday", "65 on Thursday, 180 on Friday"
_PAIRED_DAY_AFTER = re.compile(rf"[^.;!?]{{0,30}}?\b{_DAY}")
# a determiner and a participle right before "and": the "and" joins modifiers of a noun ("a crushed and
# dislocated foot")
_DETERMINER_WORD_BEFORE = re.compile(r"\b(?:a|an|the|his|her|their|its|our|my|your|this|that)\s+[a-z]+(?:ed|en)$", re.I)
# "not" earlier in the clause: "not ... but" ("a reflection not of X, but of Y")
_NOT_BEFORE_BUT = re.compile(r"\bnot\b[^.;]{0,120}$")
# an -ing form right before ", -ing" or "and -ing": a list of them ("dancing, singing and beating")
_ING_WORD_BEFORE = re.compile(r"\b(?:[a-z]+-)?[a-z]{2,}ing$")
# a capitalised word right before a colon: a title's ("Star Wars: Battlefront")
_CAPITALISED_BEFORE = re.compile(r"\b[A-Z][\w'’-]*$")
# a short item between commas right before ", -ed ...": an aside whose verb that is
_SHORT_ITEM_BEFORE = re.compile(r",\s+[^,;]{1,40}$")
# a wish or a plan: what follows "but" says whether it happened ("would love to comment but ...")
_INTENT_BEFORE = re.compile(r"\b(?:would\s+(?:like|love|have)|wanted|wants|hoped|hopes|intended|planned|plans|"
                            r"was\s+due|were\s+due|was\s+expected|were\s+expected)\b")
# a short comma-separated item with no verb right before ", and": the "and" ends a list
_LIST_ITEM_BEFORE = re.compile(r",\s+(?:[\w'’.-]+\s+){0,4}[\w'’.-]+$")
# past participles that do not end in "-ed"
_IRREGULAR_PARTICIPLE = (r"(?:made|held|built|sold|paid|set|taken|given|won|lost|shown|seen|done|known|found|"
                         r"put|kept|brought|bought|sent|spent|told|written|signed)")
# what opens an aside after a noun, not a clause: a participle or a relative pronoun
_ASIDE_OPENER = re.compile(rf"(?:[a-z]+ed|{_IRREGULAR_PARTICIPLE}|who|which|whose|whom)\b")
_BE_BEFORE = re.compile(r"\b(?:is|are|was|were|be|been|being|am)\s+$", re.I)
# words after which a closing phrase is not optional: a determiner ("cleared the following day"),
# a form of "be" ("is due to open", "is in London"), a perfect participle ("having fought through")
# an -ing form, whose complement it may be ("co-starring with ...", "living in Leeds"), a verb of
# motion ("he then went [to ...]"), an adverb that focuses it ("ahead even [when ...]") or a number
# ("have lost four [of their five]"), or a verb whose complement it is ("concentrate [on ...]", an
# infinitive: "well placed to take [on the role]")
_NEEDS_WHAT_FOLLOWS = re.compile(
    r"\b(?:the|a|an|this|that|its|his|her|their|our|is|are|was|were|be|been|being|am|"
    rf"having\s+(?:been\s+)?\S+|(?!{_ING_NOUN}\b)(?:[a-z]+-)?[a-z]{{2,}}ing|went|came|go|goes|come|comes|headed|"
    r"even|only|just|not|also|especially|particularly|mainly|mostly|largely|partly|shortly|right|"
    r"\d[\d,.]*|one|two|three|four|five|six|seven|eight|nine|ten|"
    r"(?:concentrat|focus|rel|depend|insist|comment|agree|deal|cope|carr|consist|result|refer|belong|"
    r"respond|specialis|specializ|participat|engag|compet|compl|amount|aim)(?:e|es|ed|ing|s|y|ies|ied|t)?|"
    r"to\s+[a-z]+)\s+$",
    re.I)
# a participle in "-ed" straight after a noun ("the Department of Homeland Security created"): a
# reduced relative clause that the phrase completes; after a pronoun, an auxiliary or an adverb it
# is the main verb ("he resigned", "was jailed", "has finally resigned")
_BARE_PARTICIPLE_BEFORE = re.compile(
    r"\b(?!(?:he|she|it|they|we|i|you|who|which|that|is|are|was|were|be|been|being|has|have|had|not|"
    r"never|also|then|now|just|already|later|subsequently|[a-z]+ly)\s)[\w'’-]+\s+"
    rf"(?:[a-z]{{3,}}ed|{_IRREGULAR_PARTICIPLE})\s+$", re.I)


def _ends_with(pattern: re.Pattern[str], text: str, end: int) -> re.Match[str] | None:
    """``pattern`` (anchored with ``$``) matched at ``end``, looking back at most 200 characters (the
    longest pattern, :data:`_NOT_BEFORE_BUT`, reaches 124): the patterns read the last words before a
    drop, and a search from the start of the sentence would try every position."""
    return pattern.search(text, max(0, end - 200), end)


def _main_verb_before(text: str, end: int) -> bool:
    """True when ``text[:end]`` has a main verb: a finite form (past, auxiliary, "-ed") or a verb in
    the present tense before its object (:data:`_PRESENT_VERB`)."""
    return bool(_FINITE_RE.search(text, 0, end) or _PRESENT_VERB.search(text, 0, end))


def _clause_item(item: str) -> bool:
    """True when one comma-separated item of an aside run has a subject and then a finite verb
    before any relative pronoun ("inspectors found that ..."): a clause of the sentence, not an
    age, an appositive, a relative clause or a participle phrase ("thought to date from 1100 AD",
    whose first word is the verb form)."""
    item = item.strip()
    verb = _FINITE_RE.search(item, item.find(" ") + 1) if " " in item else None
    if verb is None:
        return False
    relative = _RELATIVE_WORD.search(item)
    return relative is None or relative.start() > verb.start()


def en_drops(text: str) -> list[Drop]:
    """The optional deletions found in an English sentence, in text order (overlaps allowed)."""
    drops: dict[tuple[int, int], Drop] = {}
    quotes = quote_spans(text)
    lead_end = 0  # where a droppable leading clause or phrase ends (asides are judged after it)
    for kind, pattern, repl, trunc in _EN_PATTERNS:
        for m in _matches(kind, pattern, text):
            if m.end() - m.start() < 3:
                continue
            if any(q0 < m.start() < q1 - 1 for q0, q1 in quotes):
                continue  # inside a quotation: a shortened quote would misquote (the whole quote may go)
            if (kind in ("trailing", "trailing-participle")
                    and re.match(r"(?:,|\s+and)\s+(?:[a-z]+-)?[a-z]{2,}ing\s", m.group())
                    and _ends_with(_ING_WORD_BEFORE, text, m.start())):
                continue  # "scenes of dancing, singing and beating drums": a list of -ing forms
            if kind == "verb-phrase" and _ends_with(_DETERMINER_WORD_BEFORE, text, m.start()):
                continue  # "a crushed and dislocated right foot": two modifiers of one noun, not two verbs
            if kind == "coordinate" and re.match(r",?\s+but\b", m.group()) and (
                    _INTENT_BEFORE.search(text, 0, m.start()) or _ends_with(_NOT_BEFORE_BUT, text, m.start())):
                # "would love to comment but the lawsuit precludes him": the "but" undoes the wish;
                # "a reflection not of X, but of Y": "not ... but" goes whole or stays
                continue
            if kind == "coordinate" and m.group()[:1] in ":;" and (
                    not _FINITE_RE.search(m.group()) or _ends_with(_CAPITALISED_BEFORE, text, m.start())):
                continue  # "Halloween: Resurrection and ...", "Star Wars: Battlefront is ...": a title's colon
            if (kind in ("trailing", "trailing-phrase") and re.match(r",?\s+until\b", m.group())
                    and re.search(r"\b(?:not|never|no)\b|n[’']t\b", text[: m.start()])):
                continue  # "does not expire until the end of next season": "not ... until" says when
            if (kind == "trailing" and re.match(r"\s+and\s+[a-z]{3,}ing\s", m.group())
                    and _STRONG_FINITE.search(m.group())):
                continue  # "those outside the US and trying to view the site got a message": the verb follows
            if kind in ("trailing", "trailing-participle") and re.search(rf"\s{_DASH}\s", text[: m.start()]):
                continue  # inside a dash aside ("- imposed in 1986 after ..., including X - was suspended")
            if (kind in ("trailing", "trailing-participle") and m.group().startswith(",")
                    and re.search(rf",\s+{_FINITE_WORD}", m.group()[1:])):
                continue  # ", following training, has been turned over ...": an aside, then the main verb
            if kind in ("time", "adverbial") and (_ends_with(_TIME_NEEDED_AFTER, text, m.start())
                                   or _ends_with(_BARE_PARTICIPLE_BEFORE, text, m.start() + 1)
                                   or _PAIRED_DAY_AFTER.match(text, m.end())):
                continue  # "Wednesday and next Monday", "ready around next Thursday", "180 on Friday, 140 ..."
            if kind == "coordinate" and m.group().startswith(","):
                item = _ends_with(_LIST_ITEM_BEFORE, text, m.start())
                if item and not _FINITE_RE.search(item.group()):
                    continue  # ", memory card slots, and Light Scribe software ...": the last item of a list
            if kind == "verb-phrase" and _VERB_LIST.search(text, 0, m.start()):
                continue  # the last of a list of verb phrases ("banned him, fined him and ...")
            if kind == "leading-phrase" and re.search(_FINITE_WORD, m.group()):
                continue
            if kind == "leading-phrase" and _ASIDE_OPENER.match(text, m.end()):
                continue  # "In the meantime a billboard, paid for by ..., has been erected": the subject's aside
            if kind == "leading" and _PARTICIPLE_LEAD.match(m.group()) and (
                    _AUXILIARY.search(m.group()) or _GERUND_SUBJECT.match(m.group())):
                continue  # "Giving X power was most popular, while ...", "Charging takes 12 minutes, while
                #  ...": a gerund subject and its verb, the main clause
            if kind == "leading" and _APPOSITIVE_REST.match(text, m.end()):
                continue  # "When ... his son, Wil, had ...": the comma opened an appositive, not the clause
            if kind == "attribution" and _OPINION_SPEAKER.search(m.group()):
                continue  # a side's opinion keeps its speaker
            if kind == "trailing-participle" and (not _main_verb_before(text, m.start())
                                                  or _ends_with(_BE_BEFORE, text, m.start() + 1)):
                continue  # "The swell, seen from ..., revealing ...": no main verb to keep; "is having"
            if kind == "trailing-phrase" and (re.search(_FINITE_WORD, m.group("np"))
                                              or not re.search(_FINITE_WORD, text[: m.start()])):
                continue  # a clause, not a phrase; or the main verb has not come yet
            if kind in ("trailing-phrase", "trailing-adjunct") and re.search(r"\sbut\s", m.group()):
                continue  # "comment on the allegations but that the lawsuit precludes ...": a clause, not a phrase
            if (kind in ("trailing", "trailing-phrase", "trailing-adjunct") and not m.group().startswith(",")
                    and _ends_with(_NEEDS_WHAT_FOLLOWS, text, m.start() + 1)):
                continue  # "cleared the following day", "is due to open", "having fought through ..."
            if kind == "trailing-appositive":
                if not _main_verb_before(text, m.start()):
                    continue  # "The man, the first to ...": the subject's appositive, no verb yet
                verb = _STRONG_FINITE.search(m.group())
                relative = _RELATIVE_WORD.search(m.group())
                if verb and (relative is None or relative.start() > verb.start()):
                    continue  # ", the company would aim to ...": a clause, not an appositive
            if (kind == "trailing-participle" and m.group().startswith(",")
                    and _ends_with(_SHORT_ITEM_BEFORE, text, m.start())):
                continue  # "after his song, Like Toy Soldiers, stormed to the top": the aside's verb
            if kind == "trailing-adjunct" and (
                    _ends_with(_BARE_PARTICIPLE_BEFORE, text, m.start() + 1) or not _main_verb_before(text, m.start())):
                continue  # "the agency created following ...": a reduced relative; or no main verb to keep
            if (kind == "relative" and any(_FINITE_RE.search(seg) for seg in re.split(r",(?!\d{3})", m.group())[2:])
                    and not (m.group().lstrip(", ").startswith("where") and _STRONG_FINITE.search(text, 0, m.start()))):
                continue  # "the man, who has not been named, was arrested": the verb is the main one
                # (also further on: "a sale, which cut its holding, together with asset sales have ...")
                # (not after a place once the main verb came: "has pleaded ... in court, where a
                # prosecutor said one of them, a 12-year-old, is pregnant."; but "suggested the
                # country, which has $200bn in reserves, had plans": "which" may still be mid-clause)
            if kind == "aside":
                # the words before the run must be the subject the verb after it waits for:
                # not "In 2010, the man, who was ill, died", not "pleaded in court, where ..., is"
                head = text[lead_end : m.start()] if lead_end <= m.start() else text[: m.start()]
                # and the run starts at the first comma after it ("Lopez, 34, a nurse, was": whole)
                if (not head.strip() or re.search(r",(?!\d{3})", head) or _LEADING_WORD.match(head)
                        or re.search(_FINITE_WORD, head)):
                    continue
                # an item with a verb of its own is a clause unless a relative pronoun opens it:
                # not "Then in November, inspectors found that ..., in east London, had ..."
                if any(_clause_item(item) for item in re.split(r",(?!\d{3})", m.group())):
                    continue
            if kind == "relative-mid" and "," in text[: m.start()]:
                continue  # the last of a run of asides ("Roach, 26, from London, who ..., gave"): the run goes whole
            if kind == "dash" and re.match(rf"\s+{_DASH}\s+(?:and|or|nor|but|as\s+well\s+as)\b", m.group()):
                continue  # "Depp's career - and his long association with Burton - are set to": part of the subject
            if kind == "dash-tail" and re.search(rf"\s{_DASH}\s", text[: m.start()]):
                continue  # the second dash of a pair: the aside is the pair, not the tail
            if kind in ("leading", "leading-phrase"):
                lead_end = max(lead_end, m.end())
            replacement = m.expand(repl)
            key = (m.start(), m.end())
            if key not in drops:
                drops[key] = Drop(m.start(), m.end(), replacement, kind, trunc)
    return sorted(drops.values(), key=lambda d: (d.start, d.end))


def _apply(text: str, drops: Sequence[Drop]) -> str | None:
    """``text`` with ``drops`` applied, or None where two of them overlap."""
    out: list[str] = []
    pos = 0
    for d in sorted(drops, key=lambda d: d.start):
        if d.start < pos:
            return None
        out.append(text[pos : d.start])
        out.append(d.replacement)
        pos = d.end
    out.append(text[pos:])
    result = re.sub(r"\s{2,}", " ", "".join(out)).strip()
    result = re.sub(r"\s+([,.;:!?])", r"\1", result)
    result = re.sub(r"[,;:]+(?=[.!?][\"'’”]?$)", "", result)  # "...Liverpool,." -> "...Liverpool."
    result = re.sub(r"(?<=[^.]\.)\.$", "", result)  # "the U.S.." -> "the U.S."
    if result and result[0].islower():
        result = result[0].upper() + result[1:]
    elif result[:1] in "\"“" and len(result) > 1 and result[1].islower():
        result = result[0] + result[1].upper() + result[2:]
    return result


def _en_candidates(
    text: str, drops: Sequence[Drop], most: int = MAX_DROPS
) -> Iterable[tuple[str, int, int]]:
    """(candidate, number of drops, number of truncations among them) for every non-overlapping
    combination of the first ``most`` ``drops``."""
    drops = list(drops)[:most]
    for r in range(len(drops) + 1):
        for combo in itertools.combinations(drops, r):
            out = _apply(text, combo)
            if out is not None:
                yield out, r, sum(d.truncation for d in combo)


def _terminal(text: str) -> str:
    text = text.strip()
    return text if EN_END.search(text) else text.rstrip(" ,;:-–—") + "."


_OPENING_QUOTE = re.compile(r"(?:^|:\s)['\"‘“]")
_FINAL_CLOSER = re.compile(r"[.!?][\"'’”]$")


def _close_quotes(cand: str, source_open: bool) -> str:
    """A shortening with its quotes in order where a drop unbalanced them: a final closing quote
    whose quotation was dropped goes ("... of fans.'" from "... a 'gold digger.'"); where the source
    sentence itself leaves a quotation open (it goes on in the next paragraph), the shortened
    quotation is closed at its end."""
    if is_balanced(cand):
        return cand
    if _FINAL_CLOSER.search(cand) and is_balanced(cand[:-1]):
        return cand[:-1]
    if source_open:
        for closer in ("'", "’", "”", '"'):
            if is_balanced(cand + closer):
                return cand + closer
    return cand


def compress_en(text: str, limit: int, truncate: bool = True) -> str | None:
    """A grammatical compression of an English sentence within ``limit`` characters: the one with the
    fewest truncations, then the longest.

    Returns the sentence itself when it fits, None when no combination of drops both fits and
    passes :func:`is_clause_en` (after :func:`_close_quotes` repairs a quote a drop unbalanced).
    Among the candidates that do, the fewest truncations (whole clauses or final phrases, which
    lose content) win, then the longest.
    """
    text = text.strip()
    if len(text) <= limit:
        return text
    text = _terminal(text)
    # a quotation the article continues in its next paragraph: open at the start or after a colon
    source_open = not is_balanced(text) and bool(_OPENING_QUOTE.search(text))
    best: tuple[int, int, int, str] | None = None
    rounds = [(text, 0, 0)]
    for most in (MAX_DROPS, 5):  # a second round finds drops the first uncovered (", police said")
        found: dict[str, tuple[int, int]] = {}
        for source, n0, t0 in rounds:
            for cand, n, t in _en_candidates(source, en_drops(source), most):
                found.setdefault(cand, (n0 + n, t0 + t))
        for cand, (n, t) in found.items():
            if len(cand) > limit + 1 or (t and not truncate):
                continue  # (closing a quotation adds one character at most)
            cand = _close_quotes(cand, source_open)
            if len(cand) > limit or not is_clause_en(cand):
                continue
            key = (-t, len(cand), -n)
            if best is None or key > best[:3]:
                best = (-t, len(cand), -n, cand)
        if best is not None:
            break
        rounds = sorted(((c, n, t) for c, (n, t) in found.items() if n), key=lambda x: len(x[0]))[:4]
    return best[3] if best else None


def concise_en_text(text: str, limit: int) -> str | None:
    """The compression that drops every inessential part and still reads as a clause.

    Light drops (attributions, asides, parentheticals, leading phrases, time adverbials) are
    applied as many as pass the check, in two rounds; whole second clauses go only when that
    does not reach ``limit``, and then the longest fitting candidate wins (:func:`compress_en`).
    """
    text = _terminal(text.strip())
    current = text
    for _ in range(2):
        light = [d for d in en_drops(current) if not d.truncation]
        best: tuple[int, int, str] | None = None
        for cand, n, _ in _en_candidates(current, light):
            if n and is_clause_en(cand):
                key = (n, -len(cand))  # the most drops, then the shortest
                if best is None or key > best[:2]:
                    best = (n, -len(cand), cand)
        if best is None:
            break
        current = best[2]
    if len(current) <= limit:
        return current
    return compress_en(current, limit) or compress_en(text, limit)
