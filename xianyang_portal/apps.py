from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "xianyang_portal"
    verbose_name = "Xianyang portal"

    def ready(self) -> None:
        # The `__any` lookup (one array parameter for thousands of ids) for every model.
        from . import bulk  # noqa: F401
