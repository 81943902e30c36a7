"""The portal's URLs plus /bench/hello/, a constant response through the same middleware,
and /bench/upload/, which takes a multipart upload and does nothing with it (the burst
bench's baseline: the same 1 MB through the same server)."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from xianyang_portal.urls import urlpatterns as portal


@login_not_required
def hello(request):
    return HttpResponse(b"ok", content_type="text/plain")


@csrf_exempt
@login_not_required
def upload(request):
    size = sum(f.size for f in request.FILES.values())
    return HttpResponse(str(size).encode(), content_type="text/plain")


urlpatterns = [path("bench/hello/", hello), path("bench/upload/", upload), *portal]
