from collections.abc import Callable
from zoneinfo import ZoneInfo

from django.http import HttpRequest, HttpResponse
from django.utils import timezone


class OrganizationTimezoneMiddleware:
    """Shows times in the time zone of the organization the request works in.

    Views that resolve an organization set ``request.organization_time_zone``; the
    activation happens here so that templates rendered after the view still use it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


def activate_organization_time_zone(time_zone: str) -> None:
    timezone.activate(ZoneInfo(time_zone))
