"""The locks: requirements*.txt are what pip-compile makes of the requirements*.in files, every
package pinned with the reason it is there, the core lock hashed and a subset of the full one."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LOCKS = ("requirements-core.txt", "requirements.txt", "requirements-dev.txt")
RAY_LOCK = "requirements-ray.txt"  # Ray Data for `batch --engine ray`: its own extra, never in the image


def _entries(name: str) -> dict[str, str]:
    """``package -> its whole entry`` (the pin, its hashes and its ``# via`` lines) of one lock."""
    entries: dict[str, str] = {}
    current = None
    for line in (ROOT / name).read_text(encoding="utf-8").splitlines():
        m = re.match(r"([A-Za-z0-9][A-Za-z0-9._-]*)(\[[\w.-]+\])?==", line)
        if m:
            current = re.sub(r"[-_.]+", "-", m[1].lower()) + (m[2] or "")
            entries[current] = ""
        elif line and not line.startswith((" ", "#")):
            pytest.fail(f"{name}: a line that is no pin: {line!r}")
        if current:
            entries[current] += line + "\n"
    return entries


def _version(entry: str) -> str:
    return entry.split("==", 1)[1].split()[0]


def pins(lock: str) -> dict[str, str]:
    """``package -> version`` of one lock (its extras' extra pins left out)."""
    return {name: _version(entry) for name, entry in _entries(lock).items() if "[" not in name}


@pytest.mark.parametrize("lock", (*LOCKS, RAY_LOCK))
def test_every_package_pinned_with_its_reason(lock: str) -> None:
    entries = _entries(lock)
    assert len(entries) > 40
    for name, entry in entries.items():
        assert re.fullmatch(r"[0-9][0-9A-Za-z.+!]*", _version(entry)), entry
        assert "# via" in entry, f"{lock}: {name} has no '# via' line"


def test_core_lock_is_hashed_and_nested_in_the_others() -> None:
    core, full, dev = (_entries(lock) for lock in LOCKS)
    for name, entry in core.items():
        assert "--hash=sha256:" in entry, f"requirements-core.txt: {name} has no hash"
    for small, big, big_name in ((core, full, "requirements.txt"), (full, dev, "requirements-dev.txt")):
        for name, entry in small.items():
            assert name in big, f"{name} missing from {big_name}"
            assert _version(big[name]) == _version(entry), f"{name} pinned differently in {big_name}"
    assert set(core) < set(full) < set(dev)


def test_lock_holds_what_the_runtime_imports() -> None:
    core, full = _entries("requirements-core.txt"), _entries("requirements.txt")
    # jusText (trafilatura's fallback) imports lxml.html.clean: the extra that brings it is pinned
    assert "lxml-html-clean" in core and "# via lxml" in core["lxml-html-clean"]
    assert "-r requirements-core.in" in core["lxml"]
    # ... and pinned as jusText spells it too, so pip < 23.3 installs the hashed lock (pin_extras.py)
    assert _version(core["lxml[html_clean]"]) == _version(core["lxml"])
    assert core["lxml[html_clean]"].count("--hash") == core["lxml"].count("--hash")
    # the CPU build of torch, never the CUDA one with its nvidia-* packages
    assert _version(full["torch"]) == "2.13.0+cpu"
    assert not [name for name in full if name.startswith("nvidia-")]
    assert not {"torch", "transformers", "ctranslate2"} & set(core)


@pytest.mark.timeout(900)
def test_locks_in_sync_with_their_in_files() -> None:
    """Recompiling in a scratch folder (keeping the pins) gives the committed locks byte for byte, so
    a hand edit, or an .in edit that was not compiled, fails here."""
    done = subprocess.run(["bash", "scripts/refresh-lock.sh", "--check"], cwd=ROOT,
                          capture_output=True, text=True, timeout=880)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    assert "locks in sync" in done.stdout


def test_ray_lock_installs_on_top_of_the_dev_lock() -> None:
    """CI installs the dev lock, then the Ray lock: every package both pin has the same pin there, the
    Ray lock holds the whole runtime (so it also installs alone), and no other lock has Ray."""
    ray_lock, dev, full = pins(RAY_LOCK), pins("requirements-dev.txt"), pins("requirements.txt")
    assert "ray" in ray_lock and "pyarrow" in ray_lock
    assert {n: v for n, v in ray_lock.items() if n in dev} == {n: dev[n] for n in ray_lock if n in dev}
    assert {n: ray_lock.get(n) for n in full} == full, "a runtime package missing or pinned differently"
    for lock in LOCKS:
        assert "ray" not in pins(lock), f"{lock} has ray: it belongs in {RAY_LOCK} only"


@pytest.mark.parametrize("lock", (*LOCKS, RAY_LOCK))
def test_lock_serves_every_python_3_11(lock: str) -> None:
    """A dependency that a locked package asks for on some Python 3.11 only (redis wants
    async-timeout below 3.11.3, and Debian bookworm's python3.11 is 3.11.2) is in the lock too:
    the lock is compiled on one 3.11 and installed on others (the CI's container base)."""
    import importlib.metadata

    from packaging.markers import default_environment
    from packaging.requirements import Requirement

    if lock == RAY_LOCK:
        pytest.importorskip("ray", reason="the Ray lock is not installed (bash scripts/setup.sh --ray)")
    entries = _entries(lock)
    missing = []
    for name in (n for n in entries if "[" not in n):
        for spec in importlib.metadata.distribution(name).requires or []:
            req = Requirement(spec)
            if req.marker is None or "extra" in str(req.marker):
                continue
            for patch in range(0, 15):
                env = {**default_environment(), "python_version": "3.11", "python_full_version": f"3.11.{patch}"}
                if req.marker.evaluate(env) and re.sub(r"[-_.]+", "-", req.name.lower()) not in entries:
                    missing.append(f"{name} needs {spec} on Python 3.11.{patch}")
                    break
    assert not missing, missing
