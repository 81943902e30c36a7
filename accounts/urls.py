from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import path, reverse_lazy
from django_ratelimit.decorators import ratelimit

from . import views
from .lockout import rate

app_name = "accounts"

public = login_not_required

urlpatterns = [
    path("register/", views.register, name="register"),
    path("login/", views.portal_login, name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password-reset/",
        public(
            ratelimit(key="ip", rate=rate("password_reset"), method="POST", block=True)(
                views.AuditedPasswordResetView.as_view(
                    template_name="accounts/password_reset.html",
                    email_template_name="accounts/password_reset_email.txt",
                    success_url=reverse_lazy("accounts:password_reset_done"),
                )
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
            views.AuditedPasswordResetConfirmView.as_view(
                template_name="accounts/password_reset_confirm.html",
                success_url=reverse_lazy("accounts:login"),
            )
        ),
        name="password_reset_confirm",
    ),
    path("home/", views.home, name="home"),
    path("organisation/", views.organisation_profile, name="organisation_profile"),
    path("staff/", views.staff_list, name="staff_list"),
    path(
        "staff/<int:user_id>/<slug:action>/",
        views.staff_security_action,
        name="staff_security_action",
    ),
    path("two-factor/", views.otp_enrol, name="otp_enrol"),
    path("two-factor/qr.svg", views.otp_qr, name="otp_qr"),
    path("password/", views.password_change, name="password_change"),
    path("messages/", views.message_list, name="messages"),
    path("messages/read-all/", views.messages_read_all, name="messages_read_all"),
    path("messages/<int:notification_id>/open/", views.message_open, name="message_open"),
]
