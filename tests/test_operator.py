"""The operator of the install: institutions, the SOPs they run, and SOP versions.

A case finishes on the version it started with; a new case starts on the version the
institution runs now."""

import io
import re

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation

from siaran.audit.models import AuditEvent
from siaran.cases import actions as case_actions
from siaran.cases.definitions import definition
from siaran.cases.models import Case
from siaran.core import sops
from siaran.orgs import actions
from siaran.orgs.actions import OrgError, SopFileInvalid
from siaran.orgs.models import Holiday, Organization, OrgSop, SopInstall, SopVersion
from siaran.sop.compare import ADDED, CHANGED, compare
from siaran.sop.load import load_text
from tests.publishing import finish_by_hand
from tests.sopfiles import NEWSROOM, NEWSROOM_V2

BAD = NEWSROOM.replace("lane: kepala", "lane: bos").replace("time: 1 jam", "time: sejam")


@pytest.fixture(autouse=True)
def _fresh_versions_table():
    """Each process keeps the institutions' installed versions by institution id and
    counter; a rolled-back test may leave the next one the same id and counter."""
    sops._installed.clear()


@pytest.fixture(autouse=True)
def _english():
    """The actions' refusals read in English here; the pages speak Indonesian by default."""
    with translation.override("en"):
        yield


@pytest.fixture
def operator(db):
    return get_user_model().objects.create_superuser("operator", "op@example.org", "x" * 12)


@pytest.fixture
def balai(operator):
    return actions.organization_create(
        operator=operator,
        slug="balai-uji",
        name="Balai Uji Siaran",
        short_name="BUS",
        parent="Kementerian Uji",
        time_zone="Asia/Makassar",
        units=["Tata Usaha", "Humas", "Humas "],
    )


def staff(organization):
    """One person per lane of the newsroom SOP."""
    people = {}
    for lane in ("humas", "kepala"):
        person = actions.person_ensure(
            organization=organization, username=f"balai-{lane}", name=lane.title(), password="x"
        )
        actions.lane_assign(person=person, sop_id="warta-uji", lane_id=lane)
        people[f"balai-{lane}"] = person
    return people


def test_the_operator_creates_an_institution_with_calendar_and_holidays(balai, operator):
    assert (balai.name, balai.short_name, balai.parent) == (
        "Balai Uji Siaran",
        "BUS",
        "Kementerian Uji",
    )
    assert balai.time_zone == "Asia/Makassar"
    assert (balai.workdays, str(balai.opens), str(balai.closes)) == (
        "01234",
        "07:30:00",
        "16:00:00",
    )
    assert sorted(balai.units.values_list("name", flat=True)) == ["Humas", "Tata Usaha"]
    assert Holiday.objects.filter(organization=balai, kind="libur_nasional").count() > 10
    event = AuditEvent.objects.filter(kind="institution_created").get()
    assert event.username == "operator" and event.data["slug"] == "balai-uji"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"slug": "balai uji"}, "short address may hold only"),
        ({"slug": "balai-uji"}, "Another institution has this short address"),
        ({"name": "  "}, "Give the institution its name"),
        ({"time_zone": "Asia/Bandung"}, "'Asia/Bandung' is not a time zone"),
        ({"units": ["x" * 201]}, "unit's name is too long"),
    ],
)
def test_bad_institutions_are_refused_and_change_nothing(balai, operator, fields, message):
    values = {"slug": "balai-dua", "name": "Balai Dua", "time_zone": "Asia/Jakarta"}
    values.update(fields)
    before = Organization.objects.count()
    with pytest.raises(OrgError, match=message):
        actions.organization_create(operator=operator, **values)
    assert Organization.objects.count() == before


def test_only_the_operator_creates_institutions(db):
    clerk = get_user_model().objects.create_user("clerk", password="x" * 12)
    with pytest.raises(OrgError, match="Only the operator"):
        actions.organization_create(operator=clerk, slug="b", name="B")


def test_editing_an_institution_keeps_units_in_use(balai, operator):
    humas = balai.units.get(name="Humas")
    actions.person_ensure(organization=balai, username="u", name="U", password="x", unit=humas)
    with pytest.raises(OrgError, match="still have people or cases, so they stay: Humas"):
        actions.organization_update(operator=operator, organization=balai, name="Balai", units=[])
    balai = actions.organization_update(
        operator=operator,
        organization=balai,
        name="Balai Uji Siaran Baru",
        time_zone="Asia/Jayapura",
        units=["Humas", "Keuangan"],
    )
    assert (balai.name, balai.time_zone) == ("Balai Uji Siaran Baru", "Asia/Jayapura")
    assert sorted(balai.units.values_list("name", flat=True)) == ["Humas", "Keuangan"]


def test_a_file_with_problems_saves_nothing_and_names_each_line(balai, operator):
    with pytest.raises(SopFileInvalid) as error:
        actions.sop_install(operator=operator, organization=balai, text=BAD, file_name="warta.yaml")
    rendered = [p.render() for p in error.value.problems]
    assert any(r.startswith("warta.yaml:") and "lane" in r and "'bos'" in r for r in rendered)
    assert any("time" in r and "sejam" in r for r in rendered)
    assert not OrgSop.objects.filter(organization=balai).exists()
    assert not SopVersion.objects.filter(sop_id="warta-uji").exists()


def test_a_shipped_sop_follows_its_file(balai, operator):
    install = actions.sop_install(operator=operator, organization=balai, shipped="rspon-medsos")
    org_sop = OrgSop.objects.get(organization=balai, sop_id="rspon-medsos")
    assert org_sop.version is None and install.source == "shipped"
    assert install.version.text == sops.catalog().texts["rspon-medsos"]
    assert sops.running(balai, "rspon-medsos") is sops.find("rspon-medsos")
    with pytest.raises(OrgError, match="already runs exactly this version"):
        actions.sop_install(operator=operator, organization=balai, shipped="rspon-medsos")
    with pytest.raises(OrgError, match="No SOP shipped"):
        actions.sop_install(operator=operator, organization=balai, shipped="nope")


def test_an_uploaded_sop_id_may_be_a_shipped_one_for_one_institution(balai, operator, demo):
    """Balai's own 'rspon-medsos' is Balai's alone: RSPON keeps the shipped one."""
    text = NEWSROOM.replace("id: warta-uji", "id: rspon-medsos")
    actions.sop_install(operator=operator, organization=balai, text=text, file_name="x.yaml")
    assert sops.running(balai, "rspon-medsos").name == "Publikasi Warta Instansi Uji"
    rspon = Organization.objects.get(slug="rspon")
    assert sops.running(rspon, "rspon-medsos") is sops.find("rspon-medsos")


def test_a_running_case_finishes_on_its_version_and_a_new_one_starts_on_the_new(balai, operator):
    actions.sop_install(operator=operator, organization=balai, text=NEWSROOM, file_name="v1.yaml")
    people = staff(balai)
    balai.refresh_from_db()
    first = case_actions.case_start(
        person=people["balai-humas"], sop_id="warta-uji", title="Warta satu"
    )
    v1 = first.sop_version_id
    second = actions.sop_install(
        operator=operator, organization=balai, text=NEWSROOM_V2, file_name="v2.yaml"
    )
    assert second.version_id != v1
    assert OrgSop.objects.get(organization=balai, sop_id="warta-uji").version_id == (
        second.version_id
    )
    # The one already running goes on without the proofreading step v2 added.
    case_actions.case_decide(person=people["balai-humas"], case_id=first.pk, outcome="done")
    case = case_actions.case_decide(person=people["balai-kepala"], case_id=first.pk, outcome="ya")
    assert case.current_step == "publish"
    case_actions.case_decide(person=people["balai-humas"], case_id=first.pk, outcome="publish")
    case = finish_by_hand(Case.objects.get(pk=first.pk), people["balai-humas"])
    assert (case.status, case.sop_version_id) == ("published", v1)
    # A new case runs on v2: after the approval comes the proofreading.
    people["balai-humas"].organization.refresh_from_db()
    new = case_actions.case_start(
        person=people["balai-humas"], sop_id="warta-uji", title="Warta dua"
    )
    assert new.sop_version_id == second.version_id
    assert [s.id for s in definition(Case.objects.get(pk=new.pk).sop_version).steps] == [
        "draft",
        "approve",
        "proofread",
        "publish",
    ]
    case_actions.case_decide(person=people["balai-humas"], case_id=new.pk, outcome="done")
    case = case_actions.case_decide(person=people["balai-kepala"], case_id=new.pk, outcome="ya")
    assert case.current_step == "proofread"
    history = list(SopInstall.objects.filter(org_sop__organization=balai).order_by("pk"))
    assert [(i.source, i.file_name, i.installed_by) for i in history] == [
        ("upload", "v1.yaml", operator),
        ("upload", "v2.yaml", operator),
    ]
    assert AuditEvent.objects.filter(kind="sop_installed").count() == 2


def test_what_changed_between_two_versions():
    changes = compare(load_text(NEWSROOM), load_text(NEWSROOM_V2))
    assert [(c.id, c.status) for c in changes.steps] == [
        ("proofread", ADDED),
        ("publish", CHANGED),
    ]
    assert [(f.field, f.old, f.new) for f in changes.steps[1].fields] == [("no", "3", "4")]
    assert [(c.id, [(f.old, f.new) for f in c.fields]) for c in changes.lanes] == [
        ("kepala", [("Kepala Balai", "Kepala Balai Uji")])
    ]
    assert [(t.step, t.old, t.new) for t in changes.times] == [("draft", "1 hari", "2 hari")]
    assert [(c.id, c.fields[0].new) for c in changes.outcomes] == [("approve / ya", "proofread")]
    assert [(f.field, f.new) for f in changes.identity] == [("revision", "1")]
    assert compare(load_text(NEWSROOM), load_text(NEWSROOM)).empty
    # Removed in the other direction, and a step moved in the form's order.
    back = compare(load_text(NEWSROOM_V2), load_text(NEWSROOM))
    assert ("proofread", "removed") in [(c.id, c.status) for c in back.steps]


# -- the commands -------------------------------------------------------------------------


def run(*args):
    """`siaran ARGS` in this process: (exit status, what it printed)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
    except CommandError as error:  # what a real process prints on stderr, with exit 1
        return 1, f"{out.getvalue()}{err.getvalue()}{error}"
    except SystemExit as error:
        return error.code, out.getvalue() + err.getvalue()
    return 0, out.getvalue() + err.getvalue()


def test_org_create_and_list(db):
    status, out = run(
        "org", "create", "balai-uji", "--name", "Balai Uji Siaran", "--short-name", "BUS",
        "--time-zone", "Asia/Makassar", "--unit", "Humas", "--unit", "Tata Usaha", "--lang", "en",
    )  # fmt: skip
    assert status == 0, out
    assert out.startswith("balai-uji: created (Balai Uji Siaran,")
    balai = Organization.objects.get(slug="balai-uji")
    assert balai.time_zone == "Asia/Makassar" and balai.units.count() == 2
    assert balai.holidays.exists()
    assert run("org", "list") == (0, "balai-uji\tBalai Uji Siaran\t\n")
    status, out = run("org", "create", "balai-uji", "--name", "Lagi", "--lang", "en")
    assert (status, out) == (1, "Another institution has this short address.")
    assert run("org", "create", "b2", "--lang", "en") == (1, "Give the institution its name.")
    status, out = run("org", "create", "b2", "--name", "B", "--time-zone", "Mars/Olympus")
    assert (status, out) == (1, "'Mars/Olympus' bukan zona waktu.")


def test_sop_install_from_a_file_and_shipped(balai, tmp_path):
    bad, good = tmp_path / "bad.yaml", tmp_path / "warta.yaml"
    bad.write_text(BAD, encoding="utf-8")
    good.write_text(NEWSROOM, encoding="utf-8")
    status, out = run("sop", "install", str(bad), "--org", "balai-uji", "--lang", "en")
    assert status == 1
    lines = out.splitlines()
    assert f"{bad}:26: steps[1].lane: 'bos' is not a lane of this SOP" in lines
    assert any(line.startswith(f"{bad}:") and "'sejam' is not a time" in line for line in lines)
    assert lines[-1] == "Nothing was installed."
    assert not OrgSop.objects.filter(organization=balai).exists()
    status, out = run("sop", "install", str(good), "--org", "balai-uji", "--lang", "en")
    assert status == 0, out
    assert out.startswith("balai-uji runs warta-uji from now on (version ")
    assert OrgSop.objects.get(organization=balai).version.text == NEWSROOM
    assert run("sop", "install", "--shipped", "rspon-medsos", "--org", "balai-uji")[0] == 0
    assert run("sop", "install", str(good), "--org", "nope", "--lang", "en") == (
        1,
        "No institution has the short address 'nope'.",
    )
    assert run("sop", "install", str(good), "--org", "balai-uji", "--lang", "en") == (
        1,
        "The institution already runs exactly this version of the SOP.",
    )
    assert run("sop", "install", "--org", "balai-uji", "--lang", "en")[0] == 1
    assert run("sop", "install", str(good), "--lang", "en") == (
        1,
        "Name the institution with --org SLUG.",
    )
    status, out = run("sop", "install", str(tmp_path / "none.yaml"), "--org", "balai-uji")
    assert status == 1 and "none.yaml:1: " in out


def test_a_real_process_exits_1_with_a_sentence_and_no_traceback(tmp_path):
    from tests.test_commands import siaran

    data = tmp_path / "data"
    assert siaran("migrate", "--noinput", env={"DATABASE_URL": ""}, tmp_data=data).returncode == 0
    result = siaran(
        "org", "create", "x y", "--name", "X", "--lang", "en",
        env={"DATABASE_URL": ""}, tmp_data=data,
    )  # fmt: skip
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "The short address may hold only letters, digits, hyphens and underscores." in (
        result.stderr
    )


# -- the pages ----------------------------------------------------------------------------


def test_the_operator_pages_are_for_the_operator_only(client, demo):
    client.force_login(demo["rspon-admin"].user)
    for name, args in [
        ("orgs:operator", []),
        ("orgs:operator-new", []),
        ("orgs:operator-institution", ["rspon"]),
        ("orgs:operator-sop", ["rspon", "rspon-medsos"]),
    ]:
        assert client.get(reverse(name, args=args)).status_code == 403
    client.logout()
    response = client.get(reverse("orgs:operator"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_operator_creates_an_institution_and_uploads_its_sop(client, operator, demo):
    client.force_login(operator)
    page = client.get(reverse("orgs:operator")).content.decode()
    assert "Rumah Sakit Pusat Otak Nasional" in page and reverse("orgs:operator-new") in page
    assert 'href="/operator/"' in client.get(reverse("orgs:operator-new")).content.decode()
    form = {
        "slug": "balai-uji",
        "name": "Balai Uji Siaran",
        "short_name": "BUS",
        "parent": "Kementerian Uji",
        "time_zone": "Asia/Nowhere",
        "units": "Humas\r\nTata Usaha\r\n",
    }
    response = client.post(reverse("orgs:operator-new"), form)
    assert response.status_code == 422 and not Organization.objects.filter(slug="balai-uji")
    assert "&#x27;Asia/Nowhere&#x27; bukan zona waktu" in response.content.decode()
    response = client.post(reverse("orgs:operator-new"), {**form, "time_zone": "Asia/Jayapura"})
    assert response.status_code == 302
    balai = Organization.objects.get(slug="balai-uji")
    assert balai.time_zone == "Asia/Jayapura" and balai.units.count() == 2
    url = reverse("orgs:operator-institution", args=["balai-uji"])
    page = client.get(url).content.decode()
    assert 'id="first-administrator"' in page and 'for="id_sop_file"' in page
    # A file with mistakes: each by file, line and field; nothing saved.
    bad = SimpleUploadedFile("warta.yaml", BAD.encode(), content_type="application/yaml")
    response = client.post(url, {"sop_file": bad})
    assert response.status_code == 422
    page = response.content.decode()
    assert "<td>warta.yaml</td><td>26</td><td><code>steps[1].lane</code></td>" in page
    assert "bukan lajur pada SOP ini" in page and "sejam" in page
    assert not OrgSop.objects.filter(organization=balai).exists()
    response = client.post(url, {"sop_file": SimpleUploadedFile("w.yaml", b"\xff\xfe")})
    assert response.status_code == 422 and "UTF-8" in response.content.decode()
    good = SimpleUploadedFile("warta.yaml", NEWSROOM.encode(), content_type="application/yaml")
    assert client.post(url, {"sop_file": good}).status_code == 302
    assert client.post(url, {"shipped": "poltekkes-jkt2-publikasi"}).status_code == 302
    page = client.get(url).content.decode()
    assert "Publikasi Warta Instansi Uji" in page and "[warta-uji]" in page
    assert "[poltekkes-jkt2-publikasi]" in page
    # The institution edited: another name, a unit more.
    response = client.post(
        reverse("orgs:operator-edit", args=["balai-uji"]),
        {"name": "Balai Uji", "time_zone": "Asia/Jakarta", "units": "Humas\nTata Usaha\nTU 2"},
    )
    assert response.status_code == 302
    balai.refresh_from_db()
    assert (balai.name, balai.units.count()) == ("Balai Uji", 3)


def test_the_versions_page_lists_versions_and_what_changed(client, operator, balai):
    actions.sop_install(operator=operator, organization=balai, text=NEWSROOM, file_name="v1.yaml")
    people = staff(balai)
    balai.refresh_from_db()
    case_actions.case_start(person=people["balai-humas"], sop_id="warta-uji", title="Satu")
    actions.sop_install(
        operator=operator, organization=balai, text=NEWSROOM_V2, file_name="v2.yaml"
    )
    client.force_login(operator)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(reverse("orgs:operator-sop", args=["balai-uji", "warta-uji"]))
    page = response.content.decode()
    assert response.status_code == 200
    versions = re.findall(r'<tr id="version-(\d)">(.*?)</tr>', page, re.S)
    assert [number for number, _row in versions] == ["2", "1"]
    assert "v2.yaml" in versions[0][1] and "runs now" in versions[0][1]
    assert "v1.yaml" in versions[1][1] and "<td>1</td><td>1</td>" in versions[1][1]
    assert "operator" in versions[1][1]
    changes = page[page.index('id="changes"') :]
    assert "Memeriksa ejaan" in changes[: changes.index('id="changes-lanes"')]
    assert "<del>Kepala Balai</del> &rarr; <ins>Kepala Balai Uji</ins>" in changes
    assert "<del>1 hari</del> &rarr; <ins>2 hari</ins>" in changes
    assert "<del>publish</del> &rarr; <ins>proofread</ins>" in changes
    # Each version's form, as a page and as a PDF.
    v1, v2 = (i.version_id for i in SopInstall.objects.order_by("pk"))
    args = ["balai-uji", "warta-uji"]
    page = client.get(reverse("orgs:operator-version", args=[*args, v1])).content.decode()
    assert "Menyusun naskah warta" in page and "Memeriksa ejaan" not in page
    page = client.get(reverse("orgs:operator-version", args=[*args, v2])).content.decode()
    assert "Memeriksa ejaan" in page
    response = client.get(reverse("orgs:operator-version-pdf", args=[*args, v1]))
    assert (
        response.content.startswith(b"%PDF")
        and "sop-warta-uji-v1" in response["Content-Disposition"]
    )
    # Comparing the other way shows the step removed; a version of another SOP is no one's.
    response = client.get(reverse("orgs:operator-sop", args=args), {"old": v2, "new": v1})
    assert "Memeriksa ejaan" in response.content.decode()
    other = SopVersion.objects.create(sop_id="x", sha256="0" * 64, text="x")
    assert client.get(reverse("orgs:operator-version", args=[*args, other.pk])).status_code == 404


def test_the_institutions_people_read_its_own_sop_and_no_one_else_does(
    client, operator, balai, demo
):
    actions.sop_install(operator=operator, organization=balai, text=NEWSROOM, file_name="w.yaml")
    people = staff(balai)
    client.force_login(people["balai-humas"].user)
    assert "Publikasi Warta Instansi Uji" in client.get(reverse("core:home")).content.decode()
    page = client.get(reverse("core:sop-detail", args=["warta-uji"])).content.decode()
    assert "Menyusun naskah warta" in page
    assert client.get(reverse("documents:sop-pdf", args=["warta-uji"])).status_code == 200
    client.force_login(demo["rspon-admin"].user)
    assert "Publikasi Warta Instansi Uji" not in client.get(reverse("core:home")).content.decode()
    assert client.get(reverse("core:sop-detail", args=["warta-uji"])).status_code == 404
    client.logout()
    assert client.get(reverse("documents:sop-pdf", args=["warta-uji"])).status_code == 404
