from django.http import Http404
from django.shortcuts import render

from . import sops


def home(request):
    return render(request, "core/home.html", {"sops": sops.available()})


def sop_detail(request, sop_id: str):
    sop = sops.find(sop_id)
    if sop is None:
        raise Http404
    lanes = {lane.id: lane for lane in sop.lanes}
    rows = [
        {
            "step": step,
            "lane": lanes[step.lane],
            "cells": [lane.id == step.lane for lane in sop.lanes],
        }
        for step in sop.steps
    ]
    return render(request, "core/sop_detail.html", {"sop": sop, "rows": rows})
