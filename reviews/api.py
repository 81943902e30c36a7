"""Reviewer API: queues, case detail, actions and bulk actions (same services and selectors)."""

from __future__ import annotations

import functools
from types import SimpleNamespace

from django.db import DEFAULT_DB_ALIAS
from django.db.models import F
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from accounts.selectors import user_scopes
from applications.lifecycle.engine import TransitionRequest, actor_kinds
from applications.lifecycle.statuses import status_label
from applications.lifecycle.transitions import Action, actions_from
from applications.models import Application, ApplicationMaterial, Status
from audit.downloads import private_file_response
from core.apischema import paginate, paginated
from core.errors import DomainError
from core.serializers import FastReadMixin, ObjectField
from measures.models import Clause, ClauseVersion, Round
from measures.selectors import catalogue_cached

from . import selectors, services
from .api_public import LetterVerifyOutput

API_PAGE_SIZE = 50


class CaseMaterialOutput(FastReadMixin, serializers.Serializer):
    id = serializers.IntegerField(help_text="material id (the case page's preview)")
    material_code = serializers.CharField()
    version = serializers.IntegerField()
    is_current = serializers.BooleanField()
    evidence_id = serializers.IntegerField(help_text="GET /api/v1/applications/files/{id}/")
    file_name = serializers.CharField(source="evidence.original_name")
    content_type = serializers.CharField(source="evidence.content_type")
    size = serializers.IntegerField(source="evidence.size")


class CaseSerializer(FastReadMixin, serializers.ModelSerializer):
    """A case as a reviewer sees it (its own serializer: not the applicant's)."""

    organisation = serializers.CharField(source="organisation.legal_name")
    uscc = serializers.CharField(source="organisation.uscc")
    # The application's own place (the one that scopes the queues); null until it is set.
    county = serializers.CharField(source="place.name", allow_null=True)
    clause = serializers.CharField(source="clause.code")
    round = serializers.CharField(source="round.name")
    status_label = serializers.CharField(source="get_status_display")
    rule_version = serializers.IntegerField(source="rule_version.number")
    materials = serializers.SerializerMethodField()
    open_flags = serializers.IntegerField(read_only=True)
    allowed_actions = serializers.SerializerMethodField()

    class Meta:
        model = Application
        fields = [
            "reference", "organisation", "uscc", "county", "clause", "round", "status",
            "status_label", "revision", "facts", "evaluation", "computed_amount", "amount_kind",
            "recommended_amount", "approved_amount", "other_funding_declared",
            "other_funding_detail", "correction_requests", "submitted_at", "rule_version",
            "materials", "open_flags", "allowed_actions",
            # 免申即享: the list the case came from, and what that list proves.
            "exempt_source", "exempt_materials", "exempt_facts",
        ]  # fmt: skip

    @extend_schema_field(CaseMaterialOutput(many=True))
    def get_materials(self, application) -> list:
        """The queue's pages read every row's materials in one query (`materials` in the
        context: CaseMaterialOutput's dicts by application id); a single case reads its own."""
        by_application = self.context.get("materials")
        if by_application is not None:
            return by_application.get(application.pk, [])
        return CaseMaterialOutput(application.materials.select_related("evidence"), many=True).data

    def get_allowed_actions(self, application) -> list[str]:
        kinds = actor_kinds(self.context["request"].user, application)
        return list(_allowed_actions(application.status, frozenset(kinds)))


@functools.cache
def _allowed_actions(status: str, kinds: frozenset[str]) -> tuple[str, ...]:
    """The actions of the transition table (fixed in code) from a status open to any of the
    actor's kinds: a queue page asks for the same few pairs on every row (~20 µs a row)."""
    return tuple(t.action for t in actions_from(status) if t.actors & kinds)


class QueuePageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    count_estimated = serializers.BooleanField(help_text="count is an estimate above 1000")
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = CaseSerializer(many=True)
    counts = serializers.DictField(child=serializers.IntegerField(), help_text="per status")


class FlagResolveInput(serializers.Serializer):
    resolution = serializers.CharField(max_length=2000, allow_blank=True)


class FlagOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    message = serializers.CharField()
    other_reference = serializers.CharField(source="other.reference", allow_null=True)
    resolved_by = serializers.StringRelatedField(allow_null=True)
    resolved_at = serializers.DateTimeField(allow_null=True)
    resolution = serializers.CharField()


class ObjectionResolveInput(serializers.Serializer):
    upheld = serializers.BooleanField()
    resolution = serializers.CharField(max_length=2000, allow_blank=True)


class ObjectionStaffOutput(serializers.Serializer):
    """What staff see of an objection (the objector's contact included, as on the case page)."""

    id = serializers.IntegerField()
    receipt_no = serializers.CharField(allow_null=True)
    name = serializers.CharField()
    contact = serializers.CharField()
    content = serializers.CharField()
    created_at = serializers.DateTimeField()
    upheld = serializers.BooleanField(allow_null=True)
    resolution = serializers.CharField()
    resolved_at = serializers.DateTimeField(allow_null=True)


class CaseDetailSerializer(CaseSerializer):
    """The case page: also its duplicate flags and the objections to its notice entries."""

    flags = serializers.SerializerMethodField()
    objections = serializers.SerializerMethodField()

    class Meta(CaseSerializer.Meta):
        fields = [*CaseSerializer.Meta.fields, "flags", "objections"]

    @extend_schema_field(FlagOutput(many=True))
    def get_flags(self, application) -> list:
        flags = application.duplicate_flags.select_related("other", "resolved_by").order_by("pk")
        return FlagOutput(flags, many=True).data

    @extend_schema_field(ObjectionStaffOutput(many=True))
    def get_objections(self, application) -> list:
        from .models import Objection

        rows = Objection.objects.filter(entry__application=application).order_by("pk")
        return ObjectionStaffOutput(rows, many=True).data


class ActionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=Action.values)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    amount = serializers.CharField(required=False, allow_null=True, max_length=20, default=None)
    amount_basis = serializers.CharField(
        required=False, allow_blank=True, max_length=2000, default=""
    )
    revision = serializers.IntegerField(required=False)
    corrections = ObjectField(
        child=serializers.CharField(max_length=500, allow_blank=True),
        required=False,
        default=dict,
        help_text="退回补正: material code → what to correct (codes of the clause's materials)",
    )
    correction_due_on = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text="退回补正: the deadline (default: the round's correction period from today)",
    )


class BulkSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=services.BULK_ACTIONS)
    references = serializers.ListField(
        child=serializers.CharField(max_length=24), min_length=1, max_length=500
    )
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


# What CaseSerializer and its allowed actions (engine.actor_kinds) read, nothing else, as one
# named tuple a row: the application's columns (relations by id), its organisation's name,
# USCC, its own place's name. Model instances for a row and its organisation and
# place cost more than the rest of the row's loading (~1.2 ms a 50-row page, cProfile).
_ATTNAMES = {field.name: field.attname for field in Application._meta.concrete_fields}
QUEUE_API_COLUMNS = tuple(
    dict.fromkeys(
        [*(_ATTNAMES[name] for name in CaseSerializer.Meta.fields if name in _ATTNAMES), "place_id"]
    )
)
QUEUE_API_ROWS = (
    selectors.with_open_flags(Application.objects.all())
    .annotate(
        organisation_name=F("organisation__legal_name"),
        organisation_uscc=F("organisation__uscc"),
        place_name=F("place__name"),
    )
    .values_list(
        "id",
        *QUEUE_API_COLUMNS,
        "organisation_name",
        "organisation_uscc",
        "place_name",
        "open_flags",
        named=True,
    )
)
# The catalogue rows a queue row shows (clause code and department, round name, rule version
# number), attached from the catalogue cache instead of three more joins and three model
# instances a row: (model, columns read, the application's foreign key).
CATALOGUE_RELATIONS = (
    (Clause, ("code", "department_id"), "clause"),
    (Round, ("name",), "round"),
    (ClauseVersion, ("number",), "rule_version"),
)


def _catalogue_columns() -> dict[str, dict[int, tuple]]:
    """Each relation's columns by id, built once per catalogue version (no query per page)."""

    def build():
        return {
            fk: {row[0]: row[1:] for row in model.objects.values_list("pk", *columns)}
            for model, columns, fk in CATALOGUE_RELATIONS
        }

    return catalogue_cached("queue-api-catalogue", build)


def catalogue_instances(rows) -> dict[str, dict[int, object]]:
    """The clause, round and rule version of the page's rows, by foreign key and id, as
    deferred instances holding the columns above (one instance per distinct id on the page;
    any other column would be read from the database). An id the cached catalogue lacks
    (written without the signals that move its version on) is read in one query per relation."""
    known = _catalogue_columns()
    instances = {}
    for model, columns, fk in CATALOGUE_RELATIONS:
        values = known[fk]
        attname = Application._meta.get_field(fk).attname
        wanted = {getattr(row, attname) for row in rows} - {None}
        missing = wanted - values.keys()
        if missing:
            values = {
                **values,
                **{
                    row[0]: row[1:]
                    for row in model.objects.filter(pk__in=missing).values_list("pk", *columns)
                },
            }
        names = ["id", *columns]
        instances[fk] = {
            pk: model.from_db(DEFAULT_DB_ALIAS, names, [pk, *values[pk]])
            for pk in wanted
            if pk in values
        }
    return instances


class QueueApiRow:
    """One queue API row as CaseSerializer and engine.actor_kinds read an application, from a
    QUEUE_API_ROWS tuple: its columns, its organisation (name, USCC), its own place (id and
    name; actor_kinds scopes a county by the id) and its catalogue rows, as attributes."""

    def __init__(self, row, catalogue: dict[str, dict[int, object]]) -> None:
        self.__dict__.update(row._asdict())
        self.pk = row.id
        self.organisation = SimpleNamespace(
            legal_name=row.organisation_name, uscc=row.organisation_uscc
        )
        self.place = None if row.place_id is None else SimpleNamespace(name=row.place_name)
        for fk, by_id in catalogue.items():
            setattr(self, fk, by_id.get(getattr(row, f"{fk}_id")))

    def get_status_display(self) -> str:
        return status_label(self.status)  # Django's get_status_display, from a dict


# CaseMaterialOutput's keys, in its order, and the column each is read from (its source):
# page_materials writes the same dicts without a serializer, so the two cannot drift apart.
_MATERIAL_KEYS = tuple(CaseMaterialOutput().fields)
_MATERIAL_COLUMNS = tuple(
    field.source.replace(".", "__") for field in CaseMaterialOutput().fields.values()
)


def page_materials(applications) -> dict[int, list[dict]]:
    """Every material of the page's applications in one narrow query, as CaseMaterialOutput
    writes them (the same keys, values and order), by application id: no model instance per
    material and file."""
    rows = (
        ApplicationMaterial.objects.filter(application_id__any=[a.pk for a in applications])
        .order_by("application_id", *ApplicationMaterial._meta.ordering)
        .values_list("application_id", *_MATERIAL_COLUMNS)
    )
    keys = _MATERIAL_KEYS
    by_application: dict[int, list[dict]] = {}
    for application_id, *values in rows:
        by_application.setdefault(application_id, []).append(dict(zip(keys, values, strict=True)))
    return by_application


def _reviewer(request: Request) -> None:
    if not user_scopes(request.user).roles & selectors.REVIEWER_ROLES:
        raise PermissionDenied


@extend_schema(
    parameters=[
        OpenApiParameter(name, str)
        for name in (
            "q",
            "round",
            "measure",
            "clause",
            "county",
            "status",
            "amount_min",
            "amount_max",
            "flagged",
            "waiting_days",
            "sort",
        )
    ],
    responses=QueuePageSerializer,
)
@api_view(["GET"])
def queue(request: Request) -> Response:
    _reviewer(request)
    queue_filter, counts = selectors.review_queue(user=request.user, params=request.query_params)
    if not queue_filter.is_valid():
        raise DomainError(_("筛选条件有误。"), code="invalid", detail=queue_filter.errors)
    # A page past the last is the last page (as on the queue page: the count above a
    # threshold is an estimate, so "past the last" is not exact); a page that is no number is 400.
    number = request.query_params.get("page")
    if number is not None and not (number.isascii() and number.isdigit() and int(number) >= 1):
        message = _("页码应为正整数。")
        raise DomainError(message, code="invalid_page", detail={"page": [message]})
    page = selectors.queue_page(
        user=request.user,
        queue=queue_filter,
        status_counts=counts,
        number=number,
        per_page=API_PAGE_SIZE,
        rows=QUEUE_API_ROWS,
    )
    catalogue = catalogue_instances(page.object_list)
    rows = [QueueApiRow(row, catalogue) for row in page.object_list]
    url = request.build_absolute_uri()
    return Response(
        {
            "count": page.paginator.count,
            "count_estimated": page.paginator.estimated,
            "next": replace_query_param(url, "page", page.next_page_number())
            if page.has_next()
            else None,
            "previous": replace_query_param(url, "page", page.previous_page_number())
            if page.has_previous()
            else None,
            "results": CaseSerializer(
                rows,
                many=True,
                context={"request": request, "materials": page_materials(rows)},
            ).data,
            "counts": counts,
        }
    )


@extend_schema(responses=CaseDetailSerializer)
@api_view(["GET"])
def case(request: Request, reference: str) -> Response:
    _reviewer(request)
    application = get_object_or_404(
        selectors.review_cases_visible_to(user=request.user), reference=reference
    )
    return Response(CaseDetailSerializer(application, context={"request": request}).data)


@extend_schema(request=ActionSerializer, responses=CaseDetailSerializer)
@api_view(["POST"])
def act(request: Request, reference: str) -> Response:
    _reviewer(request)
    application = get_object_or_404(
        selectors.review_cases_visible_to(user=request.user), reference=reference
    )
    payload = ActionSerializer(data=request.data)
    payload.is_valid(raise_exception=True)
    data = payload.validated_data
    services.review_act(
        actor=request.user,
        application_id=application.pk,
        request=TransitionRequest(
            action=data["action"],
            comment=data["comment"],
            amount=data["amount"],
            amount_basis=data["amount_basis"],
            expected_revision=data.get("revision"),
            corrections=data["corrections"],
            correction_due_on=data["correction_due_on"],
        ),
    )
    refreshed = selectors.review_cases_visible_to(user=request.user).get(pk=application.pk)
    return Response(CaseDetailSerializer(refreshed, context={"request": request}).data)


class BulkResultSerializer(serializers.Serializer):
    reference = serializers.CharField()
    ok = serializers.BooleanField()
    message = serializers.CharField()


@extend_schema(
    request=BulkSerializer,
    responses=inline_serializer("BulkResults", {"results": BulkResultSerializer(many=True)}),
)
@api_view(["POST"])
def bulk(request: Request) -> Response:
    _reviewer(request)
    payload = BulkSerializer(data=request.data)
    payload.is_valid(raise_exception=True)
    results = services.review_bulk(
        actor=request.user,
        references=payload.validated_data["references"],
        action=payload.validated_data["action"],
        comment=payload.validated_data["comment"],
    )
    return Response({"results": BulkResultSerializer(results, many=True).data})


# --- duplicate flags and objections on a case (the case page's two buttons) -----------------


@extend_schema(request=FlagResolveInput, responses=FlagOutput)
@api_view(["POST"])
def flag_resolve(request: Request, reference: str, flag_id: int) -> Response:
    """Resolve a duplicate flag (疑点核实) with the reviewer's finding, as on the case page."""
    _reviewer(request)
    application = get_object_or_404(
        selectors.review_cases_visible_to(user=request.user), reference=reference
    )
    flag = get_object_or_404(application.duplicate_flags, pk=flag_id)
    payload = FlagResolveInput(data=request.data)
    payload.is_valid(raise_exception=True)
    services.flag_resolve(
        actor=request.user, flag_id=flag.pk, resolution=payload.validated_data["resolution"]
    )
    flag = application.duplicate_flags.select_related("other", "resolved_by").get(pk=flag.pk)
    return Response(FlagOutput(flag).data)


@extend_schema(request=ObjectionResolveInput, responses=ObjectionStaffOutput)
@api_view(["POST"])
def objection_resolve(request: Request, reference: str, objection_id: int) -> Response:
    _reviewer(request)
    from .models import Objection
    from .notices import objection_resolve as resolve

    application = get_object_or_404(
        selectors.review_cases_visible_to(user=request.user), reference=reference
    )
    objection = get_object_or_404(Objection, pk=objection_id, entry__application=application)
    payload = ObjectionResolveInput(data=request.data)
    payload.is_valid(raise_exception=True)
    objection = resolve(actor=request.user, objection_id=objection.pk, **payload.validated_data)
    return Response(ObjectionStaffOutput(Objection.objects.get(pk=objection.pk)).data)


# --- letters (通知书) ------------------------------------------------------------------------


class LetterOutput(LetterVerifyOutput):
    """The public check's fields, and for those who may see the case its id, case and code."""

    id = serializers.IntegerField()
    application_reference = serializers.CharField(source="application.reference")
    verification_code = serializers.CharField()


@extend_schema(responses=paginated(LetterOutput))
@api_view(["GET"])
def letter_list(request: Request) -> Response:
    """The letters you may see (your organisation's, or the cases in your scope), newest first."""
    letters = selectors.letters_visible_to(user=request.user).order_by("-year", "-sequence")
    return paginate(request, letters, LetterOutput)


@extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
@api_view(["GET"])
def letter_download(request: Request, letter_id: int):
    """The letter's PDF (the same file hand-over as the page: audited, 404 if gone)."""
    letter = get_object_or_404(selectors.letters_visible_to(user=request.user), pk=letter_id)
    return private_file_response(
        letter.pdf,
        request=request._request,
        obj=letter,
        filename=f"{letter.number}.pdf",
        content_type="application/pdf",
    )


class LettersZipInput(serializers.Serializer):
    letters = serializers.ListField(
        child=serializers.IntegerField(min_value=1), min_length=1, max_length=5000
    )


class JobStartedOutput(serializers.Serializer):
    job = serializers.IntegerField(source="pk", help_text="follow it at GET /api/v1/jobs/{id}/")
    state = serializers.CharField()


@extend_schema(request=LettersZipInput, responses={202: JobStartedOutput})
@api_view(["POST"])
def letters_zip(request: Request) -> Response:
    """A ZIP of the chosen letters, built in the background; ids that are not letters you may
    see are refused by id."""
    _reviewer(request)
    payload = LettersZipInput(data=request.data)
    payload.is_valid(raise_exception=True)
    job = services.letters_zip_start(
        actor=request.user, letter_ids=payload.validated_data["letters"]
    )
    return Response(JobStartedOutput(job).data, status=202)


class RegenerateOutput(serializers.Serializer):
    queued = serializers.IntegerField()


@extend_schema(request=None, responses=RegenerateOutput)
@api_view(["POST"])
def letters_regenerate(request: Request) -> Response:
    """Queue again the approved cases whose letter is missing (approver)."""
    return Response({"queued": services.letters_regenerate(actor=request.user)})


# --- notices started by the approver -------------------------------------------------------


class NoticeStartInput(serializers.Serializer):
    references = serializers.ListField(
        child=serializers.CharField(max_length=24), min_length=1, max_length=500
    )
    title = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    working_days = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=30, default=None
    )


class NoticeStartedOutput(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    working_days = serializers.IntegerField()
    entries = serializers.IntegerField(source="entries.count")


@extend_schema(request=NoticeStartInput, responses={201: NoticeStartedOutput})
@api_view(["POST"])
def notice_start(request: Request) -> Response:
    """Approver: publish a notice (公示) of cases approved in principle (待公示)."""
    from accounts.models import Role

    from .notices import notice_start as start

    if not user_scopes(request.user).has(Role.APPROVER):
        raise PermissionDenied
    payload = NoticeStartInput(data=request.data)
    payload.is_valid(raise_exception=True)
    data = payload.validated_data
    # Every reference named must be a visible case awaiting its notice: a notice of some of
    # them, silent about the rest, was published before (half the request applied).
    found = {
        reference: (status, pk)
        for reference, status, pk in selectors.review_cases_visible_to(user=request.user)
        .filter(reference__in=data["references"])
        .values_list("reference", "status", "pk")
    }
    for wrong, message in (
        ([r for r in data["references"] if r not in found], _("找不到以下申报编号：%(refs)s。")),
        (
            [r for r, (status, _pk) in found.items() if status != Status.PENDING_NOTICE],
            _("以下申报不在“待公示”状态，不能公示：%(refs)s。"),
        ),
    ):
        if wrong:
            message %= {"refs": "、".join(dict.fromkeys(wrong))}
            raise DomainError(message, code="not_pending_notice", detail={"references": [message]})
    ids = [pk for _status, pk in found.values()]
    notice = start(
        actor=request.user,
        application_ids=ids,
        working_days=data["working_days"],
        title=data["title"],
    )
    return Response(NoticeStartedOutput(notice).data, status=201)


# --- the audit trail (the auditor's) --------------------------------------------------------


class AuditEventOutput(serializers.Serializer):
    id = serializers.IntegerField()
    occurred_at = serializers.DateTimeField()
    actor = serializers.CharField(source="actor.username", allow_null=True)
    actor_name = serializers.CharField(source="actor.full_name", allow_null=True)
    action = serializers.CharField()
    object_type = serializers.CharField()
    object_id = serializers.CharField()
    object_repr = serializers.CharField()
    before = serializers.JSONField()
    after = serializers.JSONField()
    comment = serializers.CharField()
    ip_address = serializers.IPAddressField(allow_null=True)


@extend_schema(
    parameters=[
        OpenApiParameter("actor", str, description="姓名 (contains) or exact username"),
        OpenApiParameter("action", str, description="an audit action, e.g. application.submit"),
        OpenApiParameter("date_from", OpenApiTypes.DATE),
        OpenApiParameter("date_to", OpenApiTypes.DATE),
    ],
    responses=paginated(AuditEventOutput),
)
@api_view(["GET"])
def audit_list(request: Request) -> Response:
    """The audit trail, newest first, with the audit page's filters (auditor)."""
    from accounts.models import Role

    events = selectors.audit_events_visible_to(user=request.user)
    if not user_scopes(request.user).has(Role.AUDITOR):
        raise PermissionDenied
    params = {k: v for k, v in request.query_params.items() if k != "page"}
    audit_filter = selectors.AuditFilter(params or None, queryset=events)
    if audit_filter.is_bound and not audit_filter.is_valid():
        raise DomainError(_("筛选条件有误。"), code="invalid", detail=audit_filter.errors)
    rows = audit_filter.qs if audit_filter.is_bound else events
    return paginate(request, rows, AuditEventOutput)
