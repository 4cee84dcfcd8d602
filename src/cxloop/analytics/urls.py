from django.urls import URLPattern, URLResolver, path

from cxloop.analytics import views

app_name = "analytics"
urlpatterns: list[URLPattern | URLResolver] = [
    path("<int:survey_id>/summary/", views.summary, name="summary"),
    # The figures alone: the summary page polls it to show new responses without a reload.
    path("<int:survey_id>/summary/figures/", views.summary_figures, name="summary_figures"),
    path("<int:survey_id>/dashboard/", views.survey_dashboard, name="dashboard"),
    path(
        "<int:survey_id>/dashboard/targets/",
        views.survey_dashboard_targets,
        name="dashboard_targets",
    ),
    path("<int:survey_id>/dashboard/report.pdf", views.survey_dashboard_pdf, name="dashboard_pdf"),
]
