"""Titles stay on one line and every text has a size limit (issue 17, findings 2 and 11)."""

import pytest

from siaran.cases import actions
from siaran.cases.actions import TEXT_MAX, ActionError


@pytest.mark.django_db
def test_a_title_with_line_breaks_is_kept_on_one_line(demo):
    humas = demo["rspon-unit-kerja"]
    case = actions.case_start(
        person=humas, sop_id="rspon-medsos", title="Hari Gizi\r\nBcc: semua@contoh.go.id\x00 "
    )
    assert case.title == "Hari Gizi Bcc: semua@contoh.go.id"
    version = actions.content_save(person=humas, case_id=case.pk, title="Baris\nDua\u2028Tiga")
    assert version.title == "Baris Dua Tiga"
    with pytest.raises(ActionError) as refused:
        actions.content_save(person=humas, case_id=case.pk, title="\r\n\t")
    assert refused.value.code == "title_required"


@pytest.mark.django_db
def test_every_text_has_a_limit(demo):
    humas = demo["rspon-unit-kerja"]
    long = "kata " * (TEXT_MAX // 5 + 1)
    with pytest.raises(ActionError) as refused:
        actions.case_start(person=humas, sop_id="rspon-medsos", title="x", description=long)
    assert refused.value.code == "text_too_long"
    case = actions.case_start(person=humas, sop_id="rspon-medsos", title="Judul")
    for attempt in (
        lambda: actions.content_save(person=humas, case_id=case.pk, title="x", narrative=long),
        lambda: actions.comment_add(person=humas, case_id=case.pk, text=long),
        lambda: actions.case_decide(person=humas, case_id=case.pk, outcome="ya", note=long),
    ):
        with pytest.raises(ActionError) as refused:
            attempt()
        assert refused.value.code == "text_too_long"
    case.refresh_from_db()
    assert case.versions.get().narrative == "" and case.comments.count() == 0
    assert case.current_step == "request"
