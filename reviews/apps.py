from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = _("审核、公示与核定通知书")

    def ready(self) -> None:
        from . import effects  # noqa: F401 - registers the notice and letter effects

        checks.register(_letter_seal_check, checks.Tags.security, deploy=True)


def _letter_seal_check(app_configs, **kwargs):
    """`check --deploy`: without the bureau's seal image every letter prints the marked
    placeholder "印章位置（未配置印章图像）", which no official reader accepts."""
    from pathlib import Path

    from django.conf import settings

    seal = settings.LETTER_SEAL_IMAGE
    if seal and Path(seal).is_file():
        return []
    reason = "is not set" if not seal else f"names no file ({seal})"
    return [
        checks.Warning(
            f"LETTER_SEAL_IMAGE {reason}: approval letters will show the seal placeholder.",
            hint="Mount the bureau's seal image (PNG or SVG) and set LETTER_SEAL_IMAGE to it.",
            id="reviews.W001",
        )
    ]
