"""Everything a person reads has its Indonesian text, and the compiled catalogue is current."""

import ast
import gettext
import re

import pytest

from tests.conftest import ROOT

LOCALE = ROOT / "siaran" / "locale" / "id" / "LC_MESSAGES"


def po_entries() -> dict[str, str]:
    """msgid -> msgstr (the first form for plurals) of the Indonesian .po file."""
    entries: dict[str, str] = {}
    current: dict[str, str] = {}
    field = None
    for line in (LOCALE / "django.po").read_text(encoding="utf-8").splitlines() + [""]:
        match = re.match(r'^(msgid|msgid_plural|msgstr|msgstr\[0\]|msgstr\[\d+\]) "(.*)"$', line)
        if match:
            field = match.group(1)
            current[field] = current.get(field, "") + match.group(2)
        elif line.startswith('"') and field:
            current[field] += line[1:-1]
        elif not line.strip():
            if current.get("msgid"):
                entries[current["msgid"]] = current.get("msgstr", current.get("msgstr[0]", ""))
            current, field = {}, None
    return {k.encode().decode("unicode_escape"): v for k, v in entries.items()}


def test_every_entry_is_translated():
    untranslated = [msgid for msgid, msgstr in po_entries().items() if not msgstr]
    assert untranslated == []


def test_the_compiled_catalogue_matches_the_po_file():
    with (LOCALE / "django.mo").open("rb") as file:
        catalogue = gettext.GNUTranslations(file)
    for msgid, msgstr in po_entries().items():
        compiled = catalogue._catalog.get(msgid, catalogue._catalog.get((msgid, 0)))
        assert compiled == msgstr.encode().decode("unicode_escape"), msgid


def test_every_message_of_the_sop_package_is_in_the_catalogue():
    entries = po_entries()
    for path in (ROOT / "siaran" / "sop").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", "") == "gettext_noop"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                assert node.args[0].value in entries, f"{path.name}: {node.args[0].value}"


@pytest.mark.parametrize("language", ["id", "en"])
def test_when_prints_what_the_date_filter_prints(language):
    import datetime as dt

    from django.utils import formats, timezone, translation

    from siaran.core.templatetags.siaran import when

    with translation.override(language):
        for month in range(1, 13):
            moment = dt.datetime(2026, month, 3, 23, 59, tzinfo=dt.UTC)  # the next day in WIB
            expected = formats.date_format(timezone.localtime(moment), "j M Y H:i")
            assert when(moment) == expected
