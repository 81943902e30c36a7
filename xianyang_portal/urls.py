from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.generic import RedirectView, TemplateView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import api as accounts_api
from applications import api as applications_api
from core import metrics
from integrations import api as integrations_api
from jobs import api as jobs_api
from measures import api as measures_api
from operations import api as operations_api
from payments import api as payments_api
from reviews import api as reviews_api
from reviews import api_public as reviews_public_api
from reviews import views as reviews_views

public = login_not_required

api_v1 = [
    path("token/", accounts_api.token, name="token"),
    path("token/revoke/", accounts_api.token_revoke, name="token-revoke"),
    path("me/", accounts_api.me, name="me"),
    # Readiness (database and broker); health/ is kept as its alias.
    path("health/", accounts_api.health_ready, name="health"),
    path("health/ready/", accounts_api.health_ready, name="health-ready"),
    path("health/live/", accounts_api.health_live, name="health-live"),
    path("measures/", measures_api.measure_list, name="measure-list"),
    path("measures/<int:number>/", measures_api.measure_detail, name="measure-detail"),
    path("rounds/", measures_api.round_list, name="round-list"),
    path("calculator/", applications_api.calculator, name="calculator"),
    path("applications/", applications_api.application_list, name="application-list"),
    path(
        "applications/files/<int:evidence_id>/",
        applications_api.evidence_file,
        name="application-file",
    ),
    path(
        "applications/<str:reference>/",
        applications_api.application_detail,
        name="application-detail",
    ),
    path(
        "applications/<str:reference>/evidence/",
        applications_api.application_evidence,
        name="application-evidence",
    ),
    path(
        "applications/<str:reference>/receipt.pdf",
        applications_api.application_receipt,
        name="application-receipt",
    ),
    path(
        "applications/<str:reference>/submit/",
        applications_api.application_submit,
        name="application-submit",
    ),
    path(
        "applications/<str:reference>/resubmit/",
        applications_api.application_resubmit,
        name="application-resubmit",
    ),
    path(
        "applications/<str:reference>/withdraw/",
        applications_api.application_withdraw,
        name="application-withdraw",
    ),
    path("reviews/queue/", reviews_api.queue, name="review-queue"),
    path("reviews/bulk/", reviews_api.bulk, name="review-bulk"),
    path("reviews/cases/<str:reference>/", reviews_api.case, name="review-case"),
    path("reviews/cases/<str:reference>/actions/", reviews_api.act, name="review-act"),
    path("payments/batches/", payments_api.batch_list, name="payment-batch-list"),
    path(
        "payments/batches/<str:reference>/",
        payments_api.batch_detail,
        name="payment-batch-detail",
    ),
    path(
        "payments/batches/<str:reference>/lines/",
        payments_api.batch_lines,
        name="payment-batch-lines",
    ),
    path(
        "payments/batches/<str:reference>/lock/",
        payments_api.batch_lock,
        name="payment-batch-lock",
    ),
    path(
        "payments/batches/<str:reference>/lines/remove/",
        payments_api.lines_remove,
        name="payment-lines-remove",
    ),
    path(
        "payments/batches/<str:reference>/lines/confirm-bank/",
        payments_api.lines_confirm_bank,
        name="payment-lines-confirm-bank",
    ),
    path(
        "payments/batches/<str:reference>/lines/mark/",
        payments_api.lines_mark,
        name="payment-lines-mark",
    ),
    path(
        "payments/batches/<str:reference>/import/",
        payments_api.results_import,
        name="payment-results-import",
    ),
    path(
        "payments/batches/<str:reference>/imports/<int:job_id>/",
        payments_api.results_import_status,
        name="payment-results-import-status",
    ),
    path(
        "payments/batches/<str:reference>/export/<str:fmt>/",
        payments_api.batch_export,
        name="payment-batch-export",
    ),
    path("payments/dashboard/", payments_api.dashboard, name="payment-dashboard"),
    path(
        "payments/batches/<str:reference>/resume/",
        payments_api.batch_resume,
        name="payment-batch-resume",
    ),
    # Public notices (公示), objections and letter verification: no account needed.
    path("notices/", reviews_public_api.notice_list, name="notice-list"),
    path("notices/<int:notice_id>/", reviews_public_api.notice_detail, name="notice-detail"),
    path(
        "notices/<int:notice_id>/objections/",
        reviews_public_api.objection_create,
        name="notice-objection-create",
    ),
    path(
        "objections/<str:receipt_no>/",
        reviews_public_api.objection_lookup,
        name="objection-lookup",
    ),
    path("letters/verify/<str:code>/", reviews_public_api.letter_verify, name="letter-verify"),
    # Staff and applicants (token).
    path("reviews/notices/", reviews_api.notice_start, name="notice-start"),
    path(
        "reviews/cases/<str:reference>/flags/<int:flag_id>/resolve/",
        reviews_api.flag_resolve,
        name="review-flag-resolve",
    ),
    path(
        "reviews/cases/<str:reference>/objections/<int:objection_id>/resolve/",
        reviews_api.objection_resolve,
        name="review-objection-resolve",
    ),
    path("letters/", reviews_api.letter_list, name="letter-list"),
    path("letters/zip/", reviews_api.letters_zip, name="letters-zip"),
    path("letters/regenerate/", reviews_api.letters_regenerate, name="letters-regenerate"),
    path(
        "letters/<int:letter_id>/download/",
        reviews_api.letter_download,
        name="letter-download",
    ),
    path("audit/events/", reviews_api.audit_list, name="audit-list"),
    path("password/", accounts_api.password_change, name="password-change"),
    path("staff/", accounts_api.staff_list, name="staff-list"),
    path(
        "staff/<int:user_id>/<slug:action>/",
        accounts_api.staff_security_action,
        name="staff-security-action",
    ),
    path("organisation/", accounts_api.organisation_profile, name="organisation-profile"),
    path("notifications/", accounts_api.notification_list, name="notification-list"),
    path(
        "notifications/unread-count/",
        accounts_api.notification_unread_count,
        name="notification-unread-count",
    ),
    path(
        "notifications/mark-read/",
        accounts_api.notification_mark_read,
        name="notification-mark-read",
    ),
    path("budgets/", measures_api.budget_list, name="budget-list"),
    path("operations/", operations_api.operations, name="outbox-operations"),
    path("operations/<int:message_id>/retry/", operations_api.retry, name="outbox-retry"),
    path("jobs/<int:job_id>/", jobs_api.job_status, name="job-status"),
    path("jobs/<int:job_id>/download/", jobs_api.job_download, name="job-download"),
    path(
        "recognition-lists/",
        integrations_api.recognition_list_import,
        name="recognition-list-import",
    ),
    path("service-accounts/", integrations_api.service_accounts, name="service-accounts"),
    path(
        "service-accounts/<int:account_id>/rotate/",
        integrations_api.service_account_rotate,
        name="service-account-rotate",
    ),
    path(
        "service-accounts/<int:account_id>/revoke/",
        integrations_api.service_account_revoke,
        name="service-account-revoke",
    ),
    path("profile/credentials/", integrations_api.credentials, name="credentials"),
    path(
        "profile/credentials/<int:credential_id>/",
        integrations_api.credential_delete,
        name="credential-delete",
    ),
    path("profile/push-preference/", integrations_api.push_preference, name="push-preference"),
    path(
        "recognition-lists/<int:list_id>/rows/",
        integrations_api.recognition_list_rows,
        name="recognition-list-rows",
    ),
    # For integrating platforms (Api-Key authentication, scopes, a rate per key).
    path("integration/policy/", integrations_api.policy, name="integration-policy"),
    path(
        "integration/organisations/<str:uscc>/applications/",
        integrations_api.organisation_statuses,
        name="integration-statuses",
    ),
    path(
        "integration/recognition-lists/",
        integrations_api.push_recognition_list,
        name="integration-recognition-lists",
    ),
    path("integration/webhooks/", integrations_api.webhooks, name="integration-webhooks"),
    path(
        "integration/webhooks/<int:subscription_id>/",
        integrations_api.webhook_delete,
        name="integration-webhook-delete",
    ),
    path(
        "integration/webhooks/deliveries/",
        integrations_api.webhook_deliveries,
        name="integration-webhook-deliveries",
    ),
]

urlpatterns = [
    path("", public(TemplateView.as_view(template_name="public/home.html")), name="home"),
    path("accounts/", include("accounts.urls")),
    path("measures/", include("measures.urls")),
    path("applications/", include("applications.urls")),
    path("reviews/", include("reviews.urls")),
    path("jobs/", include("jobs.urls")),
    path("operations/", include("operations.urls")),
    path("payments/", include("payments.urls")),
    path("integrations/", include("integrations.urls")),
    path("notices/", reviews_views.public_notices, name="public_notices"),
    path("notices/<int:notice_id>/", reviews_views.public_notice, name="public_notice"),
    path("notices/objections/lookup/", reviews_views.objection_lookup, name="objection_lookup"),
    path("verify/", reviews_views.verify_letter_form, name="verify_letter_form"),
    path("verify/<str:code>/", reviews_views.verify_letter, name="verify_letter"),
    path("i18n/", include("django.conf.urls.i18n")),
    # The admin signs in through the portal's login (password and second factor).
    path(
        "admin/login/",
        public(RedirectView.as_view(pattern_name="accounts:login", query_string=True)),
    ),
    path("admin/", admin.site.urls),
    path("metrics", public(metrics.metrics), name="metrics"),
    path("api/v1/", include((api_v1, "api"))),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
]

handler400 = "core.errorpages.bad_request"
handler403 = "core.errorpages.permission_denied"
handler404 = "core.errorpages.page_not_found"
handler500 = "core.errorpages.server_error"

admin.site.site_header = "咸阳市惠企政策申报平台 · 规则配置"
admin.site.site_title = "咸阳市惠企政策申报平台"
