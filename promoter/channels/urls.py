"""E-mail and link surveys' public pages, reached without a login."""

from django.urls import URLPattern, path

from promoter.channels import views as channels

urlpatterns: list[URLPattern] = [
    path("e/<str:token>/<int:score>/", channels.email_answer, name="email-answer"),
    path("e/<str:token>/", channels.email_answer_page, name="email-answer-page"),
    path("u/<str:token>/", channels.email_unsubscribe, name="email-unsubscribe"),
    path("l/<str:survey_id>/", channels.link_survey, name="link-survey"),
    path(
        "l/<str:survey_id>/r/<str:token>/",
        channels.link_survey_comment,
        name="link-survey-comment",
    ),
]
