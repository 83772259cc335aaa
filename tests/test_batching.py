"""Dynamic batching under steady load: callers that come straight back join the next batch."""
from __future__ import annotations

import copy
import statistics
import threading
import time
from collections.abc import Callable, Sequence

from models.inference.batching import COMING_WAIT_S, RETURN_SHARE, BatchingModel
from models.inference.seq2seq import GenerationSettings


class _SlowModel:
    """Stands in for a model: each generate call takes ``seconds`` whatever the batch size."""

    model_id = "slow"
    backend = "fake"

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.sizes: list[int] = []
        self.spans: list[tuple[float, float]] = []  # each batch's start and end (time.monotonic)

    def clamp(self, settings: GenerationSettings | None) -> GenerationSettings:
        return settings or GenerationSettings()

    def generate(self, texts: Sequence[str], settings: GenerationSettings | None = None) -> list[str]:
        self.sizes.append(len(texts))
        start = time.monotonic()
        time.sleep(self.seconds)
        self.spans.append((start, time.monotonic()))
        return [t.upper() for t in texts]

    def gaps(self) -> list[float]:
        """Seconds the model sat idle between one batch's end and the next one's start."""
        return [b[0] - a[1] for a, b in zip(self.spans, self.spans[1:], strict=False)]


def _run_together(target: Callable[[int], None], n: int, timeout: float) -> None:
    """``target(0)`` .. ``target(n - 1)`` on threads of their own, started together and joined."""
    threads = [threading.Thread(target=target, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)


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


def test_callers_coming_back_rejoin_instead_of_taking_turns() -> None:
    """8 clients in two groups of 4 that start 0.2 s apart; each client needs 20 ms between an answer
    and its next call (a server writes the response, reads and splits the next request), longer than
    the 10 ms wait. Without waiting for the last batch's callers, the groups took turns for good
    (batches of 4); with it, the first group's callers are waited for and every later batch is 8."""
    model = _SlowModel(0.5)
    batcher = BatchingModel(model, max_batch_size=8, max_wait_ms=10)  # type: ignore[arg-type]

    def client(i: int) -> None:
        time.sleep(0.2 if i >= 4 else 0.0)
        for k in range(6):
            time.sleep(0.02)
            assert batcher.generate([f"{i}-{k}"]) == [f"{i}-{k}"]

    _run_together(client, 8, timeout=60)
    assert sum(model.sizes) == 8 * 6
    assert model.sizes[0] == 4 and statistics.median(model.sizes[2:]) == 8, model.sizes


def test_a_lone_caller_never_waits_for_itself() -> None:
    """One client calling again at once, and one caller whose 20 texts go out in 3 batches: each
    next batch starts within the 10 ms wait of the last one's end, not after the wait for returning
    callers (100 ms here): a lone caller's next call is its own return, and a caller with pieces
    still queued has not left."""
    model = _SlowModel(1.0)
    batcher = BatchingModel(model, max_batch_size=8, max_wait_ms=10)  # type: ignore[arg-type]
    for k in range(3):
        assert batcher.generate([f"call {k}"]) == [f"CALL {k}"]
    assert batcher.generate([f"s{i}" for i in range(20)]) == [f"S{i}" for i in range(20)]
    assert model.sizes == [1, 1, 1, 8, 8, 4]
    assert max(model.gaps()) < 0.06, model.gaps()


def test_a_caller_that_does_not_come_back_costs_at_most_a_share_of_a_batch() -> None:
    """Caller A's batch runs while B queues; A never calls again. B's batch waits for A at most
    RETURN_SHARE of A's batch (0.1 x 1 s), then goes."""
    model = _SlowModel(1.0)
    batcher = BatchingModel(model, max_batch_size=8, max_wait_ms=10)  # type: ignore[arg-type]
    a = threading.Thread(target=batcher.generate, args=(["a"],))
    a.start()
    time.sleep(0.3)
    assert batcher.generate(["b"]) == ["B"]
    a.join()
    assert model.sizes == [1, 1]
    share = RETURN_SHARE * (model.spans[0][1] - model.spans[0][0])  # 0.1 x A's batch: about 0.1 s
    assert 0.8 * share <= model.gaps()[0] < share + 0.08, (model.gaps(), share)


def test_a_batch_waits_for_callers_still_being_prepared() -> None:
    """8 requests arrive at once and announce their model call (``expecting``); their texts take
    0-70 ms to prepare (a sentence split each, one after the other), longer than the 10 ms wait. The
    first batch waits for the announced callers and takes all 8; without the announcement it left
    with the first one or two."""
    model = _SlowModel(0.05)
    batcher = BatchingModel(model, max_batch_size=8, max_wait_ms=10)  # type: ignore[arg-type]
    start = threading.Barrier(8)

    def request(i: int) -> None:
        start.wait()
        with batcher.expecting():
            time.sleep(0.01 * i)  # preparing the text
            assert batcher.generate([f"text {i}"]) == [f"TEXT {i}"]

    _run_together(request, 8, timeout=10)
    assert model.sizes == [8]


def test_an_announced_caller_is_waited_for_at_most_coming_wait() -> None:
    model = _SlowModel(0.0)
    batcher = BatchingModel(model, max_batch_size=8, max_wait_ms=10)  # type: ignore[arg-type]
    announced = threading.Event()
    release = threading.Event()

    def slow_request() -> None:
        with batcher.expecting():
            announced.set()
            release.wait(5)  # a long preparation
            batcher.generate(["late"])

    slow = threading.Thread(target=slow_request)
    slow.start()
    announced.wait(5)
    t0 = time.monotonic()
    assert batcher.generate(["now"]) == ["NOW"]
    waited = time.monotonic() - t0
    release.set()
    slow.join(5)
    assert COMING_WAIT_S * 0.9 <= waited < COMING_WAIT_S + 0.3, waited
    assert model.sizes == [1, 1]


def test_an_announcement_without_a_call_stops_holding_batches() -> None:
    model = _SlowModel(0.0)
    batcher = BatchingModel(model, max_batch_size=8, max_wait_ms=10)  # type: ignore[arg-type]
    try:
        with batcher.expecting():
            raise ValueError("the request failed before its model call")
    except ValueError:
        pass
    t0 = time.monotonic()
    assert batcher.generate(["alone"]) == ["ALONE"]
    assert time.monotonic() - t0 < COMING_WAIT_S * 0.8  # nobody left to wait for


class _BatchedTranslator:
    """A translator over a batching model, naming it as its ``batcher`` as the registry's do."""

    model_id = "slow"

    def __init__(self, model: BatchingModel) -> None:
        self.model = model

    @property
    def batcher(self) -> BatchingModel:
        return self.model

    def translate(self, texts: Sequence[str]) -> list[str]:
        return self.model.generate(list(texts))


def test_the_pipeline_announces_its_model_calls_while_it_splits() -> None:
    """8 Korean articles translated at once: each is split first, one after another (kiwipiepy
    holds the GIL; a lock makes sure of it here; about 6 ms each), then translated in one generate
    call. The engine announces the call before splitting, so the first batch waits for the others."""
    from models import Engine

    model = _SlowModel(0.05)
    batcher = BatchingModel(model, max_batch_size=8 * 20, max_wait_ms=10)  # type: ignore[arg-type]
    engine = Engine(translators={("ko", "en"): _BatchedTranslator(batcher)})
    text = " ".join(f"{i}번째 문장에서 정부는 새 정책을 발표했고 시행은 내년부터라고 밝혔다." for i in range(20))
    engine.translate(text, "ko", "en")  # warm kiwipiepy
    model.sizes.clear()
    split, one_at_a_time = engine.splitter.split, threading.Lock()

    def serial_split(*args: object, **kwargs: object) -> list:
        time.sleep(0.002)  # every request announces itself before the first split takes the lock
        with one_at_a_time:
            return split(*args, **kwargs)

    engine.splitter = copy.copy(engine.splitter)
    engine.splitter.split = serial_split  # type: ignore[method-assign]
    start = threading.Barrier(8)
    results: list[int] = []

    def request() -> None:
        start.wait()
        results.append(len(engine.translate(text, "ko", "en").sentences))

    threads = [threading.Thread(target=request) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert results == [20] * 8 and sum(model.sizes) == 8 * 20
    # all 8 in one batch, or 7 when thread scheduling delays the last split past COMING_WAIT_S;
    # without the announcement the first batch held one to three articles
    assert model.sizes[0] >= 7 * 20, model.sizes


def test_announcements_follow_the_request_into_the_engine_thread_and_settle() -> None:
    """The guard announces a request to every batcher before the thread hop; the engine thread
    (a copy of the context) uses the announcement when it queues, and releases the others once it
    knows which models it calls; nothing is released twice."""
    import contextvars
    from concurrent.futures import ThreadPoolExecutor

    from models.inference.announce import announced, batcher_of, calls

    ko_en = BatchingModel(_SlowModel(0.0), max_batch_size=8, max_wait_ms=10)  # type: ignore[arg-type]
    en_ko = BatchingModel(_SlowModel(0.0), max_batch_size=8, max_wait_ms=10)  # type: ignore[arg-type]
    translator = _BatchedTranslator(ko_en)
    assert batcher_of(translator) is ko_en and batcher_of(object()) is None

    def engine_call() -> list[str]:
        with calls([translator]):  # this request translates ko->en only, as the engine says
            assert (ko_en._coming, en_ko._coming) == (1, 0)
            return translator.translate(["one"])

    with ThreadPoolExecutor(1) as pool, announced([translator, _BatchedTranslator(en_ko)]):
        assert (ko_en._coming, en_ko._coming) == (1, 1)
        assert pool.submit(contextvars.copy_context().run, engine_call).result(5) == ["ONE"]
        assert (ko_en._coming, en_ko._coming) == (0, 0)  # used in the engine thread
    assert (ko_en._coming, en_ko._coming) == (0, 0)  # and not released again on the way out


def test_the_coming_wait_is_a_setting() -> None:
    import pytest

    from service.config import Settings, SettingsError

    assert Settings.from_env({"SUMMARIZER_BATCH_COMING_WAIT_MS": "40"}).batch_coming_wait_ms == 40
    with pytest.raises(SettingsError, match="SUMMARIZER_BATCH_COMING_WAIT_MS"):
        Settings.from_env({"SUMMARIZER_BATCH_COMING_WAIT_MS": "-1"})
    slow = BatchingModel(_SlowModel(0.0), max_batch_size=8, max_wait_ms=10, coming_wait_ms=40)  # type: ignore[arg-type]
    assert slow.coming_wait == 0.04
