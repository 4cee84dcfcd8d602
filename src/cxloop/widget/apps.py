from django.apps import AppConfig


class WidgetAppConfig(AppConfig):
    name = "cxloop.widget"
    label = "widget"
    default_auto_field = "django.db.models.BigAutoField"
