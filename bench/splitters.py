"""English sentence splitters compared on accuracy and speed, through the service's own wrapper.

    python -m bench.splitters --data ../shared/eval

Every candidate runs inside :class:`models.text.sentences.SentenceSplitter` (line breaks end sentences, long
lines are windowed) with only the English segmenter swapped, so the figures are what the service
would see. Three accuracy figures and one speed figure:

- **boundary cases**: :data:`BOUNDARY_CASES`, written for this project (abbreviations, decimals,
  initials, quotes, ellipses, headlines without periods, Daily Mail run-in captions): the share
  of cases split exactly right;
- **BBC reference sentences recovered whole**: ``dev_bbc.jsonl``'s ``reference_sentences`` are
  article sentences picked by people; the share that comes out of the splitter as one sentence,
  exactly (a sentence cut in two or merged with its neighbour is lost for an extractive summary);
- **CNN/DM suspicious sentences**: CNN/DM has no sentence gold, so two signs of a wrong boundary
  are counted over ``dev_cnndm.jsonl`` and the English rows of ``dev.jsonl``: pieces that start
  with a lower-case letter (a false split: "Mr." / "U.S." / "a.m." cut) and pieces over 400
  characters (a missed one: captions run in);
- **speed**: English articles per second, the splitter alone (one thread), over all the English
  dev articles.

Candidates that are not installed are skipped (pysbd, blingfire, nupunkt, sentencex, syntok; only
pysbd and blingfire are in the requirements). "service (chosen)" is :func:`models.text.sentences.english_spans`:
blingfire's sentences (found in the block by text, faster than its offsets call) and the run-in
caption rule; "blingfire (offsets)" is blingfire alone.
The data is read where it lies and never copied into the repository.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

Spans = list[tuple[int, int]]

# (text, the sentences a careful reader finds). Written for this project; no eval text.
BOUNDARY_CASES: list[tuple[str, list[str]]] = [
    # abbreviations
    ("Mr. Smith met Dr. Jones at 10 a.m. on Monday. They talked for an hour.",
     ["Mr. Smith met Dr. Jones at 10 a.m. on Monday.", "They talked for an hour."]),
    ("The U.S. economy grew in March. The U.K. economy shrank.",
     ["The U.S. economy grew in March.", "The U.K. economy shrank."]),
    ("She moved to Washington, D.C. last year and joined a law firm.",
     ["She moved to Washington, D.C. last year and joined a law firm."]),
    ("The maker, Acme Corp., said profits rose. Its shares fell 3 per cent.",
     ["The maker, Acme Corp., said profits rose.", "Its shares fell 3 per cent."]),
    ("Sen. Warren and Gov. Newsom spoke on Jan. 5 about the plan.",
     ["Sen. Warren and Gov. Newsom spoke on Jan. 5 about the plan."]),
    ("Prof. Ng teaches at St. Andrews in Scotland. He is 45.",
     ["Prof. Ng teaches at St. Andrews in Scotland.", "He is 45."]),
    ("The No. 1 seed lost in the first round. Fans were stunned.",
     ["The No. 1 seed lost in the first round.", "Fans were stunned."]),
    ("The flight left at 6 p.m. and landed at 9 p.m. local time.",
     ["The flight left at 6 p.m. and landed at 9 p.m. local time."]),
    ("Smith, a former Lt. Col. in the army, declined to comment.",
     ["Smith, a former Lt. Col. in the army, declined to comment."]),
    ("Big cats, e.g. lions and tigers, need space. Zoos know this.",
     ["Big cats, e.g. lions and tigers, need space.", "Zoos know this."]),
    # decimals, money, versions
    ("Inflation rose 3.5 per cent in May. Fuel prices rose 12.75%.",
     ["Inflation rose 3.5 per cent in May.", "Fuel prices rose 12.75%."]),
    ("Profits rose to $1.13bn (£600m) in the quarter. The index closed at 7,456.2 points.",
     ["Profits rose to $1.13bn (£600m) in the quarter.", "The index closed at 7,456.2 points."]),
    ("Version 2.0.1 was released on Friday. It fixes three bugs.",
     ["Version 2.0.1 was released on Friday.", "It fixes three bugs."]),
    ("He ran the 100m in 9.58 seconds. Nobody has come close.",
     ["He ran the 100m in 9.58 seconds.", "Nobody has come close."]),
    # initials
    ("J.K. Rowling has written a new book. It sold well.",
     ["J.K. Rowling has written a new book.", "It sold well."]),
    ("George W. Bush visited Texas on Friday. He gave a speech.",
     ["George W. Bush visited Texas on Friday.", "He gave a speech."]),
    ("The poem was signed by E. E. Cummings in 1950.",
     ["The poem was signed by E. E. Cummings in 1950."]),
    # quotes
    ('"We will win," he said. "We are ready."', ['"We will win," he said.', '"We are ready."']),
    ('"Is it over?" she asked. Nobody answered.', ['"Is it over?" she asked.', "Nobody answered."]),
    ('He said: "It is done." Then he left the room.', ['He said: "It is done."', "Then he left the room."]),
    ("'It is a great day,' said Smith. 'We are proud of the team.'",
     ["'It is a great day,' said Smith.", "'We are proud of the team.'"]),
    ("“This is historic,” the minister said. “We waited years for it.”",
     ["“This is historic,” the minister said.", "“We waited years for it.”"]),
    ("She called the plan 'a disaster.' The council approved it anyway.",
     ["She called the plan 'a disaster.'", "The council approved it anyway."]),
    # ellipses
    ("He paused... and then he spoke. The room fell silent.",
     ["He paused... and then he spoke.", "The room fell silent."]),
    ("They waited for news… None came that night.", ["They waited for news…", "None came that night."]),
    # exclamations and questions
    ("What happens next? Nobody knows! The vote is on Monday.",
     ["What happens next?", "Nobody knows!", "The vote is on Monday."]),
    # headlines and subheads without periods (news copy comes one line each)
    ("Ferry sinks off Norway coast\nAll 40 passengers were rescued on Monday.",
     ["Ferry sinks off Norway coast", "All 40 passengers were rescued on Monday."]),
    ("Markets rally as rates fall\nInvestors cheer the central bank\nShares rose 2% on Tuesday.",
     ["Markets rally as rates fall", "Investors cheer the central bank", "Shares rose 2% on Tuesday."]),
    # Daily Mail style: photo captions run into the text without a full stop
    ("The ferry left Bergen at 9am on Monday. The ferry, pictured, is 40 years old. It was due to be scrapped.",
     ["The ferry left Bergen at 9am on Monday.", "The ferry, pictured, is 40 years old.",
      "It was due to be scrapped."]),
    ("Police traced the car to a house in Leeds (pictured) Officers arrested two men on Tuesday.",
     ["Police traced the car to a house in Leeds (pictured)", "Officers arrested two men on Tuesday."]),
    ("Smith (left) celebrates with team-mate Jones (right) The pair scored twice in the second half.",
     ["Smith (left) celebrates with team-mate Jones (right)", "The pair scored twice in the second half."]),
    ("The MP handed out cakes to voters, pictured above Detectives are expected to speak to him on Friday.",
     ["The MP handed out cakes to voters, pictured above", "Detectives are expected to speak to him on Friday."]),
    ("Smith (left) and Jones (right) met in London on Friday.",
     ["Smith (left) and Jones (right) met in London on Friday."]),
    # a caption's last word run straight into the next sentence, no marker at all
    ("The mayor opened the new bridge over the river on Monday The crossing cost 40 million pounds.",
     ["The mayor opened the new bridge over the river on Monday", "The crossing cost 40 million pounds."]),
    ("Fans queue outside the stadium before kick-off It's the club's first final in a decade.",
     ["Fans queue outside the stadium before kick-off", "It's the club's first final in a decade."]),
    ("The couple married in March after he was told the illness was terminal After the wedding they drove west.",
     ["The couple married in March after he was told the illness was terminal",
      "After the wedding they drove west."]),
    ("Inspectors raided restaurant The Golden Lantern in Soho and seized the fins.",
     ["Inspectors raided restaurant The Golden Lantern in Soho and seized the fins."]),
    # a sentence glued to the full stop before it; an abbreviation glued to a name is not one
    ("The toddler was locked in the room for days, a court has heard.Shocking details emerged on Wednesday.",
     ["The toddler was locked in the room for days, a court has heard.", "Shocking details emerged on Wednesday."]),
    ("He joined the U.S.Army in 1998 and met Mr.Jones there.",
     ["He joined the U.S.Army in 1998 and met Mr.Jones there."]),
    # a headline run into the sentence that repeats its opening words
    ("Mayor Anna Berg will say that bus fares are too high as commuters face a new rise Mayor Anna Berg will say "
     "today that fares must fall.",
     ["Mayor Anna Berg will say that bus fares are too high as commuters face a new rise",
      "Mayor Anna Berg will say today that fares must fall."]),
    ("Police said the driver was hurt and Police said the passenger was unhurt.",
     ["Police said the driver was hurt and Police said the passenger was unhurt."]),
    # numbers and lists that are not ends
    ("The vote was 5-4. Chief Justice Roberts wrote for the court.",
     ["The vote was 5-4.", "Chief Justice Roberts wrote for the court."]),
    ("The firm has offices in 12 countries, incl. Japan and Korea. It employs 3,000 people.",
     ["The firm has offices in 12 countries, incl. Japan and Korea.", "It employs 3,000 people."]),
]


def candidates() -> dict[str, Callable[[str], Spans]]:
    """English segmenters that are installed here, as ``block -> spans`` functions."""
    from models.text.sentences import english_spans, spans_of

    out: dict[str, Callable[[str], Spans]] = {"service (chosen)": english_spans}
    try:
        import pysbd

        seg = pysbd.Segmenter(language="en", clean=False)
        out["pysbd 0.3.4"] = lambda block: spans_of(block, seg.segment(block))
    except ImportError:
        pass
    try:
        import blingfire

        out["blingfire (offsets)"] = lambda block: (
            list(blingfire.text_to_sentences_and_offsets(block)[1]) if block.strip() else [])
    except ImportError:
        pass
    try:
        import nupunkt

        out["nupunkt"] = nupunkt.sent_spans
    except ImportError:
        pass
    try:
        import sentencex

        out["sentencex"] = lambda block: [
            (b["start_index"], b["end_index"]) for b in sentencex.get_sentence_boundaries("en", block)
        ]
    except ImportError:
        pass
    try:
        from syntok import segmenter as syntok_seg

        def syntok_spans(block: str) -> Spans:
            return [
                (sent[0].offset, sent[-1].offset + len(sent[-1].value))
                for para in syntok_seg.analyze(block) for sent in para if sent
            ]

        out["syntok"] = syntok_spans
    except ImportError:
        pass
    return out


def _norm(text: str) -> str:
    return " ".join(text.split())


def boundary_score(split: Callable[[str], list[str]]) -> tuple[int, list[str]]:
    """Cases split exactly right, and the texts of the ones that were not."""
    wrong = [text for text, expected in BOUNDARY_CASES if split(text) != expected]
    return len(BOUNDARY_CASES) - len(wrong), wrong


def bbc_recovered(split: Callable[[str], list[str]], rows: list[dict]) -> tuple[int, int]:
    """Reference sentences that come out of the splitter whole, of all reference sentences."""
    found = total = 0
    for row in rows:
        sents = {_norm(s) for s in split(row["text"])}
        for ref in row["reference_sentences"]:
            total += 1
            found += _norm(ref) in sents
    return found, total


def suspicious(split: Callable[[str], list[str]], texts: list[str]) -> tuple[int, int, int]:
    """(pieces starting lower-case, pieces over 400 characters, pieces) over ``texts``."""
    lower = long = n = 0
    for text in texts:
        for s in split(text):
            n += 1
            lower += bool(re.match(r"[\"'“‘(]*[a-z]", s))
            long += len(s) > 400
    return lower, long, n


def _read(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True, help="the eval folder (dev_bbc.jsonl, dev_cnndm.jsonl, dev.jsonl)")
    ap.add_argument("--repeat", type=int, default=5, help="speed: passes over the articles (best kept)")
    args = ap.parse_args(argv)

    from models.text.sentences import SentenceSplitter

    data = Path(args.data)
    bbc = _read(data / "dev_bbc.jsonl")
    cnndm = [r["text"] for r in _read(data / "dev_cnndm.jsonl")]
    cnndm += [r["text"] for r in _read(data / "dev.jsonl") if r["lang"] == "en"]
    speed_texts = [r["text"] for r in bbc] + cnndm
    base = SentenceSplitter()
    rows = []
    print(f"{len(BOUNDARY_CASES)} boundary cases, {sum(len(r['reference_sentences']) for r in bbc)} BBC "
          f"reference sentences in {len(bbc)} articles, {len(cnndm)} CNN/DM articles; speed over "
          f"{len(speed_texts)} English articles (mean {sum(map(len, speed_texts)) // len(speed_texts)} characters)")
    splitters = {name: base.with_english(spans) for name, spans in candidates().items()}
    for name, splitter in splitters.items():

        def split(text: str, splitter: SentenceSplitter = splitter) -> list[str]:
            return [s.text for s in splitter.split(text, "en")]

        ok, wrong = boundary_score(split)
        found, total = bbc_recovered(split, bbc)
        lower, long, pieces = suspicious(split, cnndm)
        rows.append([name, ok, found, total, lower, long, pieces, 0.0, wrong])
    # speed: the candidates take turns, pass by pass (best pass kept), so that a shared machine's
    # load, which drifts over minutes, falls on all of them alike
    best = dict.fromkeys(splitters, float("inf"))
    for _ in range(args.repeat):
        for name, splitter in splitters.items():
            t0 = time.perf_counter()
            for text in speed_texts:
                splitter.split(text, "en")
            best[name] = min(best[name], time.perf_counter() - t0)
    for row in rows:
        row[7] = len(speed_texts) / best[row[0]]

    print()
    print("| splitter | boundary cases | BBC reference sentences whole | CNN/DM lower-case starts | "
          "CNN/DM pieces > 400 chars | articles/s (1 thread) |")
    print("|---|---|---|---|---|---|")
    for name, ok, found, total, lower, long, _pieces, rate, _ in rows:
        print(f"| {name} | {ok}/{len(BOUNDARY_CASES)} | {100 * found / total:.2f}% ({found}/{total}) | "
              f"{lower} | {long} | {rate:,.0f} |")
    for name, *_, wrong in rows:
        if wrong:
            print(f"\n{name} missed: " + " | ".join(w.replace("\n", "\\n")[:70] for w in wrong))
    return 0


if __name__ == "__main__":
    sys.exit(main())
