from django.urls import URLPattern, URLResolver, path

from cxloop.contacts import views

app_name = "contacts"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.contact_list_page, name="list"),
    path("import/", views.contact_import_page, name="import"),
    path("import/<int:import_id>/", views.contact_import_detail_page, name="import_detail"),
    path("<int:contact_id>/", views.contact_detail_page, name="detail"),
    path("<int:contact_id>/opt-out/", views.contact_opt_out_action, name="opt_out"),
    path("<int:contact_id>/opt-in/", views.contact_opt_in_action, name="opt_in"),
]
