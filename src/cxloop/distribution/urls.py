from django.urls import URLPattern, URLResolver

app_name = "distribution"
urlpatterns: list[URLPattern | URLResolver] = []
