from django.urls import URLPattern, URLResolver, path

from cxloop.distribution import email_template_views as views

urlpatterns: list[URLPattern | URLResolver] = [
    path("email-templates/", views.email_templates, name="email_templates"),
    path(
        "email-templates/<str:language>/<str:kind>/",
        views.email_template_edit,
        name="email_template_edit",
    ),
    path(
        "email-templates/<str:language>/<str:kind>/preview/",
        views.email_template_preview,
        name="email_template_preview",
    ),
    path(
        "email-templates/<str:language>/<str:kind>/reset/",
        views.email_template_reset_view,
        name="email_template_reset",
    ),
]
