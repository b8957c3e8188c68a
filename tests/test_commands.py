"""The `siaran` console command, run as a newcomer runs it: a real process."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.sopfiles import MINIMAL

SIARAN = shutil.which("siaran", path=str(Path(sys.executable).parent)) or "siaran"


def siaran(*args: str, env: dict | None = None, tmp_data: Path | None = None):
    environment = {**os.environ, **(env or {})}
    if tmp_data is not None:
        environment["SIARAN_DATA_DIR"] = str(tmp_data)
    return subprocess.run(
        [SIARAN, *args], capture_output=True, text=True, env=environment, cwd=ROOT, timeout=120
    )


@pytest.fixture
def data_dir(tmp_path) -> Path:
    return tmp_path / "data"


def test_sop_list(data_dir):
    result = siaran("sop", "list", tmp_data=data_dir)
    assert result.returncode == 0, result.stderr
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert {row[0] for row in rows} == {"rspon-medsos", "poltekkes-jkt2-publikasi"}
    by_id = {row[0]: row for row in rows}
    assert by_id["rspon-medsos"][2].startswith("Rumah Sakit Pusat Otak Nasional")
    assert by_id["poltekkes-jkt2-publikasi"][1] == "Publikasi melalui Website dan Media Sosial"


def test_sop_show_json_rspon(data_dir):
    result = siaran("sop", "show", "rspon-medsos", "--json", tmp_data=data_dir)
    assert result.returncode == 0, result.stderr
    sop = json.loads(result.stdout)
    assert sop["id"] == "rspon-medsos"
    assert sop["number"] == "OT.02.02/XXXIX/8803/2022"
    assert sop["effective"] == "2022-09-22"
    assert sop["ratified_by"]["nip"] == "196209131988031002"
    assert len(sop["lanes"]) == 6 and set(sop["lanes"][0]) >= {"id", "name"}
    steps = sop["steps"]
    assert [s["duration"] for s in steps] == [
        "PT15M",
        "P1D",
        "PT15M",
        "PT1H",
        "PT30M",
        "PT30M",
        "PT10M",
        "PT2H",
    ]
    for step in steps:
        assert set(step) >= {
            "id",
            "no",
            "activity",
            "lane",
            "inputs",
            "duration",
            "output",
            "remarks",
            "outcomes",
        }
    assert [s["no"] for s in steps][-2:] == [None, None]
    review = steps[6]
    assert {o["id"]: o["next"] for o in review["outcomes"]} == {"ya": "upload", "tidak": "edit"}
    assert steps[-1]["next"] is None and steps[-1]["outcomes"] == []
    positions = {s["id"]: i for i, s in enumerate(steps)}
    assert positions["edit"] < positions["director-review"]


def test_sop_show_json_poltekkes(data_dir):
    sop = json.loads(
        siaran("sop", "show", "poltekkes-jkt2-publikasi", "--json", tmp_data=data_dir).stdout
    )
    assert sop["ratified_by"]["nip"] == "197306131997032001"
    assert len(sop["lanes"]) == 6
    assert [s["duration"] for s in sop["steps"]] == [
        "PT5M",
        "PT10M",
        "PT2H",
        "PT10M",
        "PT10M",
        "PT10M",
        "PT10M",
        "PT5M",
    ]
    positions = {s["id"]: i for i, s in enumerate(sop["steps"])}
    reviews = [s for s in sop["steps"] if s["outcomes"]]
    assert len(reviews) == 4
    for review in reviews:
        outcomes = {o["id"]: o["next"] for o in review["outcomes"]}
        assert set(outcomes) == {"ya", "tidak"}
        assert positions[outcomes["tidak"]] < positions[review["id"]]


def test_sop_show_table_in_both_languages(data_dir):
    indonesian = siaran("sop", "show", "poltekkes-jkt2-publikasi", tmp_data=data_dir)
    assert indonesian.returncode == 0, indonesian.stderr
    assert "Nomor SOP" in indonesian.stdout and "Kegiatan" in indonesian.stdout
    assert "197306131997032001" in indonesian.stdout
    assert "Menyusun rencana konten publikasi" in indonesian.stdout
    english = siaran("sop", "show", "poltekkes-jkt2-publikasi", "--lang", "en", tmp_data=data_dir)
    assert "SOP number" in english.stdout and "Activity" in english.stdout
    assert "Draw up the content plan" in english.stdout


def test_sop_show_unknown_id(data_dir):
    result = siaran("sop", "show", "tidak-ada", tmp_data=data_dir)
    assert result.returncode != 0
    assert "tidak-ada" in result.stderr and "Traceback" not in result.stderr


def test_sop_check_builtins_pass(data_dir):
    files = [str(p) for p in sorted((ROOT / "siaran" / "sop" / "builtin").glob("*.yaml"))]
    result = siaran("sop", "check", *files, tmp_data=data_dir)
    assert result.returncode == 0, result.stdout + result.stderr


def test_sop_check_reports_every_problem_and_exits_1(tmp_path, data_dir):
    good = tmp_path / "good.yaml"
    good.write_text(MINIMAL, encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        MINIMAL.replace("lane: direktur", "lane: bos").replace("2 jam", "dua jam"), encoding="utf-8"
    )
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: [\n", encoding="utf-8")
    result = siaran(
        "sop",
        "check",
        str(good),
        str(bad),
        str(broken),
        str(tmp_path / "none.yaml"),
        "--lang",
        "en",
        tmp_data=data_dir,
    )
    assert result.returncode == 1
    out = result.stdout
    assert "Traceback" not in out + result.stderr
    assert f"{bad}:30: steps[2].lane: 'bos' is not a lane of this SOP" in out
    assert f"{bad}:40: steps[3].time: 'dua jam' is not a time" in out
    assert f"{broken}:2: not valid YAML" in out
    assert "none.yaml:1: cannot read the file" in out
    assert f"{good}: valid" in out


def test_sop_check_speaks_indonesian_by_default(tmp_path, data_dir):
    bad = tmp_path / "bad.yaml"
    bad.write_text(MINIMAL.replace("lane: direktur", "lane: bos"), encoding="utf-8")
    result = siaran("sop", "check", str(bad), tmp_data=data_dir)
    assert result.returncode == 1
    assert "steps[2].lane: 'bos' bukan lajur pada SOP ini" in result.stdout


def test_sop_dirs_add_files_and_bad_ones_are_left_out(tmp_path, data_dir):
    extra = tmp_path / "sops"
    extra.mkdir()
    (extra / "mini.yaml").write_text(MINIMAL, encoding="utf-8")
    (extra / "rusak.yaml").write_text("id: rusak\n", encoding="utf-8")
    result = siaran("sop", "list", env={"SIARAN_SOP_DIRS": str(extra)}, tmp_data=data_dir)
    assert result.returncode == 0
    assert "mini\tSOP Mini\tInstansi Uji" in result.stdout
    assert "rusak.yaml" in result.stderr


def test_django_commands_work_and_state_lives_in_the_data_folder(data_dir):
    embedded = {"DATABASE_URL": ""}  # the default, even in the PostgreSQL run of CI
    result = siaran("migrate", "--noinput", env=embedded, tmp_data=data_dir)
    assert result.returncode == 0, result.stderr
    assert (data_dir / "siaran.sqlite3").exists()
    assert (data_dir / "secret_key").stat().st_mode & 0o077 == 0
    check = siaran("check", env=embedded, tmp_data=data_dir)
    assert check.returncode == 0, check.stderr


def test_database_url_is_honoured(tmp_path, data_dir):
    db = tmp_path / "other.sqlite3"
    result = siaran(
        "migrate", "--noinput", env={"DATABASE_URL": f"sqlite:///{db}"}, tmp_data=data_dir
    )
    assert result.returncode == 0, result.stderr
    assert db.exists() and not (data_dir / "siaran.sqlite3").exists()


def test_production_settings_pass_the_deploy_check(data_dir):
    result = siaran(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        tmp_data=data_dir,
        env={
            "SIARAN_DEBUG": "0",
            "SIARAN_SECRET_KEY": "k" * 60 + "-Xy9%Zq",
            "SIARAN_BASE_URL": "https://siaran.example.go.id",
            "SIARAN_CREDENTIALS_KEY": "c" * 43 + "=",  # channel credentials' own key
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
