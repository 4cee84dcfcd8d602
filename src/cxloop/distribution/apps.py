from django.apps import AppConfig


class DistributionConfig(AppConfig):
    name = "cxloop.distribution"
    label = "distribution"
    default_auto_field = "django.db.models.BigAutoField"
