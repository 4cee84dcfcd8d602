from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect

from cxloop.organizations.selectors import memberships_of


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send the user to their first organization's surveys, or to create one."""
    membership = memberships_of(user=request.user).order_by("created_at").first()  # type: ignore[arg-type]
    if membership is None:
        return redirect("organization_create")
    return redirect("surveys:list", org_slug=membership.organization.slug)


def healthz(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
