from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = _("审核、公示与核定通知书")

    def ready(self) -> None:
        from . import effects  # noqa: F401 - registers the notice and letter effects
