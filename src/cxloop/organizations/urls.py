from django.urls import URLPattern, URLResolver, path

from cxloop.organizations import views

app_name = "organizations"
urlpatterns: list[URLPattern | URLResolver] = [
    path("settings/", views.organization_settings, name="settings"),
    path("settings/members/", views.members, name="members"),
    path("settings/members/<int:membership_id>/role/", views.member_role, name="member_role"),
    path(
        "settings/members/<int:membership_id>/remove/",
        views.member_delete,
        name="member_remove",
    ),
    path("settings/api-keys/", views.api_keys, name="api_keys"),
    path(
        "settings/api-keys/<int:api_key_id>/revoke/",
        views.api_key_revoke_view,
        name="api_key_revoke",
    ),
]
