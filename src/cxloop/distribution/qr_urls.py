from django.urls import URLPattern, URLResolver, path

from cxloop.distribution import invitation_views, qr_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("surveys/<int:survey_id>/qr/", qr_views.qr_page, name="qr"),
    # qr.png or qr.svg; any other extension is a 404.
    path("surveys/<int:survey_id>/qr.<str:image_format>", qr_views.qr_image, name="qr_image"),
    path("surveys/<int:survey_id>/qr-sheet.pdf", qr_views.qr_sheet, name="qr_sheet"),
    path(
        "surveys/<int:survey_id>/invitations/",
        invitation_views.survey_invitations_page,
        name="survey_invitations",
    ),
]
