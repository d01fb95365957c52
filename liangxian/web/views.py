"""The base pages: login and each role's home page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Show the signed-in user's home page for his unit and role."""
    return render(request, "web/home.html", {})
