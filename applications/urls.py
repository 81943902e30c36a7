from django.urls import path

from . import views

app_name = "applications"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("files/<int:evidence_id>/", views.evidence_file, name="file"),
    path("files/<int:evidence_id>/page/<int:page>.png", views.evidence_page, name="file_page"),
    path("calculator/", views.calculator, name="calculator"),
    path("start/<str:code>/", views.start, name="start"),
    path("<str:reference>/", views.detail, name="detail"),
    path("<str:reference>/edit/", views.edit, name="edit"),
    path("<str:reference>/receipt/", views.receipt, name="receipt"),
    path("<str:reference>/receipt.pdf", views.receipt_pdf_download, name="receipt_pdf"),
    path("<str:reference>/autosave/", views.autosave, name="autosave"),
    path("<str:reference>/preview/", views.preview, name="preview"),
    path("<str:reference>/withdraw/", views.withdraw, name="withdraw"),
    path("<str:reference>/delete/", views.delete_draft, name="delete"),
]
