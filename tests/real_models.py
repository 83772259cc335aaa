"""Random-weight models at the preset checkpoints' real configurations, with their real tokenizers.

``tests/fixtures/real_models/`` holds the real ``config.json``, ``generation_config.json`` and tokenizer
files of three preset checkpoints (no weights; see its README for sources and licences). A model built
here has the real vocabulary, special token ids, position limit, generation settings and tokenizer, so
loading, tokenizing, chunking, generation settings and CTranslate2 conversion behave as with the real
checkpoint; only the words it writes are noise.

``reduced=True`` keeps all of that but shrinks depth and width (2+2 layers of width 32): for tests that
are not about shapes or speed, on 2 CI cores. The config file written is the real one with only those
fields changed, so what the service reads from it (``_name_or_path``, legacy generation keys, the
tokenizer class) is what the real checkpoint says. ``bench.speed`` and the conversion-memory check
build them at full size.
"""
from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "real_models"
# the hub id each fixture folder stands for
HUB_IDS = {
    "bart-large-cnn": "facebook/bart-large-cnn",
    "kobart": "gogamza/kobart-summarization",
    "opus-mt-ko-en": "Helsinki-NLP/opus-mt-ko-en",
}
LICENCES = {"bart-large-cnn": "mit", "kobart": "mit", "opus-mt-ko-en": "apache-2.0"}
# width and depth of a reduced model (vocabulary, positions, special ids and settings stay real)
REDUCED = {"d_model": 32, "encoder_layers": 2, "decoder_layers": 2, "encoder_attention_heads": 2,
           "decoder_attention_heads": 2, "encoder_ffn_dim": 64, "decoder_ffn_dim": 64, "num_hidden_layers": 2}
# final_logits_bias on </s>: the model ends as soon as its minimum length allows (random logits are near 0)
EOS_BIAS = 20.0
# final_logits_bias on the tokens of a few plain words in the language each model writes: random weights
# then write only those words, in an order the random logits decide. Without it a model writes any of
# its 30,000-60,000 pieces, and whether that text passes the service's noise screen ('ôôô' made one
# bart-large-cnn output read as another language) depended on the CPU's int8 arithmetic, not the code.
PLAIN_WORDS = {
    "bart-large-cnn": " The city council approved a new plan for buses on Tuesday, and work starts next year.",
    "kobart": "시는 새 버스 계획을 화요일에 발표했고 공사는 내년에 시작한다.",
    "opus-mt-ko-en": " The city council approved a new plan for buses on Tuesday, and work starts next year.",
}
WORDS_BIAS = 10.0


def real_config(name: str) -> dict:
    return json.loads((FIXTURES / name / "config.json").read_text(encoding="utf-8"))


def build_real(name: str, out: Path, reduced: bool = True, eos_bias: float = 0.0, seed: int = 0,
               plain_words: bool = False) -> Path:
    """A folder that loads like the downloaded checkpoint ``name`` (a fixture folder's name).

    ``eos_bias`` is added to ``</s>``'s output logit (``final_logits_bias``, which BART and Marian
    carry and CTranslate2 converts): with :data:`EOS_BIAS` every output is exactly the minimum length
    the generation settings allow, the same on both backends. ``plain_words`` adds :data:`WORDS_BIAS`
    to the pieces of ``PLAIN_WORDS[name]``, so the model writes only those words on any CPU.
    """
    import torch
    from transformers import AutoConfig, AutoModelForSeq2SeqLM

    config = write_real_folder(name, out, REDUCED if reduced else None)
    torch.manual_seed(seed)
    model = AutoModelForSeq2SeqLM.from_config(AutoConfig.from_pretrained(out)).eval()
    if eos_bias:
        with torch.no_grad():
            model.final_logits_bias[0, config["eos_token_id"]] = eos_bias
    if plain_words:
        from transformers import AutoTokenizer

        special = set(config.get(k) for k in ("eos_token_id", "pad_token_id", "bos_token_id", "decoder_start_token_id"))
        ids = {i for i in AutoTokenizer.from_pretrained(out)(PLAIN_WORDS[name])["input_ids"] if i not in special}
        with torch.no_grad():
            for i in ids:
                model.final_logits_bias[0, i] += WORDS_BIAS
    save_weights(model, out)
    (out / "README.md").write_text(f"---\nlicense: {LICENCES[name]}\n---\n# random weights at the real config of "
                                   f"{HUB_IDS[name]}\n", encoding="utf-8")
    return out


def write_real_folder(name: str, out: Path, overrides: dict[str, int] | None = None) -> dict:
    """The real config and tokenizer files of fixture ``name`` in ``out`` (``overrides``: config fields
    to change, such as :data:`REDUCED`); returns the config written. The real ``config.json`` is kept
    as found but for those fields: what the service reads from it is what the checkpoint says."""
    out.mkdir(parents=True, exist_ok=True)
    for f in (FIXTURES / name).iterdir():
        if f.name != "config.json":
            shutil.copyfile(f, out / f.name)
    config = real_config(name)
    if overrides:
        config.update({k: v for k, v in overrides.items() if k in config or k.endswith("_dim")})
    (out / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    if name == "opus-mt-ko-en":  # opus-mt's SentencePiece files are not public: a stand-in
        _marian_tokenizer(out, config)
    return config


def save_weights(model: Any, out: Path) -> None:
    """Only the weights of ``model`` into ``out``: the config files stay the real ones
    (``save_pretrained`` would rewrite them)."""
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        model.save_pretrained(tmp)
        for f in Path(tmp).glob("*.safetensors"):
            shutil.move(str(f), out / f.name)


def _marian_tokenizer(out: Path, config: dict) -> None:
    """opus-mt's SentencePiece files are not public outside the hub: a stand-in trained on the test
    corpus, its vocabulary padded to the real size with ``</s>`` 0, ``<unk>`` 1 and ``<pad>`` last
    (61106, the real pad and decoder start id), as the real ``vocab.json`` has them."""
    import sentencepiece as spm
    from transformers import MarianTokenizer

    from tests.tiny_models import _train_spm

    _train_spm(out / "source.spm", 4000, unk_id=1, bos_id=-1, eos_id=0, pad_id=-1)
    shutil.copyfile(out / "source.spm", out / "target.spm")
    proc = spm.SentencePieceProcessor(model_file=str(out / "source.spm"))
    vocab = {"</s>": 0, "<unk>": 1}
    for i in range(proc.get_piece_size()):
        vocab.setdefault(proc.id_to_piece(i), len(vocab))
    i = 0
    while len(vocab) < config["vocab_size"] - 1:
        vocab.setdefault(f"\u2581pad{i}", len(vocab))
        i += 1
    vocab["<pad>"] = len(vocab)
    assert vocab["<pad>"] == config["pad_token_id"]
    (out / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    MarianTokenizer(str(out / "source.spm"), str(out / "target.spm"), str(out / "vocab.json"),
                    model_max_length=config["max_position_embeddings"]).save_pretrained(out)
    for leftover in ("special_tokens_map.json",):
        (out / leftover).unlink(missing_ok=True)


def hub_cache(models_dir: Path, name: str, built: Path, commit: str = "0" * 40) -> str:
    """Lay ``built`` out as the Hugging Face cache holds a download of ``name`` (under ``models_dir``,
    as ``SUMMARIZER_MODELS_DIR``); returns the hub id to configure."""
    hub_id = HUB_IDS[name]
    repo = models_dir / ("models--" + hub_id.replace("/", "--"))
    snapshot = repo / "snapshots" / commit
    if not snapshot.is_dir():
        shutil.copytree(built, snapshot)
        (repo / "refs").mkdir(parents=True, exist_ok=True)
        (repo / "refs" / "main").write_text(commit, encoding="utf-8")
    return hub_id
