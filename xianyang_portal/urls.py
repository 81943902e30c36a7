from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.generic import TemplateView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts import api as accounts_api

public = login_not_required

api_v1 = [
    path("me/", accounts_api.me, name="me"),
    path("health/", accounts_api.health, name="health"),
]

urlpatterns = [
    path("", public(TemplateView.as_view(template_name="public/home.html")), name="home"),
    path("accounts/", include("accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"))),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
]

admin.site.site_header = "咸阳市惠企政策申报平台 · 规则配置"
admin.site.site_title = "咸阳市惠企政策申报平台"
