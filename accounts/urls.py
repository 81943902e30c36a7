from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import path, reverse_lazy

from . import views

app_name = "accounts"

public = login_not_required

urlpatterns = [
    path("register/", views.register, name="register"),
    path(
        "login/",
        public(auth_views.LoginView.as_view(template_name="accounts/login.html")),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password-reset/",
        public(
            auth_views.PasswordResetView.as_view(
                template_name="accounts/password_reset.html",
                email_template_name="accounts/password_reset_email.txt",
                success_url=reverse_lazy("accounts:password_reset_done"),
            )
        ),
        name="password_reset",
    ),
    path(
        "password-reset/sent/",
        public(
            auth_views.PasswordResetDoneView.as_view(
                template_name="accounts/password_reset_done.html"
            )
        ),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        public(
            auth_views.PasswordResetConfirmView.as_view(
                template_name="accounts/password_reset_confirm.html",
                success_url=reverse_lazy("accounts:login"),
            )
        ),
        name="password_reset_confirm",
    ),
    path("home/", views.home, name="home"),
    path("organisation/", views.organisation_profile, name="organisation_profile"),
    path("staff/", views.staff_list, name="staff_list"),
    path("messages/", views.message_list, name="messages"),
    path("messages/read-all/", views.messages_read_all, name="messages_read_all"),
    path("messages/<int:notification_id>/open/", views.message_open, name="message_open"),
]
