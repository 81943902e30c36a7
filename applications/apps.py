from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApplicationsConfig(AppConfig):
    name = "applications"
    verbose_name = _("申报")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from accounts.models import Place
        from measures.models import RoundBudget

        from . import summaries  # registers the summaries' move observer

        # The dashboard's figures also show budgets (amount, committed) and place names.
        for model in (RoundBudget, Place):
            for signal in (post_save, post_delete):
                signal.connect(
                    summaries.summaries_changed, sender=model, dispatch_uid=f"summaries-{model}"
                )
