from django.urls import path

from . import views

app_name = "payments"

urlpatterns = [
    path("", views.batch_list, name="batch_list"),
    path("new/", views.batch_new, name="batch_new"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("batches/<str:reference>/", views.batch_detail, name="batch_detail"),
    path("batches/<str:reference>/lock/", views.batch_lock, name="batch_lock"),
    path("batches/<str:reference>/resume/", views.batch_resume, name="batch_resume"),
    path("batches/<str:reference>/remove/", views.lines_remove, name="lines_remove"),
    path(
        "batches/<str:reference>/confirm-bank/",
        views.lines_confirm_bank,
        name="lines_confirm_bank",
    ),
    path("batches/<str:reference>/mark/", views.lines_mark, name="lines_mark"),
    path("batches/<str:reference>/import/", views.results_import, name="results_import"),
    path(
        "batches/<str:reference>/imports/<int:job_id>/",
        views.import_status,
        name="import_status",
    ),
    path(
        "batches/<str:reference>/imports/<int:job_id>/status/",
        views.import_status_json,
        name="import_status_json",
    ),
    path("batches/<str:reference>/export/<str:fmt>/", views.batch_export, name="batch_export"),
]
