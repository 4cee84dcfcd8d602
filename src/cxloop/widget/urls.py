from django.urls import path

from cxloop.widget import views

app_name = "widget"
urlpatterns = [
    path("<int:survey_id>/widget/", views.widget_settings, name="settings"),
]
