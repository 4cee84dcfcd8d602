from django.urls import include, path

from cxloop.api import api
from cxloop.common import views as common_views
from cxloop.distribution import public_views as distribution_public_views
from cxloop.organizations import views as organization_views

urlpatterns = [
    path("", common_views.home, name="home"),
    path("healthz", common_views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("organizations/new/", organization_views.organization_create, name="organization_create"),
    path("accounts/", include("cxloop.accounts.urls")),
    path("api/v1/", api.urls),
    path("s/", include("cxloop.responses.public_urls")),
    path("u/", include("cxloop.contacts.public_urls")),
    path("i/<str:token>", distribution_public_views.personal_link, name="personal_link"),
    path(
        "i/<str:token>/open.gif",
        distribution_public_views.open_pixel,
        name="invitation_open_pixel",
    ),
    path("r/<str:code>", distribution_public_views.short_link, name="short_link"),
    path("w/", include("cxloop.widget.public_urls")),
    path("o/<slug:org_slug>/", include("cxloop.organizations.urls")),
    path("o/<slug:org_slug>/surveys/", include("cxloop.surveys.urls")),
    path("o/<slug:org_slug>/", include("cxloop.responses.urls")),
    path("o/<slug:org_slug>/surveys/", include("cxloop.analytics.urls")),
    path("o/<slug:org_slug>/dashboard/", include("cxloop.analytics.org_urls")),
    path("o/<slug:org_slug>/contacts/", include("cxloop.contacts.urls")),
    path("o/<slug:org_slug>/distribution/", include("cxloop.distribution.urls")),
    path("o/<slug:org_slug>/surveys/", include("cxloop.widget.urls")),
    path("o/<slug:org_slug>/campaigns/", include("cxloop.campaigns.urls")),
]
