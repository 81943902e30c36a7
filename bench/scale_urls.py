"""The portal's URLs plus /bench/hello/, a constant response through the same middleware."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.urls import path

from xianyang_portal.urls import urlpatterns as portal


@login_not_required
def hello(request):
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path("bench/hello/", hello), *portal]
