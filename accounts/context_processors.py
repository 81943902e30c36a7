from .navigation import nav_for
from .selectors import user_scopes


def navigation(request):
    scopes = user_scopes(getattr(request, "user", None))
    return {"nav_items": nav_for(scopes), "scopes": scopes}
