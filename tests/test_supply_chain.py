"""Known vulnerabilities in the installed packages (pip-audit over this venv, which holds the dev
lock: every runtime package and the test tools).

Where pip-audit cannot reach its vulnerability data (these machines see only package indexes), it
lists every package as "could not be audited" and still prints "No known vulnerabilities found";
this test reads its JSON instead, fails on any vulnerability it did find, and otherwise reports the
packages it could not check as *not audited*, a skip, never a pass. Where the service is reachable:
``.venv/bin/pip-audit -l`` (this venv) or ``pip-audit -r requirements.txt``.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

PIP_AUDIT = Path(sys.executable).with_name("pip-audit")


@pytest.mark.timeout(600)
def test_no_known_vulnerabilities(tmp_path: Path) -> None:
    report = tmp_path / "audit.json"
    done = subprocess.run([str(PIP_AUDIT), "-l", "--progress-spinner", "off", "-f", "json", "-o", str(report)],
                          capture_output=True, text=True, timeout=580)
    assert report.exists(), done.stderr[-3000:]
    deps = json.loads(report.read_text(encoding="utf-8"))["dependencies"]
    vulnerable = {f"{d['name']} {d['version']}": [v["id"] for v in d["vulns"]] for d in deps if d.get("vulns")}
    assert not vulnerable, f"known vulnerabilities: {vulnerable}"
    skipped = [d for d in deps if "skip_reason" in d]
    if skipped:
        reasons = sorted({d["skip_reason"].split(":")[0] for d in skipped})
        pytest.skip(f"not audited: {len(skipped)} of {len(deps)} packages could not be checked for known "
                    f"vulnerabilities ({'; '.join(reasons)}); run `.venv/bin/pip-audit -l` where its "
                    "vulnerability service is reachable")
    assert deps and done.returncode == 0, done.stderr[-3000:]
