"""SUMMARIZER_BACKEND=auto's int8 runtime on a CPU (models/inference/auto.py): by CPU vendor and
memory, said in /v1/models; the rule's inputs read from /proc and the cgroup."""
from __future__ import annotations

from pathlib import Path

import pytest

from models.inference import auto
from models.inference.auto import Host, choose_int8, read_host, torch_int8_estimate, weights_bytes

GIB = 2**30
BART_LARGE = 1_625 * 2**20  # bart-large-cnn's fp32 weights


@pytest.mark.parametrize(("vendor", "memory_gib", "workers", "weights", "runtime", "words"), [
    ("GenuineIntel", 64, 1, [BART_LARGE], "ctranslate2", "Intel CPU, where it computes with MKL"),
    ("AuthenticAMD", 64, 2, [BART_LARGE], "transformers-int8", "torch dynamic int8 on an AMD CPU"),
    # 4 workers x (2.6 x 1.6 GB + 0.5 GB) = 18.9 GiB: over half of 16 GiB, within half of 64
    ("AuthenticAMD", 16, 4, [BART_LARGE], "ctranslate2", "over half of the 16.0 GiB"),
    ("AuthenticAMD", 64, 4, [BART_LARGE], "transformers-int8", "within half of the 64.0 GiB"),
    ("AuthenticAMD", 4, 1, [BART_LARGE, BART_LARGE], "ctranslate2", "would need about 9.2 GiB"),
    ("AuthenticAMD", 0, 1, [BART_LARGE], "ctranslate2", "over half of the 0.0 GiB"),  # memory unknown
    ("", 64, 1, [BART_LARGE], "ctranslate2", "vendor unknown (not measured here"),  # ARM: no vendor_id
    ("HygonGenuine", 64, 1, [BART_LARGE], "ctranslate2", "vendor HygonGenuine"),
])
def test_the_rule_by_vendor_and_memory(vendor: str, memory_gib: int, workers: int, weights: list[int],
                                       runtime: str, words: str) -> None:
    chosen, reason = choose_int8(weights, Host(vendor, memory_gib * GIB, workers), torch_installed=True)
    assert chosen == runtime
    assert reason.startswith("auto: ") and words in reason and "docs/speed.md" in reason


def test_without_torch_amd_gets_ctranslate2() -> None:
    assert choose_int8([BART_LARGE], Host("AuthenticAMD", 64 * GIB, 1), torch_installed=False) == (
        "ctranslate2", "auto: CTranslate2 int8 (torch is not installed)")


def test_the_estimate_counts_every_worker_and_model() -> None:
    one = int(2.6 * BART_LARGE) + 500 * 2**20
    assert torch_int8_estimate([BART_LARGE], 1) == one
    assert torch_int8_estimate([BART_LARGE, BART_LARGE], 3) == 6 * one


def test_the_host_is_read_from_proc_and_the_cgroup_limit(tmp_path: Path) -> None:
    proc, cgroup = tmp_path / "proc", tmp_path / "cgroup"
    proc.mkdir()
    cgroup.mkdir()
    (proc / "cpuinfo").write_text("processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC\n\n"
                                  "processor\t: 1\nvendor_id\t: AuthenticAMD\n", encoding="utf-8")
    (proc / "meminfo").write_text("MemTotal:       25165824 kB\nMemFree:        1000 kB\n", encoding="ascii")
    (cgroup / "memory.max").write_text("max\n", encoding="ascii")
    assert read_host(2, str(proc), str(cgroup)) == Host("AuthenticAMD", 24 * GIB, 2)
    (cgroup / "memory.max").write_text(f"{4 * GIB}\n", encoding="ascii")  # a container's limit
    assert read_host(0, str(proc), str(cgroup)) == Host("AuthenticAMD", 4 * GIB, 1)
    (proc / "cpuinfo").write_text("processor\t: 0\nBogoMIPS\t: 50.00\n", encoding="utf-8")  # aarch64
    assert read_host(1, str(proc), str(tmp_path / "none")).vendor == ""


def test_weights_are_the_checkpoint_files(tiny_models: dict[str, Path]) -> None:
    folder = tiny_models["marian_ko_en"]
    files = list(folder.glob("*.safetensors")) or list(folder.glob("*.bin"))
    assert files and weights_bytes(folder) == sum(f.stat().st_size for f in files) > 0
    assert weights_bytes(folder / "nowhere") == 0


@pytest.mark.parametrize(("vendor", "backend", "reason"), [
    ("AuthenticAMD", "transformers-int8", "auto: torch dynamic int8 on an AMD CPU"),
    ("GenuineIntel", "ctranslate2", "auto: CTranslate2 int8 on an Intel CPU"),
])
def test_the_service_loads_what_the_rule_picks_and_says_why(tiny_models: dict[str, Path], tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch, vendor: str,
                                                            backend: str, reason: str) -> None:
    from service import create_app
    from service.config import Settings
    from service.runtime import build_engine

    monkeypatch.setattr(auto, "read_host", lambda workers: Host(vendor, 64 * GIB, workers))
    settings = Settings(models_dir=str(tmp_path), backend="auto", torch_threads=1, workers=2,
                        model_translate_ko_en=str(tiny_models["marian_ko_en"]))
    engine = build_engine(settings)
    client = create_app(settings, engine=engine).test_client()
    models = client.get("/v1/models").get_json()
    served = [m for m in models["models"] if m.get("backend")]
    assert served and all(m["backend"] == backend and m["backend_reason"].startswith(reason) for m in served), served
    body = client.post("/v1/translate", json={"text": "시는 내년부터 전기버스를 운행한다.", "target_lang": "en"})
    assert body.status_code == 200 and body.get_json()["sentences"][0]["translation"]
