from django.urls import path

from . import views

app_name = "operations"

urlpatterns = [
    path("", views.operations, name="index"),
    path("<int:message_id>/retry/", views.retry, name="retry"),
]
