"""Create .venv with pip in it, even where Debian's python3-venv (ensurepip) is missing.

Only the standard library is used: without ensurepip the venv is made without pip, and
pip's own wheel is fetched from the package index and run to install itself.
"""

import json
import os
import subprocess
import sys
import tempfile
import urllib.request
import venv
from pathlib import Path

INDEX = os.environ.get("PIP_INDEX_URL", "https://pypi.org/simple").rstrip("/")


def main(target: str) -> None:
    path = Path(target)
    python = path / "bin" / "python"
    try:
        venv.create(path, with_pip=True, clear=True)
        return
    except (subprocess.CalledProcessError, OSError) as error:
        print(f"ensurepip is not available ({error}); installing pip from the index instead.")
    venv.create(path, with_pip=False, clear=True)
    wheel = _download_pip_wheel()
    subprocess.run([str(python), f"{wheel}/pip", "install", "--no-index", str(wheel)], check=True)


def _download_pip_wheel() -> Path:
    base = INDEX.removesuffix("/simple")
    with urllib.request.urlopen(f"{base}/pypi/pip/json", timeout=60) as response:  # noqa: S310
        release = json.load(response)
    url = next(f["url"] for f in release["urls"] if f["filename"].endswith(".whl"))
    wheel = Path(tempfile.mkdtemp()) / url.rsplit("/", 1)[1]
    with urllib.request.urlopen(url, timeout=120) as response:  # noqa: S310
        wheel.write_bytes(response.read())
    return wheel


if __name__ == "__main__":
    if sys.version_info < (3, 11):  # noqa: UP036 - run by whatever python3 the machine has
        sys.exit(f"Siaran needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    main(sys.argv[1] if len(sys.argv) > 1 else ".venv")
