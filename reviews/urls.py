from django.urls import path

from . import views

app_name = "reviews"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("bulk/", views.bulk, name="bulk"),
    path("notices/", views.notice_list, name="notice_list"),
    path("audit/", views.audit_log, name="audit_log"),
    path("letters/", views.letter_list, name="letters"),
    path("letters/regenerate/", views.letters_regenerate, name="letters_regenerate"),
    path("letters/<int:letter_id>/download/", views.letter_download, name="letter_download"),
    path("cases/<str:reference>/", views.case, name="case"),
    path("cases/<str:reference>/act/", views.act, name="act"),
    path("cases/<str:reference>/flags/<int:flag_id>/", views.resolve_flag, name="resolve_flag"),
    path(
        "cases/<str:reference>/objections/<int:objection_id>/",
        views.resolve_objection,
        name="resolve_objection",
    ),
    path(
        "cases/<str:reference>/materials/<int:material_id>/",
        views.material_preview,
        name="material_preview",
    ),
]
