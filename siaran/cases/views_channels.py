"""The case page's button that drops the channels its content cannot go to."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from siaran.core.templatetags.siaran import platform_label

from .actions import ActionError
from .channels import case_channels_drop
from .views import _person


@login_required
@require_POST
def channels_drop(request: HttpRequest, case_id: int):
    channels = request.POST.getlist("channels")
    try:
        case_channels_drop(person=_person(request), case_id=case_id, channels=channels)
    except ActionError as error:
        if error.status == ActionError.NOT_FOUND:
            raise Http404 from error
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Dropped from the case: %(channels)s.")
            % {"channels": ", ".join(platform_label(c) for c in channels)},
        )
    return redirect("cases:detail", case_id)
