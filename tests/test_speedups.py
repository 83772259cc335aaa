"""Dynamic batching and the result cache: correctness under threads, eviction, Redis."""
from __future__ import annotations

import threading
from pathlib import Path

import pytest

from models import Engine, SummarizeRequest
from models.cache import CachedEngine, LRUCache, RedisCache, cache_key
from models.inference.batching import BatchingModel
from models.inference.registry import spec_for
from models.inference.seq2seq import Seq2SeqModel


class _Recorder:
    """Wraps a model to record the batch sizes that reach it."""

    def __init__(self, model: Seq2SeqModel) -> None:
        self.model = model
        self.sizes: list[int] = []

    def __getattr__(self, name: str):  # noqa: ANN204
        return getattr(self.model, name)

    def generate(self, texts, settings=None):  # noqa: ANN001, ANN201
        self.sizes.append(len(texts))
        return self.model.generate(texts, settings)


@pytest.fixture(scope="module")
def marian(tiny_models: dict[str, Path]) -> Seq2SeqModel:
    path = tiny_models["marian_ko_en"]
    return Seq2SeqModel(path, spec_for(str(path), ("translate", "ko-en"), path))


class _Tagged(_Recorder):
    """The real model, with each output tagged by its own input inside the batched call: outputs then
    all differ (the tiny model maps most inputs to the same few outputs), so a batcher that handed a
    caller another caller's result would be caught."""

    def generate(self, texts, settings=None):  # noqa: ANN001, ANN201
        return [f"{t} -> {o}" for t, o in zip(texts, super().generate(texts, settings))]


def test_concurrent_calls_are_batched_and_each_gets_its_own_result(marian: Seq2SeqModel) -> None:
    texts = [f"정부는 {i}일 새 정책을 발표했다." for i in range(1, 9)]
    expected = {t: f"{t} -> {marian.generate([t])[0]}" for t in texts}  # one at a time, unbatched
    assert len(set(expected.values())) == len(texts)
    recorder = _Tagged(marian)
    batcher = BatchingModel(recorder, max_batch_size=8, max_wait_ms=200)  # type: ignore[arg-type]
    results: dict[str, str] = {}
    barrier = threading.Barrier(len(texts))

    def call(text: str) -> None:
        barrier.wait()
        results[text] = batcher.generate([text])[0]

    threads = [threading.Thread(target=call, args=(t,)) for t in texts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results == expected
    assert max(recorder.sizes) > 1  # they ran together
    assert sum(recorder.sizes) == len(texts)


def test_batcher_respects_max_batch_size_and_errors(marian: Seq2SeqModel) -> None:
    recorder = _Recorder(marian)
    batcher = BatchingModel(recorder, max_batch_size=2, max_wait_ms=5)  # type: ignore[arg-type]
    texts = ["하나.", "둘.", "셋.", "넷.", "다섯."]
    out = batcher.generate(texts)  # one caller with more than a batch: served in batches of at most 2
    assert recorder.sizes and max(recorder.sizes) <= 2 and sum(recorder.sizes) == len(texts)
    assert len(out) == len(texts) and all(isinstance(o, str) for o in out)
    assert batcher.generate([]) == []

    class Broken:
        model_id = "broken"

        def clamp(self, settings):  # noqa: ANN001, ANN201
            return marian.clamp(settings)

        def generate(self, texts, settings=None):  # noqa: ANN001, ANN201
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        BatchingModel(Broken(), 4, 5).generate(["x"])  # type: ignore[arg-type]


def test_lru_evicts_least_recently_used() -> None:
    cache = LRUCache(2)
    cache.set("a", "1")
    cache.set("b", "2")
    assert cache.get("a") == "1"
    cache.set("c", "3")
    assert cache.get("b") is None and cache.get("a") == "1" and cache.get("c") == "3"
    assert len(cache) == 2


def test_cache_key_covers_text_params_and_models() -> None:
    base = SummarizeRequest(text="A text.")
    k = cache_key(base, {"summarize-en": "m@1"}, "transformers", {"en": 140})
    assert k == cache_key(SummarizeRequest(text="A text."), {"summarize-en": "m@1"}, "transformers", {"en": 140})
    for other in (
        cache_key(SummarizeRequest(text="A text!"), {"summarize-en": "m@1"}, "transformers", {"en": 140}),
        cache_key(SummarizeRequest(text="A text.", max_bullets=2), {"summarize-en": "m@1"}, "transformers",
                  {"en": 140}),
        cache_key(base, {"summarize-en": "m@2"}, "transformers", {"en": 140}),
        cache_key(base, {"summarize-en": "m@1"}, "ctranslate2", {"en": 140}),
        cache_key(base, {"summarize-en": "m@1"}, "transformers", {"en": 100}),
    ):
        assert other != k


def test_cached_engine_answers_repeats(engine: Engine, en_article: str) -> None:
    cached = CachedEngine(engine, LRUCache(8))
    first = cached.summarize(SummarizeRequest(text=en_article))
    second = cached.summarize(SummarizeRequest(text=en_article))
    assert not first.cached and second.cached
    assert [b.text for b in first.bullets] == [b.text for b in second.bullets]
    assert [b.sources for b in first.bullets] == [b.sources for b in second.bullets]
    assert set(second.timings_ms) == {"cache"}
    third = cached.summarize(SummarizeRequest(text=en_article, max_bullets=1))
    assert not third.cached and len(third.bullets) == 1


def test_http_reports_cache_hits(client, en_article: str) -> None:
    from service import Settings, create_app
    from service.runtime import with_cache

    app = create_app(Settings(), engine=with_cache(client.application.extensions["summarizer"].engine(),
                                                   Settings(cache_size=16)))
    c = app.test_client()
    a = c.post("/v1/summarize", json={"text": en_article}).get_json()
    b = c.post("/v1/summarize", json={"text": en_article}).get_json()
    assert a["cached"] is False and b["cached"] is True
    assert a["bullets"] == b["bullets"]


def test_redis_cache_shared_between_engines(redis_url: str, engine: Engine, ko_article: str) -> None:
    one = CachedEngine(engine, RedisCache(redis_url, ttl_s=60))
    two = CachedEngine(engine, RedisCache(redis_url, ttl_s=60))  # another replica
    first = one.summarize(SummarizeRequest(text=ko_article))
    second = two.summarize(SummarizeRequest(text=ko_article))
    assert not first.cached and second.cached
    assert [b.text for b in first.bullets] == [b.text for b in second.bullets]
    assert second.detected == first.detected


def test_redis_down_degrades_to_a_miss(engine: Engine, en_article: str) -> None:
    cached = CachedEngine(engine, RedisCache("redis://127.0.0.1:1/0"))
    assert not cached.summarize(SummarizeRequest(text=en_article)).cached


def test_torch_threads_follow_the_cgroup_quota_and_the_workers(tmp_path, monkeypatch) -> None:
    """Threads per worker = usable CPUs // workers, where a container's CPU quota caps the CPUs."""
    import os

    from service import Settings, config

    cores = len(os.sched_getaffinity(0))
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert config.available_cpus(str(tmp_path)) == cores
    (tmp_path / "cpu.max").write_text("150000 100000\n")  # limits.cpu: 1.5
    assert config.available_cpus(str(tmp_path)) == 1
    assert config.available_cpus(str(tmp_path / "missing")) == cores

    monkeypatch.setattr(config, "available_cpus", lambda: 8)
    assert Settings(workers=2).torch_threads_effective == 4
    assert Settings(workers=16).torch_threads_effective == 1
    assert Settings(workers=2, torch_threads=3).torch_threads_effective == 3


def test_device_setting_resolves_and_refuses_what_cannot_run() -> None:
    import torch

    from models.errors import ModelUnavailable
    from models.inference.registry import resolve_device
    from service.config import Settings, SettingsError

    gpu = torch.cuda.is_available()
    assert resolve_device("cpu") == "cpu"
    assert resolve_device("auto") == ("cuda" if gpu else "cpu")
    assert resolve_device("auto", "transformers-int8") == "cpu"  # dynamic quantization is CPU only
    if not gpu:
        with pytest.raises(ModelUnavailable, match="no CUDA device"):
            resolve_device("cuda")
    assert Settings.from_env({"SUMMARIZER_DEVICE": "cpu"}).device == "cpu"
    for env in ({"SUMMARIZER_DEVICE": "tpu"},
                {"SUMMARIZER_DEVICE": "cuda", "SUMMARIZER_BACKEND": "transformers-int8"}):
        with pytest.raises(SettingsError, match="SUMMARIZER_"):
            Settings.from_env(env)


def test_load_in_background_auto_depends_on_the_workers() -> None:
    from service.config import Settings, SettingsError

    assert Settings(workers=1).load_in_background_effective is True  # /healthz answers while loading
    assert Settings(workers=2).load_in_background_effective is False  # the other worker serves meanwhile
    assert Settings(workers=2, load_in_background="true").load_in_background_effective is True
    assert Settings.from_env({"SUMMARIZER_LOAD_IN_BACKGROUND": "0"}).load_in_background_effective is False
    with pytest.raises(SettingsError, match="SUMMARIZER_LOAD_IN_BACKGROUND"):
        Settings.from_env({"SUMMARIZER_LOAD_IN_BACKGROUND": "sometimes"})


# --- one torch thread per process (models/inference/torch_thread.py) ---------------------------


class _ThreadRecording(Seq2SeqModel):
    """The transformers model, recording the thread that loads it and each thread its generate() runs on."""

    def _load_weights(self) -> None:
        self.loaded_on = threading.get_ident()
        self.generated_on: list[int] = []
        super()._load_weights()
        inner = self.model.generate

        def generate(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            self.generated_on.append(threading.get_ident())
            return inner(*args, **kwargs)

        self.model.generate = generate


def test_torch_loads_and_generates_on_one_thread_whoever_calls(tiny_models: dict[str, Path]) -> None:
    """libgomp throttles its waiting workers once two threads have started OpenMP work on 2 CPUs
    (torch int8 at batch 8, bench.int8: 12,507 voluntary context switches a batch against 9, and 275
    against 340 tokens/s):
    the model loaded on one thread and generating from request or batcher threads must run all its
    torch work on one thread."""
    from models.inference import torch_thread

    path = tiny_models["marian_ko_en"]
    holder: list[_ThreadRecording] = []
    loader = threading.Thread(target=lambda: holder.append(
        _ThreadRecording(path, spec_for(str(path), ("translate", "ko-en"), path))))
    loader.start()
    loader.join()
    model = holder[0]
    outputs: list[list[str]] = []
    callers = [threading.Thread(target=lambda i=i: outputs.append(model.generate([f"문장 {i}입니다."])))
               for i in range(3)]
    for t in callers:
        t.start()
    for t in callers:
        t.join()
    assert len(outputs) == 3 and all(o and o[0] for o in outputs)
    assert len(model.generated_on) == 3
    assert {model.loaded_on, *model.generated_on} == {torch_thread.thread_id()}
    assert loader.ident != model.loaded_on and all(t.ident != model.loaded_on for t in callers)


def test_the_torch_thread_runs_nested_calls_raises_and_is_restarted_after_a_fork() -> None:
    import os

    from models.inference import torch_thread

    def boom() -> None:
        raise ValueError("from the torch thread")

    here = torch_thread.run(threading.get_ident)
    assert here == torch_thread.thread_id() != threading.get_ident()
    assert torch_thread.run(lambda: torch_thread.run(threading.get_ident)) == here  # inline, no deadlock
    with pytest.raises(ValueError, match="from the torch thread"):
        torch_thread.run(boom)
    pid = os.fork()
    if pid == 0:  # the child: the parent's torch thread is not there; a new one answers
        ok = False
        try:
            ok = torch_thread.thread_id() is None and torch_thread.run(threading.get_ident) != here
        finally:
            os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
