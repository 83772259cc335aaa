"""Tier 3: the CTranslate2 path tokenizes exactly as transformers does, and serves without torch."""
from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from models.inference.ct2 import Ct2Tokenizer

TEXTS = [
    "정부는 5일 새 정책을 발표했다.", "The plan starts next year and will change the city.", "좋다.",
    "“Quotes” and ‘single’ — dashes… ellipsis", "  leading and   multiple spaces  ", "", ">>kor<< The plan.",
    "Émile's café costs €5.50 (about $6)!", "a" * 300, "数字 123 and emoji 😀 mixed 한국어 text",
]
FAMILIES = ["marian_ko_en", "bart", "t5", "mt5_nc"]


@pytest.mark.parametrize("family", FAMILIES)
def test_tokens_match_transformers(tiny_models: dict[str, Path], family: str) -> None:
    from transformers import AutoTokenizer

    hf = AutoTokenizer.from_pretrained(tiny_models[family])
    mine = Ct2Tokenizer(tiny_models[family])
    mine.limit(16)
    for text in TEXTS:
        assert mine.tokens(text) == hf.convert_ids_to_tokens(hf(text)["input_ids"]), text
        cut = hf(text, truncation=True, max_length=16)["input_ids"]
        assert mine.tokens(text, truncate=True) == hf.convert_ids_to_tokens(cut), text
    assert (mine.pad_token_id, mine.eos_token_id) == (hf.pad_token_id, hf.eos_token_id)
    assert mine.model_max_length == hf.model_max_length


@pytest.mark.parametrize("family", FAMILIES)
def test_decoding_matches_transformers(tiny_models: dict[str, Path], family: str) -> None:
    from transformers import AutoTokenizer

    hf = AutoTokenizer.from_pretrained(tiny_models[family])
    mine = Ct2Tokenizer(tiny_models[family])
    rng = random.Random(15)
    for _ in range(300):
        ids = [rng.randrange(len(hf)) for _ in range(rng.randrange(1, 24))]
        expected = hf.decode(ids, skip_special_tokens=True, clean_up_tokenization_spaces=False)
        # the model wrapper squeezes whitespace the same way for both backends
        assert " ".join(mine.decode(hf.convert_ids_to_tokens(ids)).split()) == " ".join(expected.split()), ids


def test_a_ctranslate2_worker_never_imports_torch_or_transformers(tiny_models: dict[str, Path],
                                                                    tmp_path: Path) -> None:
    """Converted ahead (as `python -m service models download` does), a model is then served by
    CTranslate2 with the tokenizers read directly: torch and transformers stay out of the process."""
    from models.inference.registry import prepare_backend

    models_dir = tmp_path / "models"
    for family in ("marian_ko_en", "bart"):
        assert prepare_backend(tiny_models[family], "auto", str(models_dir)) is not None
    code = """
import json, sys
from models.inference.registry import load_configured_models
summarizers, translators = load_configured_models(
    {("translate", "ko-en"): sys.argv[1], ("summarize", "en"): sys.argv[2]},
    models_dir=sys.argv[3], backend="ctranslate2", batch_max_size=1)
out = translators[("ko", "en")].translate(["정부는 새 정책을 발표했다."])
summary = summarizers["en"].summarize(["The plan starts next year.", "It will change the city."])
print(json.dumps({"out": out, "summary": summary.text, "backend": translators[("ko", "en")].backend,
                  "loaded": sorted(m for m in ("torch", "transformers") if m in sys.modules)}))
"""
    done = subprocess.run(
        [sys.executable, "-c", code, str(tiny_models["marian_ko_en"]), str(tiny_models["bart"]), str(models_dir)],
        capture_output=True, text=True, timeout=300, cwd=Path(__file__).resolve().parents[1],
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["backend"] == "ctranslate2"
    assert isinstance(result["out"][0], str) and isinstance(result["summary"], str)
    assert result["loaded"] == []
