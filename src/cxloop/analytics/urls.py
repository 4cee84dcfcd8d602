from django.urls import URLPattern, URLResolver, path

from cxloop.analytics import views

app_name = "analytics"
urlpatterns: list[URLPattern | URLResolver] = [
    path("<int:survey_id>/summary/", views.summary, name="summary"),
    # The figures alone: the summary page polls it to show new responses without a reload.
    path("<int:survey_id>/summary/figures/", views.summary_figures, name="summary_figures"),
]
