"""Shared fixtures: demo data, a logged-in API client, a real Celery worker, a browser."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from tests.helpers import close_browser_context

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(autouse=True)
def _isolated_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _default_language():
    # A request in English leaves English active in this thread; each test starts in Chinese.
    from django.utils import translation

    translation.activate("zh-hans")
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _force_login_passes_second_factor(monkeypatch):
    """`client.force_login(staff)` already bypasses the password; let it bypass TOTP too.

    Real logins through the login form or the token endpoint still need the code (see
    tests/accounts/test_security.py).
    """
    from django.test.client import ClientMixin

    original = ClientMixin._login

    def _login(self, user, backend=None):
        original(self, user, backend)
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from accounts.twofactor import is_staff_account

        if not is_staff_account(user):
            return
        device = TOTPDevice.objects.filter(
            user=user, confirmed=True
        ).first() or TOTPDevice.objects.create(user=user, name="test", confirmed=True)
        session = self.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()

    monkeypatch.setattr(ClientMixin, "_login", _login)


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()


def _restore_reference_data() -> None:
    """Places and departments come from a data migration; transactional tests flush them.

    Re-run that migration's own function (Django's serialized rollback does not survive the
    context switches of Playwright's sync API, so it cannot be relied on here).
    """
    import importlib

    from django.apps import apps

    importlib.import_module("accounts.migrations.0002_places_and_departments").create(apps, None)


@pytest.fixture
def demo(db):
    """The demo organisations and one user per role."""
    from accounts.demo import seed_accounts

    _restore_reference_data()
    seed_accounts()
    from accounts.models import User

    return {user.username: user for user in User.objects.all()}


@pytest.fixture
def api_client():
    return APIClient()


# --- a real Celery worker against Redis -------------------------------------------------


def _reset_router(app) -> None:
    """Celery builds its router once; rebuild it after changing task_routes."""
    app.amqp.flush_routes()
    app.amqp.router = app.amqp.Router()


def worker_env(settings, **extra: str) -> dict[str, str]:
    """The environment of a worker subprocess on this test's database and media."""
    from django.db import connection

    db = settings.DATABASES["default"]
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "xianyang_portal.settings.test",
        "DATABASE_URL": (
            f"postgres://{db['USER']}:{db.get('PASSWORD') or ''}@{db['HOST']}:{db['PORT']}/"
            f"{connection.settings_dict['NAME']}"
        ),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        **extra,
    }


def worker_start(env: dict[str, str], queue: str) -> subprocess.Popen:
    """Start `celery worker` (solo pool) consuming `queue`; wait until it answers a ping."""
    from xianyang_portal.celery import app

    # Whatever the worker itself publishes (letter chunks, outbox deliveries) comes back to it.
    env = {**env, "CELERY_SINGLE_QUEUE": queue}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "xianyang_portal",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "-Q",
            queue,
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-n",
            f"{queue}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if app.control.ping(destination=[f"{queue}@{os.uname().nodename}"], timeout=1):
            return proc
        if proc.poll() is not None:
            raise RuntimeError(
                "celery worker exited:\n" + (proc.stdout.read() if proc.stdout else "")
            )
    proc.kill()
    output = proc.communicate()[0] or ""
    raise RuntimeError("celery worker did not answer within 60 s:\n" + output[-3000:])


def worker_stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        output, _ = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        output, _ = proc.communicate()
    # Shown by pytest only when the test fails: the worker's own log.
    print("---- celery worker log ----\n" + (output or "")[-6000:])  # noqa: T201


@pytest.fixture
def celery_queue(settings):
    """Tasks published by this test go to a queue of its own, through a real broker."""
    from xianyang_portal.celery import app

    queue = f"test-{os.getpid()}-{time.monotonic_ns()}"
    old = (app.conf.task_always_eager, app.conf.task_default_queue, app.conf.task_routes)
    app.conf.task_always_eager = False
    app.conf.task_default_queue = queue
    # Every task (whatever queue it is routed to in production) goes to this worker.
    app.conf.task_routes = {"*": {"queue": queue}}
    _reset_router(app)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    yield queue
    app.conf.task_always_eager, app.conf.task_default_queue, app.conf.task_routes = old
    _reset_router(app)


@pytest.fixture
def celery_worker_process(transactional_db, settings, celery_queue):
    """Start `celery worker` in a subprocess on the test database; tasks go through Redis."""
    proc = worker_start(worker_env(settings), celery_queue)
    try:
        yield proc
    finally:
        worker_stop(proc)


# --- a headless Chromium driven by Playwright ---------------------------------------------


@pytest.fixture(scope="session")
def browser():
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("Debian's chromium is not installed: run scripts/test.sh, which installs it")
    # Playwright's sync API runs an event loop in this thread; Django's test DB access from
    # the same thread is still synchronous and safe here.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, headless=True, args=CHROMIUM_FLAGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="zh-CN")
    context.set_default_timeout(15000)
    page = context.new_page()
    yield page
    close_browser_context(context)


# --- applications built through the real services -------------------------------------------


SPECIALISED_SME_FACTS = {
    "level": "national",
    "recognised_on": "2025-08-01",
    "certificate_no": "工信部企业函〔2025〕100号",
}


@pytest.fixture
def open_round_db(db):
    from measures.demo import seed_policy_and_round

    return seed_policy_and_round()


@pytest.fixture
def application_factory(demo, open_round_db):
    """Make an application through the services, up to draft or submitted."""
    from applications.demo import demo_application
    from measures.models import Clause

    def make(
        *,
        clause_code: str = "M02-SPECIALISED-SME",
        username: str = "qindu_corp",
        facts: dict | None = None,
        submit: bool = False,
    ):
        return demo_application(
            user=demo[username],
            clause=Clause.objects.get(code=clause_code, policy=open_round_db.policy),
            facts=facts if facts is not None else dict(SPECIALISED_SME_FACTS),
            submit=submit,
        )

    return make


@pytest.fixture
def case_factory(application_factory, demo):
    """A submitted application moved to any status directly (state set-up, not behaviour)."""
    from applications.models import Application, Status
    from applications.summaries import summaries_refresh

    counter = iter(range(1, 10_000))

    def make(
        status="county_review",
        *,
        username="qindu_corp",
        recommended=None,
        approved=None,
        **kwargs,
    ):
        # A ceiling clause with no first-time rule, so many cases of one organisation coexist.
        kwargs.setdefault("clause_code", "M04-SMART-FACTORY")
        kwargs.setdefault(
            "facts",
            {
                "level": "leading",
                "recognised_on": "2025-08-01",
                "certificate_no": f"智能工厂{next(counter)}",
            },
        )
        application = application_factory(username=username, submit=True, **kwargs)
        Application.objects.filter(pk=application.pk).update(
            status=status,
            recommended_amount=recommended,
            approved_amount=approved,
            returned_from=Status.COUNTY_REVIEW if status == Status.RETURNED else "",
        )
        # State written directly: recount the summaries as a data load would.
        summaries_refresh()
        application.refresh_from_db()
        return application

    return make
