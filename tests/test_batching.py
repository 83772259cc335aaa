"""Dynamic batching under steady load: callers that come straight back join the next batch."""
from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Sequence

from models.inference.batching import BatchingModel
from models.inference.seq2seq import GenerationSettings


class _SlowModel:
    """Stands in for a model: each generate call takes ``seconds`` whatever the batch size."""

    model_id = "slow"
    backend = "fake"

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.sizes: list[int] = []

    def clamp(self, settings: GenerationSettings | None) -> GenerationSettings:
        return settings or GenerationSettings()

    def generate(self, texts: Sequence[str], settings: GenerationSettings | None = None) -> list[str]:
        self.sizes.append(len(texts))
        time.sleep(self.seconds)
        return [t.upper() for t in texts]


def test_steady_clients_fill_batches_after_a_ragged_start() -> None:
    """8 clients, each sending its next request as soon as it has an answer, starting 15 ms apart
    (longer than the wait, so the first batch is ragged). Counting the wait from the first caller's
    arrival kept batches ragged for good (sizes alternating, e.g. 1 and 7); counted from when the
    batcher is free, the callers of the batch that just finished join the next one."""
    model = _SlowModel(0.05)
    batcher = BatchingModel(model, max_batch_size=8, max_wait_ms=10)  # type: ignore[arg-type]
    wrong: list[str] = []

    def client(i: int) -> None:
        time.sleep(0.015 * i)
        for k in range(12):
            text = f"client {i} request {k}"
            if batcher.generate([text]) != [text.upper()]:
                wrong.append(text)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not wrong and sum(model.sizes) == 8 * 12
    steady = model.sizes[len(model.sizes) // 3 :]
    assert statistics.median(steady) == 8, model.sizes
