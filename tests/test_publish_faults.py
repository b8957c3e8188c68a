"""The long fault run in small: a few killed workers, and still nothing twice, nothing lost.

Runs bench/publish_faults.py as the operator would (its own data folder, sandboxes and
real `siaran db_worker` processes killed with SIGKILL); the full run is in bench/README.md.
"""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_killed_workers_post_nothing_twice_and_lose_nothing(tmp_path):
    command = [sys.executable, str(ROOT / "bench" / "publish_faults.py"), "--kills", "4"]
    command += ["--jobs", "2", "--limit", "100", "--name", "faults", "--results", str(tmp_path)]
    finished = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=180)
    report = json.loads((tmp_path / "faults.json").read_text())
    assert report["kills"] == 4, finished.stderr
    assert report["jobs"] >= 3 and report["posts"] == report["jobs"], report
    assert report["duplicates"] == 0 and report["lost"] == 0, report["lost_jobs"]
    assert finished.returncode == 0
