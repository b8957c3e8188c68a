"""docs/sop.schema.json stays true to the loader."""

import json

import jsonschema
import pytest
import yaml

from siaran.sop import load
from siaran.sop.registry import BUILTIN_DIR
from tests.conftest import ROOT
from tests.sopfiles import MINIMAL

SCHEMA = json.loads((ROOT / "docs" / "sop.schema.json").read_text(encoding="utf-8"))


class _TextDates(load._yaml_loader(yaml.SafeLoader)):
    """YAML as the SOP loader reads it, but with dates kept as text, as JSON has them."""


_TextDates.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _TextDates.yaml_implicit_resolvers.items()
}


def as_json(text: str):
    return yaml.load(text, Loader=_TextDates)  # noqa: S506 - a SafeLoader subclass


def test_schema_is_a_valid_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("path", sorted(BUILTIN_DIR.glob("*.yaml")), ids=lambda p: p.stem)
def test_builtin_files_match_the_schema(path):
    jsonschema.validate(as_json(path.read_text(encoding="utf-8")), SCHEMA)


@pytest.mark.parametrize(
    ("schema_path", "fields"),
    [
        (("properties",), load.SOP_FIELDS),
        (("properties", "ratified_by", "properties"), load.PERSON_FIELDS),
        (("$defs", "lane", "properties"), load.LANE_FIELDS),
        (("$defs", "step", "properties"), load.STEP_FIELDS),
        (("$defs", "outcome", "properties"), load.OUTCOME_FIELDS),
        (("$defs", "channel", "properties"), load.CHANNEL_FIELDS),
        (("$defs", "document", "properties"), load.DOCUMENT_FIELDS),
    ],
)
def test_schema_names_exactly_the_fields_the_loader_reads(schema_path, fields):
    node = SCHEMA
    for key in schema_path:
        node = node[key]
    assert set(node) == set(fields)


def test_schema_and_loader_agree_on_kinds_and_platforms():
    from siaran.sop.model import ASSIGNMENTS, PLATFORMS, STEP_KINDS

    step = SCHEMA["$defs"]["step"]["properties"]
    assert tuple(step["kind"]["enum"]) == STEP_KINDS
    assert tuple(step["assignment"]["enum"]) == ASSIGNMENTS
    assert tuple(SCHEMA["$defs"]["channel"]["properties"]["platform"]["enum"]) == PLATFORMS


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("lane: humas\n    time: 1 hari", "lane: humas\n    tim: 1 hari"),
        ("kind: publish", "kind: broadcast"),
        ("time: 10 menit", "time: sepuluh menit"),
        ("{id: tidak, label: Tidak, next: design}", "{id: tidak, label: Tidak}"),
        ("platform: instagram", "platform: myspace"),
        ('nip: "197001011995031001"', 'nip: "1970"'),
        ("ratified_by:", "approved_by: {name: Dua}\nratified_by:"),
        ("ratified_by:", "prepared_by:"),
        ("ratified_by:", "examined_by: {name: Satu}\nratified_by:"),
        ("{id: humas, name: Tim Humas}", "{id: humas, name: Tim Humas, inferred: ''}"),
        ("time: 1 hari", "time: sewaktu"),
    ],
)
def test_what_the_schema_refuses_the_loader_refuses(old, new):
    text = MINIMAL.replace(old, new, 1)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(as_json(text), SCHEMA)
    assert load.check_text(text)[1]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("time: 10 menit", "time: 10 MENIT"),
        ("time: 10 menit", "time: pt10m"),
        ("time: 1 hari", "time: 1 Hari Kerja"),
        ("effective: 2026-01-05", "effective: 2026-01-05\nrevision: 3"),
        ("{id: humas, name: Tim Humas}", "{id: humas, name: Tim Humas, holder: 2}"),
        ("activity: Mengunggah", "activity: Mengunggah\n    output: 1"),
        ("no: 4", "no: null"),
        ("time: 1 hari", "time: 1 minggu"),
        ("time: 1 hari", "time: P1W"),
        ("time: 1 hari", "time: sewaktu-waktu"),
        ("time: 1 hari", 'time: "-"'),
        ('  nip: "197001011995031001"\n', ""),
        ("ratified_by:", "approved_by:"),
        (
            "ratified_by:",
            "prepared_by: {name: Staf Humas}\nexamined_by: [{name: A}, {name: B}]\nratified_by:",
        ),
        (
            "{id: tidak, label: Tidak, next: design}",
            "{id: tidak, label: Tidak, next: design, inferred: read from sops.md}",
        ),
        ("{id: humas, name: Tim Humas}", "{id: humas, name: Tim Humas, inferred: true}"),
    ],
)
def test_what_the_loader_accepts_the_schema_accepts(old, new):
    text = MINIMAL.replace(old, new, 1)
    assert load.check_text(text)[1] == []
    jsonschema.validate(as_json(text), SCHEMA)


def test_documents_and_requires_match_the_schema():
    from tests.test_engine import REQUIRES

    assert load.check_text(REQUIRES)[1] == []
    jsonschema.validate(as_json(REQUIRES), SCHEMA)
    wrong = REQUIRES.replace("requires: [nota-dinas]", "requires: nota-dinas")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(as_json(wrong), SCHEMA)
    assert load.check_text(wrong)[1]
