from django.urls import URLPattern, URLResolver, path

from cxloop.responses import views

app_name = "responses"
urlpatterns: list[URLPattern | URLResolver] = [
    path("responses/", views.all_responses, name="all"),
    path("responses/export.<str:fmt>", views.all_responses_export, name="export_all"),
    path("responses/<int:response_id>/", views.response_detail, name="detail"),
    path("surveys/<int:survey_id>/responses/", views.survey_responses, name="list"),
    path(
        "surveys/<int:survey_id>/responses/export.<str:fmt>",
        views.survey_responses_export,
        name="export",
    ),
]
