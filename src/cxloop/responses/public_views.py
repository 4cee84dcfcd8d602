from django.http import HttpRequest, HttpResponse


def survey_page(request: HttpRequest, slug: str) -> HttpResponse:
    raise NotImplementedError


def thanks_page(request: HttpRequest, slug: str) -> HttpResponse:
    raise NotImplementedError
