from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.generic import RedirectView, TemplateView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import api as accounts_api
from applications import api as applications_api
from integrations import api as integrations_api
from measures import api as measures_api
from payments import api as payments_api
from reviews import api as reviews_api
from reviews import views as reviews_views
from xianyang_portal import metrics

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
    path("calculator/", measures_api.calculator, name="calculator"),
    path("applications/", applications_api.application_list, name="application-list"),
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
        "recognition-lists/",
        integrations_api.recognition_list_import,
        name="recognition-list-import",
    ),
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
    path("operations/", include("outbox.urls")),
    path("payments/", include("payments.urls")),
    path("integrations/", include("integrations.urls")),
    path("notices/", reviews_views.public_notices, name="public_notices"),
    path("notices/<int:notice_id>/", reviews_views.public_notice, name="public_notice"),
    path("notices/objections/lookup/", reviews_views.objection_lookup, name="objection_lookup"),
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

handler403 = "xianyang_portal.errorpages.permission_denied"
handler404 = "xianyang_portal.errorpages.page_not_found"
handler500 = "xianyang_portal.errorpages.server_error"

admin.site.site_header = "咸阳市惠企政策申报平台 · 规则配置"
admin.site.site_title = "咸阳市惠企政策申报平台"
