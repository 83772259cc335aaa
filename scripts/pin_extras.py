"""Pin, in a compiled lock, each extra that a locked package asks for, spelled as that package spells it.

pip older than 23.3 (what a stock Python 3.11 venv ships: 23.2.1) neither normalizes extra names
(PEP 685) nor, in hash-checking mode, accepts an extra that no line of the requirements file pins:
jusText asks for ``lxml[html_clean]``, lxml 6 names its extra ``html-clean``, and a plain
``pip install -r requirements-core.txt`` stops with "all requirements must have their versions
pinned". pip-compile writes one line per project, so this adds, after it, a copy of the project's
pin and hashes under the extra's spelling: ``lxml[html_clean]==6.1.3``. pip 23.2.1 then installs the
hashed lock (warning that lxml does not provide 'html_clean': lxml_html_clean is pinned anyway), and
newer pips read the same line as the normalized extra.

    python scripts/pin_extras.py LOCK 'lxml[html_clean]:justext' [...]
"""
from __future__ import annotations

import re
import sys
from pathlib import Path


def pin_extra(text: str, spelled: str, asked_by: str) -> str:
    """``text`` with ``spelled`` (``name[extra]``) pinned like ``name``'s entry, right after it."""
    name = spelled.partition("[")[0]
    entry = re.search(rf"^{re.escape(name)}==(\S+)((?: \\\n    --hash=\S+)*(?: \\)?)\n(?:    #.*\n)*",
                      text, re.M | re.I)
    if entry is None:
        raise SystemExit(f"{name} is not pinned in the lock")
    pin = f"{spelled}=={entry[1]}{entry[2]}\n    # via {asked_by} (as it spells the extra, for pip < 23.3)\n"
    return text[:entry.end()] + pin + text[entry.end():]


def main(argv: list[str]) -> None:
    path = Path(argv[0])
    text = path.read_text(encoding="utf-8")
    for arg in argv[1:]:
        spelled, _, asked_by = arg.partition(":")
        text = pin_extra(text, spelled, asked_by)
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
