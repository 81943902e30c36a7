"""The API does what the UI does (issue 15, Deliver 1).

A hand-written table: each UI action (URL name and HTTP method of a page a user reads or posts
to) → the API operation (operation id in /api/schema/) that does the same thing. Every UI URL
pattern (django.urls.get_resolver, the Django admin aside) must have a row, either here or in
HTML_ONLY with the reason; every page that accepts a POST (the writes of
tests/test_authorization.py) must have a POST row; every operation id named must exist in the
generated OpenAPI schema. A new page without a row fails this test.
"""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.generators import SchemaGenerator

from tests.test_authorization import WRITE_POLICY

# (UI URL name, method) → API operation id.
UI_TO_API: dict[tuple[str, str], str] = {
    # accounts
    ("accounts:login", "POST"): "token_post",  # password (+ second factor for staff)
    ("accounts:logout", "POST"): "token_revoke_post",
    ("accounts:home", "GET"): "me_get",  # roles and organisations
    ("accounts:organisation_profile", "GET"): "organisation_profile_get",
    ("accounts:organisation_profile", "POST"): "organisation_profile_patch",
    ("accounts:staff_list", "GET"): "staff_list_get",
    ("accounts:staff_list", "POST"): "staff_list_post",
    ("accounts:staff_security_action", "POST"): "staff_security_action_post",
    ("accounts:password_change", "POST"): "password_change_post",
    ("accounts:messages", "GET"): "notification_list_get",
    ("accounts:messages_read_all", "POST"): "notification_mark_read_post",
    ("accounts:message_open", "POST"): "notification_mark_read_post",
    # policy catalogue, calculator, budgets
    ("measures:list", "GET"): "measure_list_get",
    ("measures:detail", "GET"): "measure_detail_get",
    ("applications:calculator", "GET"): "measure_list_get",  # the clauses and what they ask
    ("applications:calculator", "POST"): "calculator_post",
    ("measures:budgets", "GET"): "budget_list_get",
    # applications
    ("applications:dashboard", "GET"): "application_list_get",
    ("applications:start", "GET"): "measure_detail_get",  # the clause's facts and materials
    ("applications:start", "POST"): "application_list_post",
    ("applications:detail", "GET"): "application_detail_get",
    ("applications:edit", "GET"): "application_detail_get",
    ("applications:edit", "POST"): "application_detail_patch",
    ("applications:autosave", "POST"): "application_detail_patch",
    ("applications:preview", "GET"): "application_detail_get",
    ("applications:preview", "POST"): "application_submit_post",
    ("applications:withdraw", "POST"): "application_withdraw_post",
    ("applications:delete", "POST"): "application_detail_delete",
    ("applications:receipt", "GET"): "application_receipt_get",
    ("applications:receipt_pdf", "GET"): "application_receipt_get",
    ("applications:file", "GET"): "application_file_get",
    # reviews
    ("reviews:queue", "GET"): "review_queue_get",
    ("reviews:bulk", "POST"): "review_bulk_post",
    ("reviews:case", "GET"): "review_case_get",
    ("reviews:act", "POST"): "review_act_post",
    ("reviews:resolve_flag", "POST"): "review_flag_resolve_post",
    ("reviews:resolve_objection", "POST"): "review_objection_resolve_post",
    ("reviews:material_preview", "GET"): "application_file_get",
    ("reviews:notice_list", "GET"): "review_queue_get",  # ?status=pending_notice
    ("reviews:notice_list", "POST"): "notice_start_post",
    ("reviews:audit_log", "GET"): "audit_list_get",
    ("reviews:letters", "GET"): "letter_list_get",
    ("reviews:letters", "POST"): "letters_zip_post",
    ("reviews:letters_regenerate", "POST"): "letters_regenerate_post",
    ("reviews:letter_download", "GET"): "letter_download_get",
    # public: notices, objections, letter verification
    ("public_notices", "GET"): "notice_list_get",
    ("public_notice", "GET"): "notice_detail_get",
    ("public_notice", "POST"): "notice_objection_create_post",
    ("objection_lookup", "GET"): "objection_lookup_get",
    ("verify_letter", "GET"): "letter_verify_get",
    # background jobs
    ("jobs:status", "GET"): "job_status_get",
    ("jobs:download", "GET"): "job_download_get",
    # payments
    ("payments:batch_list", "GET"): "payment_batch_list_get",
    ("payments:batch_new", "POST"): "payment_batch_list_post",
    ("payments:dashboard", "GET"): "payment_dashboard_get",
    ("payments:batch_detail", "GET"): "payment_batch_detail_get",
    ("payments:batch_lock", "POST"): "payment_batch_lock_post",
    ("payments:batch_resume", "POST"): "payment_batch_resume_post",
    ("payments:lines_remove", "POST"): "payment_lines_remove_post",
    ("payments:lines_confirm_bank", "POST"): "payment_lines_confirm_bank_post",
    ("payments:lines_mark", "POST"): "payment_lines_mark_post",
    ("payments:results_import", "POST"): "payment_results_import_post",
    # A large bank file imported by the worker: its progress page and the page's JSON poll.
    ("payments:import_status", "GET"): "payment_results_import_status_get",
    ("payments:import_status_json", "GET"): "payment_results_import_status_get",
    ("payments:batch_export", "GET"): "payment_batch_export_get",
    # the operations page (side effects)
    ("operations:index", "GET"): "outbox_operations_get",
    ("operations:retry", "POST"): "outbox_retry_post",
    # 免申即享 lists (the integrations helper's pages)
    ("integrations:recognition_lists", "POST"): "recognition_list_import_post",
    ("integrations:recognition_list", "GET"): "recognition_list_rows_get",
    ("integrations:recognition_lists", "GET"): "recognition_list_import_get",
    ("integrations:service_accounts", "GET"): "service_accounts_get",
    ("integrations:service_accounts", "POST"): "service_accounts_post",
    ("integrations:rotate", "POST"): "service_account_rotate_post",
    ("integrations:revoke", "POST"): "service_account_revoke_post",
    # The 一企一档 page: credentials (add, list; remove is credential_delete_delete) and the
    # push opt-out (push_preference_put).
    ("integrations:profile", "GET"): "credentials_get",
    ("integrations:profile", "POST"): "credentials_post",
}

# Pages with no API operation, and why.
HTML_ONLY: dict[str, str] = {
    "home": "the public landing page (links only)",
    "verify_letter_form": "the form to type a code; it redirects to verify_letter (API: letter_verify)",
    "accounts:register": "self-registration in a browser, rate-limited per address, signs in",
    "accounts:login": "GET: the login form (POST is token_post)",
    "accounts:password_reset": "password reset by an e-mailed link, in a browser",
    "accounts:password_reset_done": "password reset by an e-mailed link, in a browser",
    "accounts:password_reset_confirm": "password reset by an e-mailed link, in a browser",
    "accounts:otp_enrol": "binding an authenticator app (QR code); a staff token needs it done",
    "accounts:otp_qr": "the QR image of the enrolment page",
    "applications:file_page": "a PDF page as PNG for the browser preview; the API gives the file",
    "accounts:password_change": "GET: the form (POST is password_change_post)",
    "payments:batch_new": "GET: the empty form (POST is payment_batch_list_post)",
    "set_language": "the language cookie; API callers send Accept-Language",
    "metrics": "Prometheus scraping, not a user action",
    "schema": "the API's own description",
    "swagger-ui": "the API's own documentation",
}

# UI actions whose API operation is not written yet (issue 15 still open for them). Each row
# must stay true: the test fails once such an operation appears, so the row moves above.


def _ui_url_names() -> set[str]:
    def walk(resolver, namespace=None):
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace in ("admin", "api") or str(pattern.pattern).startswith(
                    ("admin/", "api/")
                ):
                    continue  # the Django admin (policy data) and the API itself
                yield from walk(pattern, pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield f"{namespace}:{pattern.name}" if namespace else pattern.name

    return set(walk(get_resolver()))


@pytest.fixture(scope="module")
def operation_ids() -> set[str]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        operation["operationId"]
        for path_item in schema["paths"].values()
        for operation in path_item.values()
        if isinstance(operation, dict) and "operationId" in operation
    }


def test_every_ui_page_has_a_row():
    covered = {name for name, _method in UI_TO_API}
    missing = _ui_url_names() - covered - set(HTML_ONLY)
    assert not missing, f"UI pages with no API operation and no HTML-only reason: {missing}"
    stale = (covered | set(HTML_ONLY)) - _ui_url_names()
    assert not stale, f"rows for pages that no longer exist: {stale}"


def test_every_page_write_has_a_post_row():
    writes = {name for name in WRITE_POLICY if not name.startswith("api:")}
    rows = {name for name, method in UI_TO_API if method == "POST"}
    assert writes - rows == set(), "pages accepting POST without an API row"


def test_every_listed_operation_exists(operation_ids):
    missing = {key: op for key, op in UI_TO_API.items() if op not in operation_ids}
    assert missing == {}
