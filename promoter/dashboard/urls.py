"""The dashboard's pages: the project list, every page under /p/<slug>/, vendored assets."""

from django.urls import URLPattern, path

from promoter.dashboard import analytics_views as analytics
from promoter.dashboard import apikey_views as apikeys
from promoter.dashboard import destination_views as destinations
from promoter.dashboard import email_views as email
from promoter.dashboard import followup_views as followup
from promoter.dashboard import import_views as imports
from promoter.dashboard import questions_analytics_views as answers
from promoter.dashboard import questions_views as questions
from promoter.dashboard import reasons_views as reasons
from promoter.dashboard import tags_views as tags
from promoter.dashboard import views as dashboard
from promoter.dashboard.assets import vendor_view

urlpatterns: list[URLPattern] = [
    path("", dashboard.home, name="home"),
    path("vendor/<str:version>/<str:name>", vendor_view, name="vendor-asset"),
    path("projects/", dashboard.projects, name="projects"),
    path("p/<slug:slug>/", analytics.overview, name="project-overview"),
    path("p/<slug:slug>/responses/", analytics.feedback, name="project-responses"),
    path("p/<slug:slug>/responses.csv", analytics.feedback_csv, name="project-responses-csv"),
    path("p/<slug:slug>/segments/", analytics.segments, name="project-segments"),
    path("p/<slug:slug>/compare/", analytics.compare, name="project-compare"),
    path("p/<slug:slug>/reasons/", reasons.top_reasons, name="project-reasons"),
    path("p/<slug:slug>/follow-up/", followup.followup, name="project-followup"),
    path("p/<slug:slug>/integrations/", destinations.integrations, name="project-integrations"),
    path(
        "p/<slug:slug>/integrations/add/",
        destinations.destination_create,
        name="project-integrations-add",
    ),
    path(
        "p/<slug:slug>/integrations/<str:destination_id>/",
        destinations.destination_log,
        name="project-integration",
    ),
    path(
        "p/<slug:slug>/integrations/<str:destination_id>/edit/",
        destinations.destination_update,
        name="project-integration-update",
    ),
    path(
        "p/<slug:slug>/integrations/<str:destination_id>/active/",
        destinations.destination_active,
        name="project-integration-active",
    ),
    path(
        "p/<slug:slug>/integrations/<str:destination_id>/delete/",
        destinations.destination_delete,
        name="project-integration-delete",
    ),
    path(
        "p/<slug:slug>/integrations/<str:destination_id>/test/",
        destinations.destination_test,
        name="project-integration-test",
    ),
    path(
        "p/<slug:slug>/integrations/<str:destination_id>/replay/",
        destinations.destination_replay,
        name="project-integration-replay",
    ),
    path(
        "p/<slug:slug>/integrations/<str:destination_id>/rules/",
        destinations.rule_create,
        name="project-integration-rules",
    ),
    path(
        "p/<slug:slug>/integration-rules/<str:rule_id>/active/",
        destinations.rule_active,
        name="project-integration-rule-active",
    ),
    path(
        "p/<slug:slug>/integration-rules/<str:rule_id>/delete/",
        destinations.rule_delete,
        name="project-integration-rule-delete",
    ),
    path("p/<slug:slug>/email/", email.email_surveys, name="project-email"),
    path("p/<slug:slug>/import/", imports.import_upload, name="project-import"),
    path("p/<slug:slug>/import/<str:token>/", imports.import_check, name="project-import-check"),
    path("p/<slug:slug>/email/send/", email.invitations_send, name="project-invitations-send"),
    path(
        "p/<slug:slug>/email/autopilot/<str:survey_id>/",
        email.autopilot_configure,
        name="project-autopilot",
    ),
    path(
        "p/<slug:slug>/email/autopilot/<str:survey_id>/people/",
        email.autopilot_members,
        name="project-autopilot-members",
    ),
    path(
        "p/<slug:slug>/responses/<str:response_id>/",
        followup.response_detail,
        name="project-response",
    ),
    path(
        "p/<slug:slug>/responses/<str:response_id>/reply/",
        followup.response_reply,
        name="project-response-reply",
    ),
    path(
        "p/<slug:slug>/responses/<str:response_id>/note/",
        followup.response_note,
        name="project-response-note",
    ),
    path(
        "p/<slug:slug>/responses/<str:response_id>/assign/",
        followup.response_assign,
        name="project-response-assign",
    ),
    path(
        "p/<slug:slug>/responses/<str:response_id>/erase-person/",
        followup.person_erase,
        name="project-person-erase",
    ),
    path(
        "p/<slug:slug>/responses/<str:response_id>/status/",
        followup.response_status,
        name="project-response-status",
    ),
    path(
        "p/<slug:slug>/reasons/theme-to-tag/",
        reasons.theme_to_tag,
        name="project-theme-to-tag",
    ),
    path("p/<slug:slug>/settings/", dashboard.project_settings, name="project-settings"),
    path("p/<slug:slug>/settings/api-keys/", apikeys.apikey_create, name="project-apikey-create"),
    path(
        "p/<slug:slug>/settings/api-keys/<str:key_id>/revoke/",
        apikeys.apikey_revoke,
        name="project-apikey-revoke",
    ),
    path("p/<slug:slug>/members/", dashboard.members, name="project-members"),
    path("p/<slug:slug>/surveys/", dashboard.surveys, name="project-surveys"),
    path(
        "p/<slug:slug>/surveys/<str:survey_id>/",
        dashboard.survey_settings,
        name="project-survey",
    ),
    path(
        "p/<slug:slug>/surveys/<str:survey_id>/answers/",
        answers.survey_answers,
        name="project-survey-answers",
    ),
    path(
        "p/<slug:slug>/surveys/<str:survey_id>/questions/",
        questions.survey_questions,
        name="project-survey-questions",
    ),
    path(
        "p/<slug:slug>/surveys/<str:survey_id>/questions/add/",
        questions.question_add,
        name="project-survey-question-add",
    ),
    path(
        "p/<slug:slug>/surveys/<str:survey_id>/questions/publish/",
        questions.questions_publish,
        name="project-survey-publish",
    ),
    path(
        "p/<slug:slug>/surveys/<str:survey_id>/questions/<str:question_id>/edit/",
        questions.question_edit,
        name="project-survey-question",
    ),
    path(
        "p/<slug:slug>/surveys/<str:survey_id>/questions/<str:question_id>/move/",
        questions.question_move,
        name="project-survey-question-move",
    ),
    path(
        "p/<slug:slug>/surveys/<str:survey_id>/questions/<str:question_id>/remove/",
        questions.question_remove,
        name="project-survey-question-remove",
    ),
    path(
        "p/<slug:slug>/surveys/<str:survey_id>/duplicate/",
        questions.survey_copy,
        name="project-survey-duplicate",
    ),
    path(
        "p/<slug:slug>/surveys/<str:survey_id>/preview/",
        questions.survey_preview,
        name="project-survey-preview",
    ),
    path("p/<slug:slug>/explain/", dashboard.explain, name="project-explain"),
    path("p/<slug:slug>/install/", dashboard.install, name="project-install"),
    path(
        "p/<slug:slug>/members/<str:user_id>/role/",
        dashboard.member_role,
        name="project-member-role",
    ),
    path(
        "p/<slug:slug>/members/<str:user_id>/remove/",
        dashboard.member_remove,
        name="project-member-remove",
    ),
    path(
        "p/<slug:slug>/invitations/<str:invitation_id>/revoke/",
        dashboard.pending_invitation_revoke,
        name="project-invitation-revoke",
    ),
    path("p/<slug:slug>/tags/", tags.tags, name="project-tags"),
    path("p/<slug:slug>/tags/suggest/", tags.tag_suggest, name="project-tags-suggest"),
    path("p/<slug:slug>/tags/bulk/", tags.tags_bulk, name="project-tags-bulk"),
    path("p/<slug:slug>/tags/rules/", tags.rule_create, name="project-tag-rules"),
    path(
        "p/<slug:slug>/tags/rules/<str:rule_id>/active/",
        tags.rule_active,
        name="project-tag-rule-active",
    ),
    path(
        "p/<slug:slug>/tags/rules/<str:rule_id>/delete/",
        tags.rule_delete,
        name="project-tag-rule-delete",
    ),
    path(
        "p/<slug:slug>/tags/rules/<str:rule_id>/backfill/",
        tags.rule_backfill,
        name="project-tag-rule-backfill",
    ),
    path(
        "p/<slug:slug>/tags/rules/<str:rule_id>/progress/",
        tags.rule_progress,
        name="project-tag-rule-progress",
    ),
    path("p/<slug:slug>/tags/<str:tag_id>/rename/", tags.tag_rename, name="project-tag-rename"),
    path("p/<slug:slug>/tags/<str:tag_id>/merge/", tags.tag_merge, name="project-tag-merge"),
    path("p/<slug:slug>/tags/<str:tag_id>/parent/", tags.tag_parent, name="project-tag-parent"),
    path("p/<slug:slug>/tags/<str:tag_id>/delete/", tags.tag_delete, name="project-tag-delete"),
    path(
        "p/<slug:slug>/responses/<str:response_id>/tags/",
        tags.response_tag_add,
        name="project-response-tag-add",
    ),
    path(
        "p/<slug:slug>/responses/<str:response_id>/tags/<str:tag_id>/remove/",
        tags.response_tag_remove,
        name="project-response-tag-remove",
    ),
]
