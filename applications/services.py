"""Everything an applicant does to an application: drafts, evidence, submit, correct, withdraw."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Organisation, User
from accounts.selectors import user_scopes
from audit.services import audit_record
from core.bulk import copy_insert
from core.dates import deadline_text
from core.errors import Conflict, DomainError, NotAllowed
from core.files import files_follow_transaction
from core.storage import storage_errors, storage_unavailable
from measures.models import Clause
from measures.rules import same_fact_value
from measures.rules.types import ClauseRule, TieredReward
from measures.selectors import open_round_for_clause
from outbox.services import outbox_enqueue

from . import duplicates
from .ledger import (
    EVALUATION_FIELDS,
    application_evaluate,
    award_contexts_for,
    clause_evaluate_for,
    evaluation_fields,
)
from .lifecycle.engine import TransitionRequest, application_transition
from .lifecycle.statuses import MEANING
from .lifecycle.transitions import Action
from .models import (
    Application,
    ApplicationMaterial,
    Credential,
    EvidenceFile,
    ScanStatus,
    Status,
)
from .scanning import scan_file, scanning_enabled
from .uploads import check_upload

# The outbox kind of a file's rescan when clamd was unreachable at upload.
EVIDENCE_SCAN_KIND = "evidence_scan"

PLEDGE_MATERIAL = "PLEDGE"  # satisfied by the online 承诺书 tick, no upload needed


def is_editable(application: Application) -> bool:
    """The applicant may change facts and files (draft, or returned for correction)."""
    return MEANING[application.status].editable


def _lock_own(actor: User, application_id: int) -> Application:
    application = (
        Application.objects.select_for_update(of=("self",))
        .select_related(
            "organisation",
            "clause",
            "clause__measure",
            "clause__policy",
            "clause__current_version",
            "rule_version",
            "round",
        )
        .get(pk=application_id)
    )
    if application.organisation_id not in user_scopes(actor).organisation_ids:
        raise NotAllowed(_("您不是该申报单位的成员。"))
    return application


def _require_editable(application: Application) -> None:
    if not MEANING[application.status].editable:
        raise Conflict(
            _("申报当前状态为“%(status)s”，不能修改。")
            % {"status": application.get_status_display()},
            code="not_editable",
        )


@transaction.atomic
def application_start(
    *,
    actor: User,
    organisation: Organisation,
    clause: Clause,
    raw_facts: dict[str, Any] | None = None,
) -> Application:
    """Start a draft. With `raw_facts` it is saved as a draft save would keep them (lenient,
    evaluated when they allow) in the one insert; without, the profile fills what it knows."""
    if organisation.pk not in user_scopes(actor).organisation_ids:
        raise NotAllowed(_("您不是该申报单位的成员。"))
    rule = clause.current_version.rule
    if organisation.kind not in rule.applicant_types:
        raise DomainError(
            _("本条款的申报主体为：%(types)s；%(org)s 不属于该类型。")
            % {
                "types": "、".join(applicant_label(t) for t in rule.applicant_types),
                "org": organisation.legal_name,
            },
            code="wrong_applicant_type",
        )
    round_ = open_round_for_clause(clause)
    if round_ is None:
        raise DomainError(_("该条款目前没有正在受理的申报批次。"), code="round_closed")
    application = Application(
        reference=Application.new_reference(),
        organisation=organisation,
        place_id=organisation.place_id,
        round=round_,
        clause=clause,
        rule_version=clause.current_version,
        created_by=actor,
    )
    if raw_facts:
        application.facts = _draft_facts(raw_facts)
        with contextlib.suppress(DomainError):  # a draft keeps incomplete facts
            _evaluate(application, application.facts)
    else:
        # 一企一档: what the organisation's profile already says is filled in for it.
        credential = organisation.credentials.filter(clause_code=clause.code).first()
        application.facts = {
            **facts_from_profile(rule, organisation),
            **(
                facts_from_record(
                    rule,
                    level=credential.level,
                    obtained_on=credential.obtained_on,
                    number=credential.number,
                )
                if credential
                else {}
            ),
        }
    application.save(force_insert=True)
    return application


# 一企一档: a clause fact with one of these names is filled from the organisation's profile
# (measure 2's technology centre asks "申报单位为工业企业" as a fact of its provincial tier).
PROFILE_FACTS = {
    "enterprise_scale": "scale",
    "industry": "industry",
    "industrial_enterprise": "is_industrial",
}


def facts_from_profile(rule: ClauseRule, organisation: Organisation) -> dict[str, str]:
    """The facts the organisation's profile gives a clause (its scale, its industry, whether
    it is an industrial enterprise).

    A choice fact takes the profile's value only if it is one of the clause's choices (by
    value or label); the enterprise can still change it in the draft.
    """
    facts: dict[str, str] = {}
    for fact_name, attribute in PROFILE_FACTS.items():
        spec = rule.fact(fact_name)
        stored = getattr(organisation, attribute, "")
        # A yes from the profile is a yes; a no is left for the enterprise to answer.
        value = ("是" if stored else "") if isinstance(stored, bool) else str(stored or "")
        if spec is None or not value:
            continue
        if spec.choices:
            label = organisation.get_scale_display() if attribute == "scale" else value
            value = next((c.value for c in spec.choices if c.value in (value, label)), "")
            if not value:
                continue
        facts[fact_name] = value
    return facts


def facts_from_record(
    rule: ClauseRule, *, level: str, obtained_on: date | None, number: str
) -> dict[str, str]:
    """The facts a recognition record gives a clause: its tier, its date, its document number."""
    facts: dict[str, str] = {}
    if isinstance(rule.reward, TieredReward) and level:
        facts[rule.reward.tier_fact] = level
    if rule.event_date_fact and obtained_on:
        facts[rule.event_date_fact] = obtained_on.isoformat()
    if rule.basis_fact and number:
        facts[rule.basis_fact] = number
    return facts


def _tier_spec(rule: ClauseRule):
    return rule.fact(rule.reward.tier_fact) if isinstance(rule.reward, TieredReward) else None


def tier_value(rule: ClauseRule, text: str) -> str | None:
    """A tier given as its value or its Chinese label ("国家级" → "national"); None if unknown."""
    if not isinstance(rule.reward, TieredReward):
        return ""
    spec = _tier_spec(rule)
    for choice in spec.choices if spec else ():
        if text.strip() in (choice.value, choice.label):
            return choice.value
    return None


def tier_label(rule: ClauseRule, value: str) -> str:
    """The stored tier as the clause names it ("national" → "国家级"); other text as it is."""
    spec = _tier_spec(rule)
    return spec.choice_label(value) if spec and value else value


@transaction.atomic
def credential_add(
    *,
    actor: User,
    organisation: Organisation,
    clause: Clause,
    title: str,
    level: str,
    obtained_on: date | None,
    number: str,
) -> Credential:
    if organisation.pk not in user_scopes(actor).organisation_ids:
        raise NotAllowed(_("您不是该单位的成员。"))
    rule = clause.current_version.rule
    if organisation.kind not in rule.applicant_types:
        # A county-level clause is no enterprise's recognition (the page offers only its kind's).
        message = _("该条款的申报主体为%(allowed)s，不是%(kind)s的资质。") % {
            "allowed": "、".join(applicant_label(t) for t in rule.applicant_types),
            "kind": applicant_label(organisation.kind),
        }
        raise DomainError(message, code="wrong_applicant_type", detail={"clause": [message]})
    value = tier_value(rule, level)
    if value is None:
        message = _("请选择级别：%(choices)s。") % {
            "choices": "、".join(c.label for c in rule.fact(rule.reward.tier_fact).choices)
        }
        raise DomainError(message, code="invalid_level", detail={"level": [message]})
    if not title.strip():
        raise DomainError(
            _("请填写认定或证书名称。"),
            code="title_required",
            detail={"title": [_("请填写认定或证书名称。")]},
        )
    if obtained_on and obtained_on > timezone.localdate():
        message = _("取得日期不能晚于今天。")
        raise DomainError(message, code="obtained_in_future", detail={"obtained_on": [message]})
    title, number = title.strip()[:200], number.strip()[:100]
    if Credential.objects.filter(
        organisation=organisation, clause_code=clause.code, title=title, number=number
    ).exists():
        message = _("该资质已在档案中，无需重复登记。")
        raise DomainError(message, code="credential_exists", detail={"title": [message]})
    credential = Credential.objects.create(
        organisation=organisation,
        clause_code=clause.code,
        title=title,
        level=value,
        obtained_on=obtained_on,
        number=number,
    )
    # The profile pre-fills applications and drives the push: who recorded what is audited.
    audit_record(
        actor=actor, obj=credential, action="credential.add", after=_credential(credential)
    )
    return credential


def _credential(credential: Credential) -> dict[str, Any]:
    return {
        "organisation": credential.organisation_id,
        "clause": credential.clause_code,
        "title": credential.title,
        "level": credential.level,
        "obtained_on": credential.obtained_on,
        "number": credential.number,
    }


@transaction.atomic
def credential_remove(*, actor: User, credential_id: int) -> None:
    credential = Credential.objects.filter(
        pk=credential_id, organisation_id__in=user_scopes(actor).organisation_ids
    ).first()
    if credential is None:
        raise NotAllowed(_("找不到该资质档案。"))
    audit_record(
        actor=actor, obj=credential, action="credential.remove", before=_credential(credential)
    )
    credential.delete()


@dataclass(frozen=True)
class ListDraft:
    """One organisation found on an official recognition list, with the facts the list gives."""

    organisation: Organisation
    facts: dict[str, Any]


@dataclass(frozen=True)
class ListStarted:
    """A 免申 draft written by `applications_start_from_list`."""

    id: int
    organisation_id: int
    reference: str
    computed_amount: Any  # Decimal | None: the estimate shown in the invitation


def applications_start_from_list(
    *, actor: User, clause: Clause, drafts: list[ListDraft], source: str
) -> list[ListStarted]:
    """免申即享: pre-filled drafts for every listed organisation, set-based (one COPY).

    The list proves the clause's required documents. The estimate runs against each
    organisation's award ledger (its reservations and awards, fetched for all at once), so
    limits already used show at once; submit applies the ledger, eligibility and duplicate
    checks again, under the organisation's locks, as for any application.
    """
    round_ = open_round_for_clause(clause)
    if round_ is None:
        raise DomainError(_("该条款目前没有正在受理的申报批次。"), code="round_closed")
    version = clause.current_version
    rule = version.rule
    proven = [m.code for m in rule.materials if m.required and m.code != PLEDGE_MATERIAL]
    contexts = award_contexts_for(organisations=[d.organisation for d in drafts])
    # Many rows share their facts, type, ledger and profile: the engine is pure, run it once each.
    evaluated: dict[tuple, dict[str, Any] | None] = {}
    rows = []
    for draft in drafts:
        organisation = draft.organisation
        context = contexts[organisation.pk]
        raw_facts = {**facts_from_profile(rule, organisation), **draft.facts}  # the list wins
        key = (
            tuple(sorted(raw_facts.items())),
            organisation.kind,
            context.prior_awards,
            tuple(sorted(context.profile.items())),
        )
        if key not in evaluated:
            evaluated[key] = None
            # Facts the list lacks are completed by the enterprise: then no estimate yet.
            with contextlib.suppress(DomainError):
                facts, result = clause_evaluate_for(
                    version=version,
                    raw_facts=raw_facts,
                    organisation=organisation,
                    context=context,
                )
                evaluated[key] = evaluation_fields(version, facts, result)
        rows.append(
            {
                "reference": Application.new_reference(),
                "organisation_id": organisation.pk,
                # COPY skips save(): the county scope is copied here as application_start does.
                "place_id": organisation.place_id,
                "round_id": round_.pk,
                "clause_id": clause.pk,
                "rule_version": version,
                "created_by_id": actor.pk,
                "facts": raw_facts,
                "exempt_source": source[:300],
                "exempt_materials": proven,
                "exempt_facts": _draft_facts(draft.facts),
                **(evaluated[key] or {}),
            }
        )
    ids = copy_insert(Application, rows)
    return [
        ListStarted(pk, row["organisation_id"], row["reference"], row.get("computed_amount"))
        for pk, row in zip(ids, rows, strict=True)
    ]


def applicant_label(kind: str) -> str:
    return str(Organisation.Kind(kind).label) if kind in Organisation.Kind.values else kind


def _draft_facts(raw_facts: dict[str, Any]) -> dict[str, str]:
    return {k: ("" if v is None else str(v)) for k, v in raw_facts.items()}


def _evaluate(application: Application, raw_facts: dict[str, Any]) -> None:
    """Run the engine on the facts (current rule version, the organisation's ledger)."""
    application.facts = raw_facts
    application_evaluate(application, version=application.clause.current_version)


def _refuse_changed_list_facts(application: Application, facts: dict[str, str]) -> None:
    """免申: the list proves its facts, and the waived evidence rests on them; a draft that
    changed one would reach the reviewer as "proven by the list" with facts it never held."""
    specs = {spec.name: spec for spec in application.rule_version.rule.facts}
    changed = {
        name: _("“%(label)s”来自认定名单，不能修改；如名单有误，请联系政策管理员。")
        % {"label": specs[name].label if name in specs else name}
        for name, listed in application.exempt_facts.items()
        if name in facts
        and not (
            same_fact_value(specs[name], facts[name], listed)
            if name in specs
            else facts[name] == listed
        )
    }
    if changed:
        raise DomainError(
            next(iter(changed.values())),
            code="list_proven_fact",
            detail={f"fact:{name}": [message] for name, message in changed.items()},
        )


@transaction.atomic
def application_save_draft(
    *,
    actor: User,
    application_id: int,
    raw_facts: dict[str, Any],
    other_funding_declared: bool = False,
    other_funding_detail: str = "",
) -> Application:
    """Lenient save: whatever was typed is kept; the amount is computed once the facts allow."""
    application = _lock_own(actor, application_id)
    _require_editable(application)
    facts = _draft_facts(raw_facts)
    _refuse_changed_list_facts(application, facts)
    application.facts = {**facts, **application.exempt_facts}
    application.other_funding_declared = other_funding_declared
    application.other_funding_detail = other_funding_detail.strip()
    fields = ["facts", "other_funding_declared", "other_funding_detail", "updated_at"]
    try:
        _evaluate(application, application.facts)
        fields += EVALUATION_FIELDS
    except DomainError:
        pass  # incomplete or invalid facts are fine in a draft; submit reports them
    application.save(update_fields=fields)
    return application


def _check_limits(application: Application, adding: int, material_code: str) -> None:
    """The limits of the current files, and of every version kept: a replaced file stays
    (the reviewers' history), so re-uploading one material used to grow without bound."""
    current_only = Q(is_current=True)
    counted = ApplicationMaterial.objects.filter(application=application).aggregate(
        versions=Count("pk", filter=Q(material_code=material_code)),
        kept=Sum("evidence__size"),
        files=Count("pk", filter=current_only),
        total=Sum("evidence__size", filter=current_only),
    )  # one query for the four limits
    if counted["versions"] >= settings.EVIDENCE_MAX_VERSIONS:
        message = _("同一项材料最多上传 %(n)d 个版本；如需再次更换，请联系审核人员。") % {
            "n": settings.EVIDENCE_MAX_VERSIONS
        }
        raise DomainError(message, code="too_many_versions", detail={"file": [message]})
    if (counted["kept"] or 0) + adding > settings.EVIDENCE_MAX_KEPT_BYTES:
        message = _("本申报已保存的材料（含被替换的旧版本）合计不能超过 %(mb)d MB。") % {
            "mb": settings.EVIDENCE_MAX_KEPT_BYTES // 1048576
        }
        raise DomainError(message, code="application_too_large", detail={"file": [message]})
    if counted["files"] >= settings.EVIDENCE_MAX_FILES:
        message = _("每份申报最多上传 %(n)d 个文件。") % {"n": settings.EVIDENCE_MAX_FILES}
        raise DomainError(message, code="too_many_files", detail={"file": [message]})
    if (counted["total"] or 0) + adding > settings.EVIDENCE_MAX_APPLICATION_BYTES:
        message = _("本申报材料总大小不能超过 %(mb)d MB。") % {
            "mb": settings.EVIDENCE_MAX_APPLICATION_BYTES // 1048576
        }
        raise DomainError(message, code="application_too_large", detail={"file": [message]})


def _material_codes(application: Application) -> set[str]:
    return {m.code for m in application.rule_version.rule.materials}


def _attach(
    application: Application, material_code: str, evidence: EvidenceFile
) -> ApplicationMaterial:
    if material_code not in _material_codes(application):
        message = _("未知的材料项：%(code)s") % {"code": material_code}
        raise DomainError(message, code="unknown_material", detail={"material_code": [message]})
    previous = ApplicationMaterial.objects.filter(
        application=application, material_code=material_code
    )
    version = (previous.aggregate(v=Max("version"))["v"] or 0) + 1
    previous.filter(is_current=True).update(is_current=False)
    return ApplicationMaterial.objects.create(
        application=application, material_code=material_code, evidence=evidence, version=version
    )


def application_attach_upload(
    *, actor: User, application_id: int, material_code: str, upload: UploadedFile
) -> ApplicationMaterial:
    """Store one evidence file; if the transaction does not commit, the file is removed.

    The upload streams: checked and scanned block by block, stored from the upload itself
    (a large one from Django's temporary file, moved or copied in chunks by the storage)."""
    checked = check_upload(upload)
    with files_follow_transaction() as track, transaction.atomic():
        application = _lock_own(actor, application_id)
        _require_editable(application)
        _check_limits(application, checked.size, material_code)
        status = _scan_upload(upload)
        evidence = EvidenceFile(
            organisation=application.organisation,
            original_name=checked.original_name,
            content_type=checked.content_type,
            extension=checked.extension,
            size=checked.size,
            sha256=checked.sha256,
            uploaded_by=actor,
            scan_status=status,
        )
        evidence.save()  # the row first, then the file it names
        try:
            upload.seek(0)
            evidence.file.save("upload" + checked.extension, upload, save=False)
        except storage_errors() as exc:
            # Nothing is recorded: the transaction rolls back and takes the row with it.
            raise storage_unavailable() from exc
        track(evidence.file)
        evidence.save(update_fields=["file"])
        if status == ScanStatus.PENDING:
            # Through the outbox, in this transaction: a broker outage at upload time loses
            # no rescan and fails no request (applications.tasks.evidence_scan consumes it).
            outbox_enqueue(
                kind=EVIDENCE_SCAN_KIND,
                payload={"evidence_id": evidence.pk},
                dedup_key=f"{EVIDENCE_SCAN_KIND}:{evidence.pk}",
            )
        return _attach(application, material_code, evidence)


def _scan_upload(upload: UploadedFile) -> str:
    """Scan now when clamd answers; refuse an infected file; queue a rescan if clamd is down."""
    if not scanning_enabled():
        return ScanStatus.NOT_SCANNED
    upload.seek(0)
    outcome = scan_file(upload)
    if outcome.state == "infected":
        raise _virus_found(outcome.signature)
    return ScanStatus.CLEAN if outcome.state == "clean" else ScanStatus.PENDING


def _virus_found(signature: str) -> DomainError:
    message = _("文件中发现病毒或恶意代码（%(sig)s），已拒收。请查杀后重新上传。") % {
        "sig": signature or "ClamAV"
    }
    return DomainError(message, code="virus_found", detail={"file": [message]})


@transaction.atomic
def evidence_scan_record(*, evidence_id: int) -> str:
    """Scan a stored file again (queued when clamd was unreachable at upload); idempotent."""
    evidence = EvidenceFile.objects.select_for_update().get(pk=evidence_id)
    if evidence.scan_status in (ScanStatus.CLEAN, ScanStatus.INFECTED) or not scanning_enabled():
        return evidence.scan_status
    with evidence.file.open("rb") as handle:
        outcome = scan_file(handle)
    if outcome.state == "error":
        return evidence.scan_status  # still pending; the task retries
    evidence.scan_status = ScanStatus.CLEAN if outcome.state == "clean" else ScanStatus.INFECTED
    evidence.scan_signature = outcome.signature[:200]
    evidence.save(update_fields=["scan_status", "scan_signature"])
    audit_record(
        actor=None,
        obj=evidence,
        action="evidence.scan",
        after={"status": evidence.scan_status, "signature": evidence.scan_signature},
    )
    return evidence.scan_status


@transaction.atomic
def application_attach_existing(
    *, actor: User, application_id: int, material_code: str, evidence_id: int
) -> ApplicationMaterial:
    """一企一档: reuse a file the organisation uploaded before."""
    application = _lock_own(actor, application_id)
    _require_editable(application)
    evidence = EvidenceFile.objects.filter(
        pk=evidence_id, organisation=application.organisation
    ).first()
    if evidence is None:
        raise DomainError(
            _("找不到该材料文件。"),
            code="unknown_evidence",
            detail={"evidence": [_("找不到该材料文件。")]},
        )
    _check_limits(application, evidence.size, material_code)
    return _attach(application, material_code, evidence)


def _submission_problems(application: Application) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    rule = application.rule_version.rule
    present = set(
        ApplicationMaterial.objects.filter(application=application, is_current=True).values_list(
            "material_code", flat=True
        )
    )
    present |= set(application.exempt_materials)
    for material in rule.materials:
        if material.required and material.code != PLEDGE_MATERIAL and material.code not in present:
            problems.setdefault(f"material:{material.code}", []).append(
                _("请上传：%(label)s") % {"label": material.label}
            )
    organisation = application.organisation
    if application.exempt_source and not (organisation.bank_name and organisation.bank_account):
        # 免申: confirming the account is what the enterprise is asked to do (the list proves
        # the rest); without one the award could not be paid.
        problems.setdefault("account", []).append(
            _("请先在单位信息中填写收款账户（开户银行和银行账号），确认后再提交免申申报。")
        )
    if application.other_funding_declared and not application.other_funding_detail:
        problems.setdefault("other_funding_detail", []).append(
            _("请说明已获得的其他市级财政资金。")
        )
    return problems


SUMMARY_PROBLEMS = 3  # named in the summary; every one is shown by its field


def incomplete_message(problems: dict[str, list[str]]) -> str:
    """The summary of a refused submit: how many problems, and the first few by name."""
    every = [str(message) for messages in problems.values() for message in messages]
    named = _("；").join(message.rstrip("。.") for message in every[:SUMMARY_PROBLEMS])
    named += _("；等。") if len(every) > SUMMARY_PROBLEMS else _("。")
    summary = ngettext(
        "申报材料不完整（共%(n)d处）：%(first)s",
        "申报材料不完整（共%(n)d处）：%(first)s",
        len(every),
    )
    return summary % {"n": len(every), "first": named}


@transaction.atomic
def application_submit(
    *, actor: User, application_id: int, pledge_accepted: bool, pledge_name: str
) -> Application:
    """Complete validation, duplicate checks, then the submit transition; idempotent."""
    application = _lock_own(actor, application_id)
    if application.status != Status.DRAFT:
        if application.submitted_at is not None and application.status not in (Status.WITHDRAWN,):
            return application  # a double click or retried request: the first one won
        _require_editable(application)
    if not application.round.is_open():
        raise DomainError(
            _("申报批次“%(round)s”已于 %(closes)s 截止或尚未开始。")
            % {
                "round": application.round.name,
                "closes": deadline_text(application.round.closes_at),
            },
            code="round_closed",
        )
    problems: dict[str, list[str]] = {}
    try:
        _evaluate(application, application.facts)
    except DomainError as exc:
        for name, message in (exc.detail or {}).items():
            problems.setdefault(f"fact:{name}", []).append(str(message))
    problems.update(_submission_problems(application))
    if not pledge_accepted or not pledge_name.strip():
        problems.setdefault("pledge", []).append(_("请阅读并勾选承诺书，填写承诺人姓名。"))
    if problems:
        raise DomainError(incomplete_message(problems), code="incomplete", detail=problems)
    findings = duplicates.find_duplicates(application)
    duplicates.refuse_hard_duplicates(findings)  # "already applied" names the first case
    duplicates.refuse_if_not_eligible(application)
    now = timezone.now()
    application.pledge_name = pledge_name.strip()
    application.pledged_at = now
    application.submitted_at = now
    try:
        with transaction.atomic():
            application.save(
                update_fields=[
                    *EVALUATION_FIELDS,
                    "pledge_name",
                    "pledged_at",
                    "submitted_at",
                    "updated_at",
                ]
            )
            application = application_transition(
                actor=actor, application_id=application.pk, request=TransitionRequest(Action.SUBMIT)
            )
    except IntegrityError as exc:  # the live-duplicate constraint caught a concurrent twin
        raise DomainError(
            _("同一单位、同一条款、同一申报依据已有在办申报。"), code="duplicate"
        ) from exc
    duplicates.record_flags(application, findings)
    duplicates.flag_after_commit(application.pk)
    return application


@transaction.atomic
def application_resubmit(
    *,
    actor: User,
    application_id: int,
    pledge_accepted: bool = False,
    pledge_name: str = "",
) -> Application:
    """Resubmit after 补正. When the reviewer asked for the 承诺书 again, it must be signed
    again: a new name and time are recorded (the old ones stay in the audit log)."""
    application = _lock_own(actor, application_id)
    if application.status != Status.RETURNED:
        if application.status in (Status.COUNTY_REVIEW, Status.DEPARTMENT_REVIEW, Status.APPROVAL):
            return application  # already resubmitted (double click)
        _require_editable(application)
    problems = _submission_problems(application)
    pledge_again = PLEDGE_MATERIAL in (application.correction_requests or {})
    if pledge_again and (not pledge_accepted or not pledge_name.strip()):
        problems.setdefault("pledge", []).append(
            _("审核人员要求重新签署承诺书：请勾选承诺书并填写承诺人姓名。")
        )
    try:
        _evaluate(application, application.facts)
    except DomainError as exc:
        for name, message in (exc.detail or {}).items():
            problems.setdefault(f"fact:{name}", []).append(str(message))
    if problems:
        raise DomainError(incomplete_message(problems), code="incomplete", detail=problems)
    duplicates.refuse_if_not_eligible(application)
    fields = [*EVALUATION_FIELDS, "updated_at"]
    if pledge_again:
        before = {
            "pledge_name": application.pledge_name,
            "pledged_at": application.pledged_at.isoformat() if application.pledged_at else None,
        }
        application.pledge_name = pledge_name.strip()
        application.pledged_at = timezone.now()
        fields += ["pledge_name", "pledged_at"]
        audit_record(
            actor=actor,
            obj=application,
            action="application.pledge_signed",
            before=before,
            after={
                "pledge_name": application.pledge_name,
                "pledged_at": application.pledged_at.isoformat(),
            },
        )
    application.save(update_fields=fields)
    application = application_transition(
        actor=actor, application_id=application.pk, request=TransitionRequest(Action.RESUBMIT)
    )
    duplicates.record_flags(application, duplicates.find_duplicates(application))
    duplicates.flag_after_commit(application.pk)
    return application


def application_withdraw(*, actor: User, application_id: int, reason: str = "") -> Application:
    return application_transition(
        actor=actor,
        application_id=application_id,
        request=TransitionRequest(Action.WITHDRAW, comment=reason),
    )


@transaction.atomic
def application_delete_draft(*, actor: User, application_id: int) -> None:
    application = _lock_own(actor, application_id)
    if application.status != Status.DRAFT:
        raise Conflict(_("只能删除草稿。"), code="not_draft")
    application.materials.all().delete()
    application.delete()
