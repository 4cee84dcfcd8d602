from django.urls import URLPattern, URLResolver

app_name = "contacts_public"
urlpatterns: list[URLPattern | URLResolver] = []
