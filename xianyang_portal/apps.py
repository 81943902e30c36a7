from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The project package: settings, URLs, the Celery app and the template filters every page
    loads (templatetags/portal.py); installed for the filters."""

    name = "xianyang_portal"
    verbose_name = "Xianyang portal"
