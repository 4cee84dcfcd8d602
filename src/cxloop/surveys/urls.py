from django.urls import path

from cxloop.surveys import views

app_name = "surveys"
urlpatterns = [
    path("", views.survey_list, name="list"),
    path("new/", views.survey_create, name="create"),
    path("<int:survey_id>/", views.survey_edit, name="edit"),
    path("<int:survey_id>/details/", views.survey_details, name="details"),
    path("<int:survey_id>/status/", views.survey_transition, name="transition"),
    path("<int:survey_id>/add-question/", views.question_add, name="question_add"),
    path("<int:survey_id>/questions/<slug:question_key>/", views.question_edit, name="question"),
    path(
        "<int:survey_id>/questions/<slug:question_key>/move/",
        views.question_move,
        name="question_move",
    ),
    path(
        "<int:survey_id>/questions/<slug:question_key>/delete/",
        views.question_delete,
        name="question_delete",
    ),
]
