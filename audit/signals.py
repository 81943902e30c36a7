"""Security events from Django itself: sign-in, failed sign-in, sign-out, admin changes."""

from __future__ import annotations

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_save
from django.dispatch import receiver

from .services import audit_security_event

ADMIN_ACTIONS = {ADDITION: "admin.addition", CHANGE: "admin.change", DELETION: "admin.deletion"}


@receiver(user_logged_in, dispatch_uid="audit_login")
def _logged_in(sender, request, user, **kwargs) -> None:
    audit_security_event(actor=user, action="security.login", request=request)


@receiver(user_logged_out, dispatch_uid="audit_logout")
def _logged_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        audit_security_event(actor=user, action="security.logout", request=request)


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def _login_failed(sender, credentials, request=None, **kwargs) -> None:
    # `credentials` has the password already masked by Django; keep only the username.
    username = str(credentials.get("username") or credentials.get("email") or "")[:150]
    audit_security_event(
        actor=None,
        action="security.login_failed",
        request=request,
        target_label=username,
        detail={"username": username},
    )


@receiver(post_save, sender=LogEntry, dispatch_uid="audit_admin_change")
def _admin_logged(sender, instance: LogEntry, created: bool, **kwargs) -> None:
    if created:
        _admin_entry(instance)


def _admin_entry(entry: LogEntry) -> None:
    from audit.models import AuditEvent
    from audit.services import audit_append

    audit_append(
        [
            AuditEvent(
                actor_id=entry.user_id,
                object_type=entry.content_type.app_label + "." + entry.content_type.model
                if entry.content_type_id
                else "admin",
                object_id=str(entry.object_id or "")[:40],
                object_repr=entry.object_repr[:200],
                action=ADMIN_ACTIONS.get(entry.action_flag, "admin.change"),
                after={"change": entry.get_change_message()},
            )
        ]
    )
