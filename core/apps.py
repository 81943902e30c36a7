from django.apps import AppConfig


class CoreConfig(AppConfig):
    """What every app uses and that knows none of them: the error type and API error format,
    money, forms, exports and imports, storage, encryption, bulk writes, error pages,
    middleware and observability. The project package (xianyang_portal) sits on top and only
    wires the apps together (settings, URLs, the Celery app, template filters)."""

    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        # The `__any` lookup (one array parameter for thousands of ids) for every model.
        from . import bulk  # noqa: F401
