from django.urls import path

from . import views

app_name = "applications"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("files/<int:evidence_id>/", views.evidence_file, name="file"),
    path("start/<str:code>/", views.start, name="start"),
    path("<str:reference>/", views.detail, name="detail"),
    path("<str:reference>/edit/", views.edit, name="edit"),
    path("<str:reference>/autosave/", views.autosave, name="autosave"),
    path("<str:reference>/preview/", views.preview, name="preview"),
    path("<str:reference>/withdraw/", views.withdraw, name="withdraw"),
    path("<str:reference>/delete/", views.delete_draft, name="delete"),
]
