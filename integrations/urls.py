from django.urls import path

from . import views

app_name = "integrations"
urlpatterns = [
    path("accounts/", views.service_accounts, name="service_accounts"),
    path("accounts/<int:account_id>/rotate/", views.service_account_rotate, name="rotate"),
    path("accounts/<int:account_id>/revoke/", views.service_account_revoke, name="revoke"),
    path("lists/", views.recognition_lists, name="recognition_lists"),
    path("lists/<int:list_id>/", views.recognition_list, name="recognition_list"),
]
