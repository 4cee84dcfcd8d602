from django.urls import URLPattern, URLResolver, path

from cxloop.contacts import public_views

app_name = "contacts_public"
urlpatterns: list[URLPattern | URLResolver] = [
    path("<str:token>", public_views.unsubscribe_page, name="unsubscribe"),
]
