from django.urls import path

from . import views

app_name = "outbox"

urlpatterns = [
    path("", views.operations, name="operations"),
    path("<int:message_id>/retry/", views.retry, name="retry"),
]
