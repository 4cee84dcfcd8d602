from django.urls import URLPattern, URLResolver, path

from cxloop.campaigns import views

app_name = "campaigns"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.campaigns_page, name="index"),
    path("rules/new/", views.rule_new, name="rule_new"),
    path("rules/<int:rule_id>/", views.rule_edit, name="rule_edit"),
    path("rules/<int:rule_id>/active/", views.rule_active, name="rule_active"),
    path("waves/new/", views.wave_new, name="wave_new"),
    path("waves/<int:wave_id>/", views.wave_detail, name="wave"),
    path("waves/<int:wave_id>/active/", views.wave_active, name="wave_active"),
]
