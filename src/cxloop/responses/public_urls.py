from django.urls import path

from cxloop.responses import public_views

app_name = "public"
urlpatterns = [
    path("<slug:slug>", public_views.survey_page, name="survey"),
    path("<slug:slug>/thanks", public_views.thanks_page, name="thanks"),
]
