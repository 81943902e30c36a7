"""Helpers for tests: API clients and browser log-in."""

from __future__ import annotations

import threading
import time

from django.core.signals import request_finished, request_started
from rest_framework.test import APIClient


def api_as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def totp_code(username: str) -> str:
    """The code a staff user's authenticator shows now (one not used yet by this device)."""

    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user__username=username, confirmed=True).first()
    if device is None:
        return ""
    now_step = int(time.time() - device.t0) // device.step
    # django-otp refuses a code twice: a second login in the same 30 s uses the next step,
    # which its tolerance accepts; past that, wait for the clock.
    wanted = max(now_step, device.last_t + 1)
    while wanted > now_step + device.tolerance:
        time.sleep(1)
        now_step = int(time.time() - device.t0) // device.step
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=wanted - now_step):0{device.digits}d}"


def login(page, username: str, password: str | None = None) -> None:
    from accounts.demo import DEMO_PASSWORD

    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password or DEMO_PASSWORD)
    code = totp_code(username)
    if code:
        page.fill("#id_otp_token", code)
    page.click("button[type=submit]:has-text('登录')")
    page.wait_for_url("**/accounts/home/")


def logout(page) -> None:
    page.click("button:has-text('退出')")
    page.wait_for_url("**/")


def fill_registration(
    page,
    *,
    name: str,
    uscc: str,
    place: str,
    username: str,
    password: str,
    confirm: str | None = None,
) -> None:
    """Fill the enterprise registration form (the caller submits and checks the outcome)."""
    page.goto("/accounts/register/")
    page.fill("#id_legal_name", name)
    page.fill("#id_uscc", uscc)
    page.select_option("#id_kind", "enterprise")
    page.select_option("#id_place", label=place)
    page.fill("#id_full_name", "申报联系人")
    page.fill("#id_contact_phone", "13700000000")
    page.fill("#id_contact_email", f"{username}@example.com")
    page.fill("#id_username", username)
    page.fill("#id_password1", password)
    page.fill("#id_password2", confirm or password)


class _RequestsInFlight:
    """Requests the live server (a thread of this process) is still answering."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    def started(self, **_kwargs) -> None:
        with self._lock:
            self.count += 1

    def finished(self, **_kwargs) -> None:
        with self._lock:
            self.count -= 1


REQUESTS_IN_FLIGHT = _RequestsInFlight()
request_started.connect(REQUESTS_IN_FLIGHT.started, weak=False)
request_finished.connect(REQUESTS_IN_FLIGHT.finished, weak=False)


def close_browser_context(context, *, quiet_s: float = 0.3, limit_s: float = 15.0) -> None:
    """Close a browser context, then wait until the live server has answered what the pages
    sent on their way out (the application form saves on pagehide by sendBeacon), so that
    the test's database flush never meets a request still holding row locks (a deadlock)."""
    for page in context.pages:
        page.goto("about:blank")  # fires pagehide, and with it the form's beacon
    context.close()
    deadline = time.monotonic() + limit_s
    quiet_since = time.monotonic()
    while time.monotonic() < deadline:
        if REQUESTS_IN_FLIGHT.count > 0:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= quiet_s:
            return
        time.sleep(0.02)
