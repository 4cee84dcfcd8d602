from django.apps import AppConfig


class DistributionConfig(AppConfig):
    name = "cxloop.distribution"
    label = "distribution"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from cxloop.common.scheduler import register_periodic
        from cxloop.distribution.sending import scheduler_tick

        register_periodic("distribution", lambda now: scheduler_tick(now=now))
