from .navigation import nav_for
from .selectors import notifications_unread_count, user_scopes


def navigation(request):
    user = getattr(request, "user", None)
    scopes = user_scopes(user)
    unread = notifications_unread_count(user=user) if getattr(user, "is_authenticated", 0) else 0
    return {"nav_items": nav_for(scopes), "scopes": scopes, "unread_messages": unread}
