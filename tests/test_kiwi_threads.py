"""kiwipiepy as the service builds it starts no threads: the gunicorn master builds it before it
forks, and a thread pool would not survive the fork (workers aborted at exit joining its threads).
Since kiwipiepy 0.21 ``num_workers=0`` means one thread and no pool; its default (-1) is a pool of
every core. Threads are counted by the OS (/proc/self/task), in a fresh process."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

COUNT = r"""
import os, sys, warnings
warnings.simplefilter("error", DeprecationWarning)  # the service's construction warns about nothing
from kiwipiepy import Kiwi
from models.text.sentences import SentenceSplitter  # imports (numpy's BLAS pool, ...) happen first
def tasks(): return len(os.listdir("/proc/self/task"))
before = tasks()
text = "정부는 새 정책을 발표했다. 내년부터 시행한다. 시는 예산 1조 원을 투입할 계획이다. " * 20
if sys.argv[1] == "service":
    kept = SentenceSplitter()  # kept alive while counting: a collected Kiwi joins its pool
    kept.split(text, "ko")
else:
    kept = Kiwi(load_multi_dict=False)
    kept.split_into_sents(text, return_tokens=True)
print(tasks() - before)
"""


def _new_threads(how: str) -> int:
    done = subprocess.run([sys.executable, "-c", COUNT, how], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return int(done.stdout.split()[-1])


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="counts threads through Linux's /proc")
def test_the_service_s_kiwi_starts_no_threads() -> None:
    assert _new_threads("service") == 0


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="counts threads through Linux's /proc")
def test_kiwipiepy_s_default_would_start_a_pool() -> None:
    """What the service's setting avoids, so the count above can fail."""
    assert _new_threads("default") >= 1
