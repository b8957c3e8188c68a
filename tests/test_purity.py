"""siaran.sop stays pure Python: no Django import anywhere under it."""

import ast
import subprocess
import sys

from tests.conftest import ROOT


def test_no_module_under_siaran_sop_imports_django():
    for path in (ROOT / "siaran" / "sop").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            for name in names:
                assert not name.startswith("django"), f"{path} imports {name}"


def test_loading_and_running_an_sop_leaves_django_unimported():
    code = (
        "import sys; from siaran.sop.registry import load_catalog; "
        "from siaran.sop import engine; c = load_catalog(); sop = c.sops['rspon-medsos']; "
        "engine.start(sop, engine.Actor('u', frozenset({'unit-kerja'}))); "
        "print(any(m == 'django' or m.startswith('django.') for m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "False"
