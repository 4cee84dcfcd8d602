from django.urls import URLPattern, URLResolver, path

from cxloop.distribution import sms_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("sms/", sms_views.sms_settings, name="sms_settings"),
    path("sms/test/", sms_views.sms_test, name="sms_test"),
]
