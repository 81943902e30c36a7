from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeasuresConfig(AppConfig):
    name = "measures"
    verbose_name = _("政策措施与奖励规则")

    def ready(self) -> None:
        from django.core.signals import request_finished, request_started
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from . import models
        from .selectors import (
            catalogue_changed,
            catalogue_request_finished,
            catalogue_request_started,
        )

        # The version is read once per request (measures.selectors.catalogue_version).
        request_started.connect(catalogue_request_started, dispatch_uid="cat-request-started")
        request_finished.connect(catalogue_request_finished, dispatch_uid="cat-request-finished")

        # Any write to the catalogue (services, admin, load_policy) moves the version on.
        for model in (
            models.Policy,
            models.Section,
            models.Measure,
            models.Clause,
            models.ClauseVersion,
            models.Round,
        ):
            post_save.connect(catalogue_changed, sender=model, dispatch_uid=f"cat-save-{model}")
            post_delete.connect(catalogue_changed, sender=model, dispatch_uid=f"cat-del-{model}")
        m2m_changed.connect(
            catalogue_changed, sender=models.Round.clauses.through, dispatch_uid="cat-m2m"
        )
