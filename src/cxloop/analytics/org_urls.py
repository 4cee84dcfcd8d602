"""The organization-wide dashboard, included at /o/<org_slug>/dashboard/."""

from django.urls import URLPattern, URLResolver, path

from cxloop.analytics import views

app_name = "dashboards"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.organization_dashboard, name="dashboard"),
    path("targets/", views.organization_dashboard_targets, name="targets"),
    path("report.pdf", views.organization_dashboard_pdf, name="pdf"),
]
