from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "cxloop.campaigns"
    label = "campaigns"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from cxloop.campaigns.tasks import waves_dispatch
        from cxloop.common.scheduler import register_periodic

        register_periodic("campaigns.waves", waves_dispatch)
