"""Seq2seq backends (transformers, CTranslate2), dynamic batching and the model registry. Never
imports ``models.text``: the engine knows models only through the protocols ``models.pipeline``
defines."""
