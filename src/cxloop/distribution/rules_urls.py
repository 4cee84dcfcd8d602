from django.urls import URLPattern, URLResolver, path

from cxloop.distribution import rules_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("contact-rules/", rules_views.contact_rules, name="contact_rules"),
    path(
        "contact-rules/surveys/<int:survey_id>/",
        rules_views.survey_contact_rules_page,
        name="survey_contact_rules",
    ),
    path(
        "contact-rules/surveys/<int:survey_id>/remove/",
        rules_views.survey_contact_rules_remove,
        name="survey_contact_rules_remove",
    ),
]
