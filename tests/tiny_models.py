"""Tiny real seq2seq models for tests: random weights, tokenizers trained here on a few KB of text.

Each builder writes a directory that loads with ``AutoTokenizer``/``AutoModelForSeq2SeqLM``
``.from_pretrained`` exactly like a downloaded model, for the Marian, BART and T5/mT5 families.
Built at test time (seconds) rather than committed: tokenizer files saved by one major version of
transformers may not load in another.
"""
from __future__ import annotations

import io
import json
from pathlib import Path

import sentencepiece as spm
import torch

DATA = Path(__file__).resolve().parent / "data" / "ntrex_ko_en.jsonl"
SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def corpus() -> list[str]:
    """Korean and English sentences: NTREX-128 pairs (CC BY-SA 4.0) plus the project's samples."""
    lines: list[str] = []
    with open(DATA, encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            lines += [row["ko"], row["en"]]
    for sample in sorted(SAMPLES.glob("*.txt")):
        lines += [s for s in sample.read_text(encoding="utf-8").splitlines() if s.strip()]
    return lines


def _train_spm(path: Path, vocab_size: int = 1200, **extra: object) -> None:
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(corpus()),
        model_writer=model,
        vocab_size=vocab_size,
        character_coverage=1.0,
        model_type="unigram",
        hard_vocab_limit=False,
        minloglevel=2,
        **extra,
    )
    path.write_bytes(model.getvalue())


def _seed(seed: int) -> None:
    torch.manual_seed(seed)


def build_marian(out: Path, seed: int = 0) -> Path:
    """An opus-mt-shaped Marian model (shared vocabulary, tied embeddings)."""
    from transformers import MarianConfig, MarianMTModel, MarianTokenizer

    out.mkdir(parents=True, exist_ok=True)
    _train_spm(out / "source.spm", unk_id=1, bos_id=-1, eos_id=0, pad_id=-1)
    (out / "target.spm").write_bytes((out / "source.spm").read_bytes())
    proc = spm.SentencePieceProcessor(model_file=str(out / "source.spm"))
    pieces = [proc.id_to_piece(i) for i in range(proc.get_piece_size())]
    vocab = {"</s>": 0, "<unk>": 1}
    for p in pieces:
        vocab.setdefault(p, len(vocab))
    vocab["<pad>"] = len(vocab)
    (out / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    tok = MarianTokenizer(str(out / "source.spm"), str(out / "target.spm"), str(out / "vocab.json"),
                          model_max_length=128)
    tok.save_pretrained(out)
    _seed(seed)
    config = MarianConfig(
        vocab_size=len(vocab), d_model=32, encoder_layers=2, decoder_layers=2,
        encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=64, decoder_ffn_dim=64,
        max_position_embeddings=128, pad_token_id=vocab["<pad>"], eos_token_id=0,
        decoder_start_token_id=vocab["<pad>"], forced_eos_token_id=0, scale_embedding=True,
        share_encoder_decoder_embeddings=True,
    )
    MarianMTModel(config).eval().save_pretrained(out)
    _card(out, "apache-2.0")
    return out


def build_bart(out: Path, seed: int = 0) -> Path:
    """A bart-large-cnn-shaped BART model with a byte-level BPE tokenizer."""
    from tokenizers import ByteLevelBPETokenizer
    from transformers import BartConfig, BartForConditionalGeneration, BartTokenizer

    out.mkdir(parents=True, exist_ok=True)
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(corpus(), vocab_size=1500, min_frequency=1,
                            special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"])
    bpe.save_model(str(out))
    tok = BartTokenizer(vocab=str(out / "vocab.json"), merges=str(out / "merges.txt"), model_max_length=128)
    tok.save_pretrained(out)
    _seed(seed)
    config = BartConfig(
        vocab_size=len(tok), d_model=32, encoder_layers=2, decoder_layers=2,
        encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=64, decoder_ffn_dim=64,
        max_position_embeddings=128, pad_token_id=tok.pad_token_id, bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id, decoder_start_token_id=tok.eos_token_id,
        forced_bos_token_id=tok.bos_token_id, forced_eos_token_id=tok.eos_token_id,
    )
    BartForConditionalGeneration(config).eval().save_pretrained(out)
    _card(out, "mit")
    return out


def build_t5(out: Path, seed: int = 0, mt5: bool = False, licence: str = "apache-2.0") -> Path:
    """A T5 (tied embeddings) or mT5 (untied output layer) model with a unigram tokenizer."""
    from transformers import MT5Config, MT5ForConditionalGeneration, T5Config, T5ForConditionalGeneration, T5Tokenizer

    out.mkdir(parents=True, exist_ok=True)
    _train_spm(out / "spiece.model", pad_id=0, eos_id=1, unk_id=2, bos_id=-1)
    proc = spm.SentencePieceProcessor(model_file=str(out / "spiece.model"))
    pieces = [(proc.id_to_piece(i), proc.get_score(i)) for i in range(proc.get_piece_size())]
    tok = T5Tokenizer(vocab=pieces, extra_ids=0, model_max_length=128)
    tok.save_pretrained(out)
    _seed(seed)
    config = (MT5Config if mt5 else T5Config)(
        vocab_size=len(tok), d_model=32, d_kv=16, d_ff=64, num_layers=2, num_decoder_layers=2,
        num_heads=2, pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id,
        decoder_start_token_id=tok.pad_token_id, tie_word_embeddings=not mt5,
        feed_forward_proj="gated-gelu" if mt5 else "relu",
    )
    cls = MT5ForConditionalGeneration if mt5 else T5ForConditionalGeneration
    cls(config).eval().save_pretrained(out)
    _card(out, licence)
    return out


def _card(out: Path, licence: str) -> None:
    (out / "README.md").write_text(f"---\nlicense: {licence}\n---\n# tiny test model\n", encoding="utf-8")


def build_marian_separate_vocabs(out: Path, seed: int = 0) -> Path:
    """A Marian model with separate source and target vocabularies, as the Tatoeba-Challenge
    ``opus-mt-tc-big`` models are trained (``share_encoder_decoder_embeddings`` false, ``vocab.json``
    and ``target_vocab.json``): English SentencePiece in, Korean out. Both vocabularies are padded
    to one size so that ``<pad>`` (the decoder start) has the same id on both sides, as the model
    config has one ``pad_token_id``."""
    from transformers import MarianConfig, MarianMTModel, MarianTokenizer

    out.mkdir(parents=True, exist_ok=True)
    lines = corpus()
    sides = {"source": [s for s in lines if s.isascii()], "target": [s for s in lines if not s.isascii()]}
    vocabs: dict[str, dict[str, int]] = {}
    for side, sentences in sides.items():
        model = io.BytesIO()
        spm.SentencePieceTrainer.train(sentence_iterator=iter(sentences), model_writer=model, vocab_size=900,
                                       character_coverage=1.0, model_type="unigram", hard_vocab_limit=False,
                                       minloglevel=2, unk_id=1, bos_id=-1, eos_id=0, pad_id=-1)
        (out / f"{side}.spm").write_bytes(model.getvalue())
        proc = spm.SentencePieceProcessor(model_file=str(out / f"{side}.spm"))
        vocab = {"</s>": 0, "<unk>": 1}
        for i in range(proc.get_piece_size()):
            vocab.setdefault(proc.id_to_piece(i), len(vocab))
        vocabs[side] = vocab
    size = max(len(v) for v in vocabs.values()) + 1
    for side, vocab in vocabs.items():
        i = 0
        while len(vocab) < size - 1:
            vocab.setdefault(f"\u2581{side}{i}", len(vocab))
            i += 1
        vocab["<pad>"] = size - 1
    (out / "vocab.json").write_text(json.dumps(vocabs["source"], ensure_ascii=False), encoding="utf-8")
    (out / "target_vocab.json").write_text(json.dumps(vocabs["target"], ensure_ascii=False), encoding="utf-8")
    tok = MarianTokenizer(str(out / "source.spm"), str(out / "target.spm"), str(out / "vocab.json"),
                          target_vocab_file=str(out / "target_vocab.json"), separate_vocabs=True,
                          model_max_length=128)
    tok.save_pretrained(out)
    _seed(seed)
    config = MarianConfig(
        vocab_size=size, decoder_vocab_size=size, d_model=32, encoder_layers=2, decoder_layers=2,
        encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=64, decoder_ffn_dim=64,
        max_position_embeddings=128, pad_token_id=size - 1, eos_token_id=0, decoder_start_token_id=size - 1,
        forced_eos_token_id=0, scale_embedding=True, share_encoder_decoder_embeddings=False,
        tie_word_embeddings=False,
    )
    MarianMTModel(config).eval().save_pretrained(out)
    _card(out, "cc-by-4.0")
    return out
