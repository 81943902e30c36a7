from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = _("审计日志")

    def ready(self) -> None:
        from . import signals  # noqa: F401 - connects the receivers
        from .admin_log import patch_bulk_log

        patch_bulk_log()
        checks.register(_keys_check, checks.Tags.security)


def _keys_check(app_configs, **kwargs):
    """Malformed keys are a configuration error at start-up, not at the first save."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    from core import crypto

    errors = []
    for name, test in (
        ("FIELD_ENCRYPTION_KEYS", crypto.current_key_id),
        ("FIELD_HASH_KEY", lambda: crypto.lookup_hash("")),
        ("AUDIT_CHAIN_KEY", lambda: crypto.hmac_sm3(bytes.fromhex(settings.AUDIT_CHAIN_KEY), b"")),
    ):
        try:
            test()
        except (ImproperlyConfigured, ValueError) as exc:
            errors.append(checks.Error(f"{name}: {exc}", id="audit.E001"))
    return errors
