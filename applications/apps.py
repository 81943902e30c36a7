from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApplicationsConfig(AppConfig):
    name = "applications"
    verbose_name = _("申报")

    def ready(self) -> None:
        from . import summaries  # noqa: F401 - registers the summaries' move observer
