from django.urls import URLPattern, URLResolver

from cxloop.distribution.email_template_urls import urlpatterns as email_urlpatterns
from cxloop.distribution.qr_urls import urlpatterns as qr_urlpatterns
from cxloop.distribution.rules_urls import urlpatterns as rules_urlpatterns
from cxloop.distribution.sms_urls import urlpatterns as sms_urlpatterns

app_name = "distribution"
urlpatterns: list[URLPattern | URLResolver] = [
    *sms_urlpatterns,
    *qr_urlpatterns,
    *rules_urlpatterns,
    *email_urlpatterns,
]
