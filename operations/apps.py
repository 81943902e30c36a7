from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OperationsConfig(AppConfig):
    """The operations page and API: the outbox's backlog and failures with a retry button, and
    the calendar warning. It sits above the apps whose state it shows (it reads roles and the
    holiday calendar), so the outbox itself stays at the bottom."""

    name = "operations"
    verbose_name = _("运行监控")
