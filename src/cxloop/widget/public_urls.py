from django.urls import path

from cxloop.widget import public_views

app_name = "widget_public"
urlpatterns = [
    path("<str:public_key>.js", public_views.widget_script, name="script"),
    path("<str:public_key>/config", public_views.widget_config, name="config"),
    path("<str:public_key>/eligibility", public_views.widget_eligibility_view, name="eligibility"),
    path("<str:public_key>/responses", public_views.widget_responses, name="responses"),
]
