from django.urls import URLPattern, URLResolver

app_name = "contacts"
urlpatterns: list[URLPattern | URLResolver] = []
