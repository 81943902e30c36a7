"""Who may open what: every URL pattern and API operation × every role and anonymous × own
and other objects, against a policy table written by hand from the product brief (roles
table, "an enterprise never sees another organisation's data", county = its county,
department = its measures, auditor reads everything and changes nothing) and issue 10/11
(drafts belong to the applicant alone; 三员分立). The table is not derived from the code.

Objects: "A" belongs to 咸阳秦都精密制造 (秦都区, the enterprise user's own organisation and
the county reviewer's county), "B" to 咸阳渭城新材料 (渭城区). Both cases are of measure 4, a
市工信局 measure: dept_miit reviews both, dept_sci neither.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.apps import apps
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from applications.models import Status

ROLES = (
    "anon",
    "qindu_corp",
    "county_qindu",
    "dept_miit",
    "dept_sci",
    "approver",
    "finance",
    "policy_admin",
    "security_admin",
    "auditor",
)
STAFF = ROLES[2:]
CASE_READERS = {"county_qindu", "dept_miit", "dept_sci", "approver", "auditor"}
CITYWIDE = {"approver", "finance", "policy_admin", "auditor"}


def row(default, **per_role):
    """Expected code for every role: `default`, with exceptions by role."""
    return {role: per_role.get(role, default) for role in ROLES}


def page(default, **per_role):
    """A page: anonymous visitors are sent to the login page."""
    return row(default, **{"anon": 302, **per_role})


def api(default, **per_role):
    """An API operation: anonymous callers get 401 (token authentication)."""
    return row(default, **{"anon": 401, **per_role})


def case_visibility(*, anon, draft=False):
    """A's and B's rows for a case, its files or its letter, from the visibility rules."""
    if draft:  # drafts: the applying organisation alone
        return {"A": row(404, anon=anon, qindu_corp=200), "B": row(404, anon=anon)}
    # Own organisation / own county see A only; the measure's department and the citywide
    # roles see both; another department and the security administrator see neither.
    return {
        "A": row(404, anon=anon, qindu_corp=200, county_qindu=200, dept_miit=200,
                 **dict.fromkeys(CITYWIDE, 200)),
        "B": row(404, anon=anon, dept_miit=200, **dict.fromkeys(CITYWIDE, 200)),
    }  # fmt: skip


def only(allowed: set[str], *, ok=200, refused=403, anon=302):
    return row(refused, anon=anon, **dict.fromkeys(allowed, ok))


# --- the policy table: GET of every URL -------------------------------------------------------
# A value is a row (no object in the URL) or {"A": row, "B": row}.

PUBLIC = row(200)
SUBMITTED = case_visibility(anon=302)
DRAFT = case_visibility(anon=302, draft=True)
REVIEW_CASE = {
    "A": only({"county_qindu", "dept_miit", "approver", "auditor"}, refused=403)
    | {"dept_sci": 404},
    "B": only({"dept_miit", "approver", "auditor"}) | {"county_qindu": 404, "dept_sci": 404},
}
LETTERS = case_visibility(anon=302)
API_SUBMITTED = case_visibility(anon=401)
API_DRAFT = case_visibility(anon=401, draft=True)
PAYMENT_READERS = {"finance", "auditor"}

GET_POLICY: dict[str, object] = {
    "home": PUBLIC,
    "accounts:register": PUBLIC,
    "accounts:login": PUBLIC,
    "accounts:password_reset": PUBLIC,
    "accounts:password_reset_done": PUBLIC,
    "accounts:password_reset_confirm": PUBLIC,  # an invalid link says so
    "accounts:home": page(200),
    "accounts:organisation_profile": page(404, qindu_corp=200),
    "accounts:staff_list": only({"security_admin", "auditor"}),
    "accounts:otp_enrol": page(302, qindu_corp=200),  # enrolled staff are sent home
    "accounts:otp_qr": page(404, qindu_corp=200),
    "accounts:password_change": page(200),
    "measures:list": PUBLIC,
    "measures:detail": PUBLIC,
    "applications:calculator": page(403, qindu_corp=200),
    "measures:budgets": only({"approver", "finance", "policy_admin", "auditor"}),
    "applications:dashboard": page(403, qindu_corp=200),
    "applications:start": page(403, qindu_corp=200),
    "applications:file": {
        "A_submitted": SUBMITTED["A"],
        "B_submitted": SUBMITTED["B"],
        "A_draft": DRAFT["A"],
        "B_draft": DRAFT["B"],
    },
    "applications:detail": {"A_draft": DRAFT["A"], "B_draft": DRAFT["B"]},
    "applications:edit": {"A_draft": DRAFT["A"], "B_draft": DRAFT["B"]},
    "reviews:queue": only(CASE_READERS),
    "reviews:notice_list": only({"approver"}),
    "reviews:audit_log": only({"auditor"}),
    "reviews:letters": only(CASE_READERS),
    "reviews:letter_download": {"A": LETTERS["A"], "B": LETTERS["B"]},
    "reviews:case": REVIEW_CASE,
    "reviews:material_preview": REVIEW_CASE,
    "jobs:status": page(404, finance=200),  # a job belongs to whoever started it
    "jobs:download": page(404),  # (it has no result yet)
    "payments:batch_list": only(PAYMENT_READERS),
    "payments:batch_new": only({"finance"}),
    "payments:dashboard": only({"approver", "finance", "policy_admin", "auditor"}),
    # Other roles do not learn that the batch exists.
    "payments:batch_detail": only(PAYMENT_READERS, refused=404),
    "payments:batch_export": only(PAYMENT_READERS, refused=404),
    # A large bank-result import run by a worker: whoever sees the batch sees its progress.
    "payments:import_status": only(PAYMENT_READERS, refused=404),
    "payments:import_status_json": only(PAYMENT_READERS, refused=404),
    "public_notices": PUBLIC,
    "public_notice": PUBLIC,
    "verify_letter": PUBLIC,
    "verify_letter_form": PUBLIC,
    "set_language": row(302),
    # API
    "api:token": row(405),
    "api:token-revoke": api(405),
    "api:me": api(200),
    "api:health": PUBLIC,
    "api:payment-results-import-status": only(PAYMENT_READERS, refused=404, anon=401),
    "api:measure-list": PUBLIC,
    "api:measure-detail": PUBLIC,
    "api:round-list": PUBLIC,
    "api:calculator": api(405),
    "api:application-list": api(200),
    "api:application-detail": {
        "A_submitted": API_SUBMITTED["A"],
        "B_submitted": API_SUBMITTED["B"],
        "A_draft": API_DRAFT["A"],
        "B_draft": API_DRAFT["B"],
    },
    "api:review-queue": api(403, **dict.fromkeys(CASE_READERS, 200)),
    "api:review-case": {
        "A": {**REVIEW_CASE["A"], "anon": 401},
        "B": {**REVIEW_CASE["B"], "anon": 401},
    },
    "api:payment-batch-list": api(403, finance=200, auditor=200),
    "api:payment-batch-detail": api(404, finance=200, auditor=200),
    "api:payment-batch-lines": api(404, finance=200, auditor=200),
    "api:payment-batch-export": api(404, finance=200, auditor=200),
    "api:payment-dashboard": api(403, approver=200, finance=200, policy_admin=200, auditor=200),
    "schema": PUBLIC,
    "swagger-ui": PUBLIC,
    "api:health-live": PUBLIC,
    # 消息中心: everyone's own messages.
    "accounts:messages": page(200),
    # 申报回执 and PDF page images: the applicant's own submitted case; files by visibility.
    "applications:receipt": {
        "A_submitted": row(404, anon=302, qindu_corp=200),
        "B_submitted": row(404, anon=302),
    },
    "applications:receipt_pdf": {
        "A_submitted": row(404, anon=302, qindu_corp=200),
        "B_submitted": row(404, anon=302),
    },
    "applications:file_page": {
        "A_submitted": SUBMITTED["A"],
        "B_submitted": SUBMITTED["B"],
        "A_draft": DRAFT["A"],
        "B_draft": DRAFT["B"],
    },
    "objection_lookup": PUBLIC,
    # The outbox's operations page: the policy and the security administrators.
    "operations:index": only({"policy_admin", "security_admin"}),
    "api:health-ready": PUBLIC,
    # Integration operations take a service-account key: a user (here force-authenticated)
    # lacks the key's scope.
    "api:integration-policy": api(403),
    "api:integration-statuses": api(403),
    "api:integration-webhooks": api(403),
    "api:integration-webhook-deliveries": api(403),
    "api:integration-webhook-delete": api(403),
    "api:integration-recognition-lists": api(403),
    # The policy administrator imports 免申即享 lists (policy data); the list id does not exist.
    "api:recognition-list-import": api(403, policy_admin=200, auditor=200),
    "api:service-accounts": api(403, security_admin=200, auditor=200),
    "api:service-account-rotate": api(405),
    "api:service-account-revoke": api(405),
    # 一企一档: the member's own organisation; staff have none.
    "api:credentials": api(404, qindu_corp=200),
    "api:credential-delete": api(405),
    "api:push-preference": api(404, qindu_corp=200),
    "api:recognition-list-rows": api(404),
    # The auditor reads everything (read-only); keys are the security administrator's and
    # 免申即享 lists the policy administrator's.
    "integrations:service_accounts": only({"security_admin", "auditor"}),
    "integrations:recognition_lists": only({"policy_admin", "auditor"}),
    "integrations:recognition_list": page(404),
    "integrations:profile": page(403, qindu_corp=200),
    "metrics": PUBLIC,
    # Issue 15: the API does what the UI does (same selectors, same roles as the pages).
    "api:notice-list": PUBLIC,
    "api:notice-detail": row(404),  # the notice id does not exist: 404 to everybody
    "api:notice-objection-create": row(405),  # POST only; public (no account)
    "api:objection-lookup": row(404),  # the receipt number does not exist
    "api:letter-verify": PUBLIC,
    "api:letter-list": api(200),  # everyone sees the letters of the cases they may see
    "api:letter-download": {
        "A": case_visibility(anon=401)["A"],
        "B": case_visibility(anon=401)["B"],
    },
    "api:letters-zip": api(405),
    "api:letters-regenerate": api(405),
    "api:notice-start": api(405),
    "api:review-flag-resolve": api(405),
    "api:review-objection-resolve": api(405),
    "api:audit-list": api(403, auditor=200),  # 三员分立: the audit trail is the auditor's
    "api:organisation-profile": api(404, qindu_corp=200),
    "api:notification-list": api(200),
    "api:notification-unread-count": api(200),
    "api:notification-mark-read": api(405),
    "api:budget-list": api(
        403, **dict.fromkeys({"approver", "finance", "policy_admin", "auditor"}, 200)
    ),
    "api:job-status": api(404, finance=200),  # a job belongs to whoever started it
    "api:job-download": api(404),  # (it has no result yet)
    "api:payment-batch-resume": api(405),
    "api:application-file": {
        "A_submitted": API_SUBMITTED["A"],
        "B_submitted": API_SUBMITTED["B"],
        "A_draft": API_DRAFT["A"],
        "B_draft": API_DRAFT["B"],
    },
    "api:outbox-operations": api(403, policy_admin=200, security_admin=200),
    "api:outbox-retry": api(405),
    "api:staff-list": api(403, security_admin=200, auditor=200),
    "api:password-change": api(405),
    "api:staff-security-action": api(405),
    "api:application-receipt": {
        "A_submitted": row(404, anon=401, qindu_corp=200),
        "B_submitted": row(404, anon=401),
    },
}

# Writes: the roles that may act (anything they send is judged by the service, so a refusal
# of the body is fine); every other role must get 403 or 404 and change nothing.
WRITE_POLICY: dict[str, set[str]] = {
    "accounts:logout": set(STAFF) | {"qindu_corp"},
    "accounts:staff_security_action": {"security_admin"},
    "accounts:organisation_profile": {"qindu_corp"},
    "accounts:staff_list": {"security_admin"},
    "applications:autosave": {"qindu_corp"},
    "applications:withdraw": {"qindu_corp"},
    "applications:delete": {"qindu_corp"},
    "applications:edit": {"qindu_corp"},
    "applications:preview": {"qindu_corp"},
    "reviews:bulk": {"county_qindu", "dept_miit", "dept_sci", "approver"},
    "reviews:act": {"county_qindu"},
    "reviews:letters_regenerate": {"approver"},
    "reviews:resolve_flag": {"county_qindu"},
    "reviews:resolve_objection": {"approver"},
    "payments:batch_new": {"finance"},
    "payments:batch_lock": {"finance"},
    "payments:batch_resume": {"finance"},
    "payments:lines_remove": {"finance"},
    "payments:lines_confirm_bank": {"finance"},
    "payments:lines_mark": {"finance"},
    "payments:results_import": {"finance"},
    "api:application-list": {"qindu_corp"},
    "api:application-evidence": {"qindu_corp"},
    "api:application-submit": {"qindu_corp"},
    "api:application-resubmit": {"qindu_corp"},
    "api:application-withdraw": {"qindu_corp"},
    "api:review-bulk": {"county_qindu", "dept_miit", "dept_sci", "approver"},
    "api:review-act": {"county_qindu"},
    "api:payment-batch-list": {"finance"},
    "api:payment-batch-lock": {"finance"},
    "api:payment-lines-remove": {"finance"},
    "api:payment-lines-confirm-bank": {"finance"},
    "api:payment-lines-mark": {"finance"},
    "api:payment-results-import": {"finance"},
    "integrations:service_accounts": {"security_admin"},
    "accounts:messages_read_all": (set(STAFF) - {"auditor"}) | {"qindu_corp"},
    "accounts:message_open": (set(STAFF) - {"auditor"}) | {"qindu_corp"},
    "operations:retry": {"policy_admin", "security_admin"},
    "integrations:rotate": {"security_admin"},
    "integrations:revoke": {"security_admin"},
    "integrations:recognition_lists": {"policy_admin"},
    "integrations:profile": {"qindu_corp"},
    "api:recognition-list-import": {"policy_admin"},
    "api:service-accounts": {"security_admin"},
    "api:service-account-rotate": {"security_admin"},
    "api:service-account-revoke": {"security_admin"},
    "api:credentials": {"qindu_corp"},
    "api:integration-recognition-lists": set(),
    "api:integration-webhooks": set(),
    "api:integration-webhook-delete": set(),
    "api:letters-zip": {"county_qindu", "dept_miit", "dept_sci", "approver"},
    "api:letters-regenerate": {"approver"},
    "api:notice-start": {"approver"},
    "api:review-flag-resolve": {"county_qindu"},
    "api:review-objection-resolve": {"approver"},
    "api:notification-mark-read": (set(STAFF) - {"auditor"}) | {"qindu_corp"},
    "api:payment-batch-resume": {"finance"},
    "api:outbox-retry": {"policy_admin", "security_admin"},
    "api:staff-list": {"security_admin"},
    "api:staff-security-action": {"security_admin"},
    # 异议 is a public act (no account, as on the public notice page); the notice does not exist.
    "api:notice-objection-create": set(),
}
# Roles whose request reaches the service, which refuses it with a message (wrong stage, not a
# member of the organisation…): a page redraw, a redirect with the message, or a 400/409.
JUDGED: dict[str, set[str]] = {
    "reviews:act": {"dept_miit", "approver"},
    "reviews:resolve_flag": {"dept_miit", "approver"},
    "reviews:bulk": {"county_qindu", "dept_miit", "dept_sci", "approver"},
    "api:application-list": set(STAFF) - {"auditor"},
}
ADMIN_POLICY = {
    "/admin/": only({"policy_admin", "security_admin"}, refused=302),
    "/admin/accounts/user/": only({"security_admin"}, refused=302) | {"policy_admin": 403},
    "/admin/accounts/roleassignment/": only({"security_admin"}, refused=302)
    | {"policy_admin": 403},
    "/admin/accounts/organisation/": only({"policy_admin"}, refused=302) | {"security_admin": 403},
    "/admin/measures/clause/": only({"policy_admin"}, refused=302) | {"security_admin": 403},
}
NOT_WALKED = {"admin", None}  # the admin's own patterns: walked through ADMIN_POLICY


def _url_names():
    def walk(resolver, namespace=None):
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace == "admin" or str(pattern.pattern).startswith("admin/"):
                    continue
                yield from walk(pattern, pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield (f"{namespace}:{pattern.name}" if namespace else pattern.name), pattern

    return dict(walk(get_resolver()))


def test_every_url_pattern_has_a_policy():
    names = set(_url_names())
    missing = names - set(GET_POLICY) - {n for n in WRITE_POLICY if n not in GET_POLICY}
    assert not missing, f"URL patterns without an authorization policy: {sorted(missing)}"
    assert not (set(GET_POLICY) - names), "policy rows for URLs that no longer exist"


# --- the world ----------------------------------------------------------------------------


@pytest.fixture
def world(demo, case_factory, application_factory, settings, django_capture_on_commit_callbacks):
    from jobs.models import Job
    from payments.selectors import BuildFilters
    from payments.services import payment_batch_build, payment_batch_lock
    from tests.payments.factories import ApplicationFactory, LetterFactory

    a_sub = case_factory(Status.COUNTY_REVIEW, username="qindu_corp")
    b_sub = case_factory(Status.COUNTY_REVIEW, username="weicheng_corp")
    a_draft = application_factory(username="qindu_corp")
    b_draft = application_factory(username="weicheng_corp")
    letters = {}
    for key, username in (("A", "qindu_corp"), ("B", "weicheng_corp")):
        awarded = ApplicationFactory(
            organisation=demo[username].organisations.get(),
            round=a_sub.round,
            clause=a_sub.clause,
            status=Status.APPROVED,
            approved_amount=Decimal("50000.00"),
            created_by=demo[username],
        )
        letters[key] = LetterFactory(application=awarded)
    pdf = settings.MEDIA_ROOT / "letters" / "test.pdf"
    pdf.parent.mkdir(parents=True, exist_ok=True)
    pdf.write_bytes(b"%PDF-1.4\n%%EOF\n")
    with django_capture_on_commit_callbacks(execute=True):
        batch = payment_batch_build(actor=demo["finance"], filters=BuildFilters())
    batch.refresh_from_db()
    payment_batch_lock(actor=demo["finance_checker"], batch_id=batch.pk)  # 复核: a second officer
    job = Job.objects.create(kind="letters_zip", requested_by=demo["finance"])
    import_job = Job.objects.create(
        kind="payment_results_import", requested_by=demo["finance"], params={"batch": batch.pk}
    )
    return {
        "A": a_sub,
        "B": b_sub,
        "A_submitted": a_sub,
        "B_submitted": b_sub,
        "A_draft": a_draft,
        "B_draft": b_draft,
        "letters": letters,
        "batch": batch,
        "job": job,
        "import_job": import_job,
        "staff_user": demo["approver"],
    }


def _kwargs(name, pattern, world, key):
    params = set(re.findall(r"<(?:\w+:)?(\w+)>", str(pattern.pattern)))
    obj = world.get(key) if key else world["A"]
    values = {}
    for param in params:
        if param == "reference":
            values[param] = (
                world["batch"].reference
                if name.startswith(("payments:", "api:payment"))
                else obj.reference
            )
        elif param == "evidence_id":
            values[param] = obj.materials.first().evidence_id
        elif param == "letter_id":
            values[param] = world["letters"][key or "A"].pk
        elif param == "material_id":
            values[param] = obj.materials.first().pk
        elif param == "code":
            values[param] = (
                "M02-SPECIALISED-SME"
                if name == "applications:start"
                else world["letters"]["A"].verification_code
            )
        elif param == "number":
            values[param] = 2
        elif param == "fmt":
            values[param] = "xlsx"
        elif param == "job_id" and "import" in name:
            values[param] = world["import_job"].pk
        elif param in ("job_id",):
            values[param] = world["job"].pk
        elif param == "user_id":
            values[param] = world["staff_user"].pk
        elif param == "action":
            values[param] = "unlock"
        elif param == "page":
            values[param] = 1
        elif param == "message_id" or param == "notification_id":
            values[param] = 999999
        elif param == "uscc":
            values[param] = obj.organisation.uscc
        elif param in (
            "flag_id",
            "objection_id",
            "notice_id",
            "list_id",
            "account_id",
            "credential_id",
            "subscription_id",
            "receipt_no",
        ):
            values[param] = 999999  # none exists: the check before the lookup decides
        elif param == "uidb64":
            values[param] = "MQ"
        elif param == "token":
            values[param] = "bad-token"
        else:
            raise AssertionError(f"no test value for <{param}> in {name}")
    return values


def _client(demo, role, api_path):
    if role == "anon":
        return APIClient() if api_path else Client()
    client = APIClient() if api_path else Client()
    if api_path:
        client.force_authenticate(demo[role])
    else:
        client.force_login(demo[role])
    return client


def _cases():
    for name, policy in GET_POLICY.items():
        keys = list(policy) if set(policy) - set(ROLES) else [None]
        for key in keys:
            yield name, key


def test_get_matrix(world, demo):
    """One world, every GET: the differences from the table are listed together."""
    from django.urls import reverse

    patterns = _url_names()
    clients = {
        (role, api_path): _client(demo, role, api_path)
        for role in ROLES
        for api_path in (False, True)
    }
    differences = []
    for name, key in _cases():
        expected_row = GET_POLICY[name][key] if key else GET_POLICY[name]
        if name == "public_notice":
            expected_row = row(404)  # the notice id does not exist: 404 to everybody
        url = reverse(name, kwargs=_kwargs(name, patterns[name], world, key))
        got = {
            role: clients[(role, url.startswith("/api/"))].get(url).status_code for role in ROLES
        }
        for role in ROLES:
            if got[role] != expected_row[role]:
                differences.append(
                    (url, role, f"expected {expected_row[role]}", f"got {got[role]}")
                )
    assert differences == [], "\n".join(map(str, differences))


def test_admin_matrix(world, demo):
    clients = {role: _client(demo, role, False) for role in ROLES}
    got = {
        path: {role: clients[role].get(path).status_code for role in ROLES} for path in ADMIN_POLICY
    }
    assert got == ADMIN_POLICY


def _snapshot():
    """Everything but the records of the attempt itself (audit rows, lockout counters, sessions,
    the second factor's last-used step and throttle counters)."""
    skip = {"audit", "axes", "sessions", "otp_totp", "otp_static", "knox"}
    counts = {}
    for model in apps.get_models():
        if model._meta.app_label in skip or not model._meta.managed:
            continue
        counts[model._meta.label] = model.objects.count()
    from accounts.models import Organisation, User
    from applications.models import Application
    from payments.models import PaymentBatch
    from reviews.models import Letter

    return (
        counts,
        sorted(
            Application.objects.values_list("pk", "status", "recommended_amount", "approved_amount")
        ),
        sorted(PaymentBatch.objects.values_list("pk", "state")),
        sorted(Letter.objects.values_list("pk", "state")),
        sorted(Organisation.objects.values_list("pk", "bank_account", "industry")),
        sorted(
            User.objects.values_list("pk", "is_active", "is_superuser", "is_staff", "full_name")
        ),
    )


WRITE_BODIES = {
    "applications:autosave": {"facts": "{}"},
    "reviews:act": {"action": "pass", "comment": "审计员试图通过"},
    "reviews:bulk": {"action": "pass", "selected": ["1"]},
    "api:review-act": {"action": "pass", "comment": "x"},
    "api:review-bulk": {"action": "pass", "references": ["X"]},
}


def test_write_matrix_and_auditor_changes_nothing(world, demo):
    """Every write, by every role without the right: refused, and nothing changed."""
    from django.urls import reverse

    patterns = _url_names()
    clients = {
        (role, api_path): _client(demo, role, api_path)
        for role in ROLES
        for api_path in (False, True)
    }
    differences = []
    for name, allowed in WRITE_POLICY.items():
        key = "A_draft" if name.startswith(("applications:", "api:application")) else None
        url = reverse(name, kwargs=_kwargs(name, patterns[name], world, key))
        api_path = url.startswith("/api/")
        body = WRITE_BODIES.get(name, {})
        for role in ROLES:
            if role in allowed:
                continue  # allowed roles are judged by the services' own tests
            before = _snapshot()
            client = clients[(role, api_path)]
            response = client.post(url, body, format="json") if api_path else client.post(url, body)
            # Anonymous: login (pages) or 401 (API). A role without the right: 403 or 404; the
            # auditor: 403 for every write, whatever the body.
            if name == "api:notice-objection-create":
                expected = {404}  # public: anybody reaches it, and the notice does not exist
            elif role == "anon":
                expected = {401} if api_path else {302}
            elif role == "auditor":
                expected = {403}
            elif role in JUDGED.get(name, ()):
                expected = {200, 302, 400, 409, 415}
            else:
                expected = {403, 404}
            if response.status_code not in expected:
                differences.append((url, role, sorted(expected), response.status_code))
            if _snapshot() != before:
                differences.append((url, role, "changed data"))
    assert differences == [], "\n".join(map(str, differences))
