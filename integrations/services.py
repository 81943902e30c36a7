"""Every write of integrations: service accounts, webhook subscriptions, recognition lists."""

from __future__ import annotations

import hashlib
import ipaddress
import re
import secrets
import socket
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organisation, Role, User
from accounts.notifications import Message, notify_many
from accounts.selectors import member_ids_by_organisation, user_scopes
from accounts.uscc import validate_uscc
from applications.lifecycle.statuses import Status
from applications.links import reference_link
from applications.models import Application
from applications.services import (
    ListDraft,
    applicant_label,
    applications_start_from_list,
    facts_from_record,
    tier_value,
)
from audit.services import audit_record
from core.bulk import copy_insert, gc_deferred
from core.errors import Conflict, DomainError, NotAllowed, NotFound
from core.tables import TableSpec, read_table
from measures.models import Clause
from measures.rules.types import TieredReward, format_amount_wan
from measures.selectors import current_policy

from .keys import key_new
from .models import RecognitionList, RecognitionRow, Scope, ServiceAccount, WebhookSubscription


def _require_security_admin(actor: User) -> None:
    if not user_scopes(actor).has(Role.SECURITY_ADMIN):
        raise NotAllowed(_("只有安全管理员可以管理对接账号。"))


# --- service accounts ------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedKey:
    account: ServiceAccount
    key: str  # shown once; only its hash is stored


@transaction.atomic
def service_account_create(
    *, actor: User, name: str, scopes: list[str], valid_days: int | None = 365
) -> IssuedKey:
    _require_security_admin(actor)
    errors: dict[str, list[str]] = {}
    if not name.strip():
        errors["name"] = [_("请填写对接平台名称。")]
    elif ServiceAccount.objects.filter(name=name.strip(), revoked_at__isnull=True).exists():
        # Two live keys of one name could not be told apart in the list or the audit log.
        errors["name"] = [
            _("“%(name)s”已有有效密钥：需要新密钥请“更换密钥”，或先吊销旧账号。")
            % {"name": name.strip()}
        ]
    unknown = [s for s in scopes if s not in Scope.values]
    if not scopes or unknown:
        errors["scopes"] = [_("请选择权限范围（读取政策、推送认定名单、读取申报状态）。")]
    if valid_days is not None and not 1 <= valid_days <= 3650:
        errors["valid_days"] = [_("有效期应为1至3650天。")]
    if errors:
        raise DomainError(next(iter(errors.values()))[0], code="invalid_account", detail=errors)
    key, prefix, hashed = key_new()
    account = ServiceAccount.objects.create(
        name=name.strip(),
        scopes=sorted(set(scopes)),
        key_prefix=prefix,
        key_hash=hashed,
        created_by=actor,
        expires_at=timezone.now() + timedelta(days=valid_days) if valid_days else None,
    )
    audit_record(
        actor=actor,
        obj=account,
        action="service_account.create",
        after={"scopes": account.scopes, "prefix": prefix},
    )
    return IssuedKey(account, key)


@transaction.atomic
def service_account_rotate(*, actor: User, account_id: int) -> IssuedKey:
    """A new key replaces the old one at once (the old key stops working)."""
    _require_security_admin(actor)
    account = ServiceAccount.objects.select_for_update().get(pk=account_id)
    if account.revoked_at:
        raise DomainError(_("该对接账号已吊销，不能更换密钥。"), code="revoked")
    key, prefix, hashed = key_new()
    account.key_prefix, account.key_hash, account.rotated_at = prefix, hashed, timezone.now()
    account.save(update_fields=["key_prefix", "key_hash", "rotated_at"])
    audit_record(
        actor=actor, obj=account, action="service_account.rotate", after={"prefix": prefix}
    )
    return IssuedKey(account, key)


@transaction.atomic
def service_account_revoke(*, actor: User, account_id: int, reason: str) -> ServiceAccount:
    _require_security_admin(actor)
    if not reason.strip():
        raise DomainError(
            _("请填写吊销原因。"),
            code="comment_required",
            detail={"reason": [_("请填写吊销原因。")]},
        )
    account = ServiceAccount.objects.select_for_update().get(pk=account_id)
    if account.revoked_at is None:
        account.revoked_at = timezone.now()
        account.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor, obj=account, action="service_account.revoke", comment=reason.strip()
        )
    return account


# --- webhooks ------------------------------------------------------------------------------


def webhook_url_check(url: str) -> str:
    """https only, and never an address inside our network (SSRF); checked again on delivery."""
    return webhook_url_addresses(url)[0]


# NAT64 prefixes: the well-known one carries an IPv4 address in its last 32 bits; the
# local-use one (RFC 8215) translates to whatever the operator's network holds.
_NAT64_WELL_KNOWN = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL_USE = ipaddress.ip_network("64:ff9b:1::/48")


def _is_public_unicast(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether a delivery may connect to the address. `is_global` alone lets through
    multicast and IPv6 forms that wrap an IPv4 address (NAT64, 6to4, mapped), which a
    gateway turns back into that address, private or not."""
    if ip.is_multicast or not ip.is_global:
        return False
    if ip.version == 6:
        if ip in _NAT64_LOCAL_USE:
            return False
        embedded = ip.ipv4_mapped or ip.sixtofour
        if ip in _NAT64_WELL_KNOWN:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return _is_public_unicast(embedded)
    return True


def webhook_url_addresses(url: str) -> tuple[str, list[str]]:
    """The checked URL and the public addresses its host resolved to (none for the tests'
    trusted host). Delivery connects to these very addresses: resolving the name a second
    time to connect would let a rebinding DNS answer point it inside after the check."""
    url = (url or "").strip()
    invalid = DomainError(
        _("回调地址无效。"), code="invalid_url", detail={"url": [_("回调地址无效。")]}
    )
    # Whitespace or a control character inside could never be sent (http.client refuses it
    # at every delivery attempt), and a fragment or credentials in the URL mean nothing here.
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        raise invalid
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port  # a port out of range or not a number raises here
    except ValueError as exc:
        raise invalid from exc
    if parts.username or parts.password or parts.fragment:
        raise invalid
    trusted = host in settings.WEBHOOK_TRUSTED_TEST_HOSTS  # tests' local receiver only
    if parts.scheme != "https" and not trusted:
        raise DomainError(
            _("回调地址须使用 https。"),
            code="insecure_url",
            detail={"url": [_("回调地址须使用 https。")]},
        )
    if not host:
        raise invalid
    if trusted:
        return url, []
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, port or 443)}
    except (socket.gaierror, UnicodeError) as exc:
        message = _("无法解析回调地址的主机名：%(host)s。") % {"host": host}
        raise DomainError(message, code="unresolvable_url", detail={"url": [message]}) from exc
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if not _is_public_unicast(ip):
            message = _("回调地址不能指向内网、本机或保留地址（%(ip)s）。") % {"ip": ip}
            raise DomainError(message, code="private_url", detail={"url": [message]})
    return url, sorted(addresses)


@transaction.atomic
def webhook_subscribe(*, account: ServiceAccount, url: str) -> WebhookSubscription:
    if Scope.READ_STATUSES not in account.scopes:
        raise NotAllowed(_("该对接账号无“读取申报状态”权限，不能订阅状态变更。"), code="scope")
    checked = webhook_url_check(url)
    ServiceAccount.objects.select_for_update().filter(pk=account.pk).first()  # one at a time
    # One subscription per address: two would send each change twice under different
    # Idempotency-Keys, which the receiver cannot recognise as the same delivery.
    if WebhookSubscription.objects.filter(account=account, url=checked, active=True).exists():
        message = _("该回调地址已订阅，无需重复订阅。")
        raise Conflict(message, code="duplicate_subscription", detail={"url": [message]})
    subscription = WebhookSubscription.objects.create(
        account=account, url=checked, secret=secrets.token_hex(32)
    )
    audit_record(
        actor=None, obj=account, action="service_account.webhook_subscribe", after={"url": url}
    )
    return subscription


@transaction.atomic
def webhook_unsubscribe(*, account: ServiceAccount, subscription_id: int) -> None:
    """Idempotent for the account's own subscriptions; another id is not found (a typo would
    otherwise look like success)."""
    if not WebhookSubscription.objects.filter(pk=subscription_id, account=account).exists():
        raise NotFound(_("找不到该回调订阅。"), code="not_found")
    updated = WebhookSubscription.objects.filter(
        pk=subscription_id, account=account, active=True
    ).update(active=False)
    if updated:
        audit_record(
            actor=None,
            obj=account,
            action="service_account.webhook_unsubscribe",
            after={"subscription": subscription_id},
        )


# --- 免申即享: recognition lists ---------------------------------------------------------------

LIST_SPEC = TableSpec(
    columns={
        "uscc": ("统一社会信用代码", "社会信用代码", "信用代码", "uscc"),
        "name": ("企业名称", "单位名称", "名称", "name"),
        "recognition": ("认定类别", "认定名称", "称号", "认定类型", "recognition"),
        "level": ("级别", "等级", "层级", "认定级别", "level", "tier"),
        "date": ("认定日期", "公布日期", "日期", "date"),
        "document_no": (
            "文号",
            "认定文号",
            "发布文号",
            "文件文号",
            "document number",
            "document_no",
        ),
    },
    required=("uscc", "name"),
    labels={
        "uscc": "统一社会信用代码",
        "name": "企业名称",
        "recognition": "认定类别",
        "level": "级别",
        "date": "认定日期",
        "document_no": "文号",
    },
    max_bytes=10 * 1024 * 1024,
    max_rows=20_000,
    formulas_as_text=True,  # a list is text: a formula cell is refused, never evaluated
)
_FORMULA = re.compile(r"^[=+\-@\t\r]")
_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")
_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")


@dataclass(frozen=True)
class _Row:
    row: int
    uscc: str
    name: str
    recognition: str
    level: str  # the tier value (e.g. "national"), or "" when the clause has no tier
    level_text: str
    recognised_on: date | None
    document_no: str


def _parse_date(text: str) -> date | None:
    match = _DATE.match(text.strip().split("T")[0].split(" ")[0])
    if not match:
        raise ValueError(text)
    return date(*(int(g) for g in match.groups()))


def _check_rows(rows, clause: Clause) -> tuple[list[_Row], dict[str, list[str]]]:
    rule = clause.current_version.rule
    tier_spec = rule.fact(rule.reward.tier_fact) if isinstance(rule.reward, TieredReward) else None
    errors: dict[str, list[str]] = {}
    first_row_of: dict[str, int] = {}
    parsed: list[_Row] = []
    today = timezone.localdate()
    # Only a clause rewarding a dated recognition asks its date to fall within the policy.
    valid_from, valid_to = clause.policy.validity if rule.event_date_fact else (None, None)
    for row in rows:
        cells = row.cells
        problems = [
            _("“%(value)s”以公式字符开头，名单不接受公式。") % {"value": value[:20]}
            for value in cells.values()
            if _FORMULA.match(value) and not _NUMBER.match(value)
        ]
        uscc = cells.get("uscc", "").strip().upper()
        try:
            validate_uscc(uscc)
        except Exception as exc:  # ValidationError and its checksum subclass
            problems.append(" ".join(getattr(exc, "messages", [str(exc)])))
        if uscc in first_row_of:
            problems.append(
                _("与第%(row)d行重复（同一统一社会信用代码）。") % {"row": first_row_of[uscc]}
            )
        first_row_of.setdefault(uscc, row.row)
        if not cells.get("name", "").strip():
            problems.append(_("缺少企业名称。"))
        level_text = cells.get("level", "").strip()
        level = tier_value(rule, level_text) or ""
        if tier_spec and not level:
            problems.append(
                _("级别“%(value)s”不是本条款的级别，应为：%(choices)s。")
                % {
                    "value": level_text,
                    "choices": "、".join(c.label for c in tier_spec.choices),
                }
            )
        recognised_on = None
        if cells.get("date", "").strip():
            try:
                recognised_on = _parse_date(cells["date"])
            except ValueError:
                problems.append(
                    _("认定日期“%(value)s”无法识别，请写作 2025-08-01。") % {"value": cells["date"]}
                )
        if recognised_on and recognised_on > today:
            problems.append(
                _("认定日期 %(date)s 晚于今天，请核对。") % {"date": recognised_on.isoformat()}
            )
        elif recognised_on and valid_from and not valid_from <= recognised_on <= valid_to:
            problems.append(
                _("认定日期 %(date)s 不在政策有效期内（%(start)s至%(end)s），不能按本条款奖励。")
                % {
                    "date": recognised_on.isoformat(),
                    "start": valid_from.isoformat(),
                    "end": valid_to.isoformat(),
                }
            )
        if problems:
            errors[str(row.row)] = problems
            continue
        parsed.append(
            _Row(
                row=row.row,
                uscc=uscc,
                name=cells["name"].strip()[:200],
                recognition=cells.get("recognition", "").strip()[:200],
                level=level,
                level_text=level_text[:60],
                recognised_on=recognised_on,
                document_no=cells.get("document_no", "").strip()[:100],
            )
        )
    return parsed, errors


def _wrong_applicant_types(rows: list[_Row], clause: Clause) -> list[tuple[int, str]]:
    """Rows naming a registered organisation of a kind the clause does not reward (a park on
    an enterprise clause): one query for the few that are, not a lookup per row."""
    allowed = clause.current_version.rule.applicant_types
    wrong = dict(
        Organisation.objects.filter(uscc__any=[r.uscc for r in rows])
        .exclude(kind__in=allowed)
        .values_list("uscc", "kind")
    )
    labels = "、".join(applicant_label(kind) for kind in allowed)
    return [
        (
            r.row,
            _("该单位登记为“%(kind)s”，本条款的申报主体为：%(allowed)s。")
            % {"kind": applicant_label(wrong[r.uscc]), "allowed": labels},
        )
        for r in rows
        if r.uscc in wrong
    ]


@dataclass(frozen=True)
class ImportResult:
    recognition_list: RecognitionList
    created: int
    existing: int
    unmatched: list[RecognitionRow]


@gc_deferred()
def recognition_list_import(
    *,
    actor: User,
    clause_code: str,
    title: str,
    document_no: str,
    file_name: str,
    data: bytes,
    via: ServiceAccount | None = None,
) -> ImportResult:
    """免申即享: a whole list or nothing; every bad row is reported with its row number."""
    if via is None and not user_scopes(actor).has(Role.POLICY_ADMIN):
        raise NotAllowed(_("只有政策管理员可以导入认定名单。"))
    policy = current_policy()
    clause = (
        Clause.objects.select_related("current_version", "policy", "measure")
        .filter(policy=policy, code=(clause_code or "").strip())
        .first()
    )
    if clause is None or clause.current_version is None:
        message = _("找不到条款“%(code)s”。") % {"code": clause_code}
        raise DomainError(message, code="unknown_clause", detail={"clause": [message]})
    if not title.strip():
        raise DomainError(
            _("请填写名单名称。"), code="title_required", detail={"title": [_("请填写名单名称。")]}
        )
    rows, errors = _check_rows(read_table(name=file_name, data=data, spec=LIST_SPEC), clause)
    for row, problem in _wrong_applicant_types(rows, clause):
        errors.setdefault(str(row), []).append(problem)
    errors = dict(sorted(errors.items(), key=lambda item: int(item[0])))
    if errors:
        first_row, first = next(iter(errors.items()))
        raise DomainError(
            _("名单中有 %(n)d 行有误，未导入任何数据。第%(row)s行：%(first)s")
            % {"n": len(errors), "row": first_row, "first": first[0]},
            code="invalid_rows",
            detail={"rows": errors},
        )
    try:
        with transaction.atomic():
            return _import_rows(
                actor=actor,
                clause=clause,
                title=title.strip()[:200],
                document_no=document_no.strip()[:100],
                file_name=file_name[:120],
                data=data,
                rows=rows,
                via=via,
            )
    except IntegrityError as exc:
        # A concurrent decision on one of these organisations won (e.g. the same application
        # created meanwhile): the whole list is rolled back, and the administrator may retry.
        raise Conflict(
            _("导入时其他操作同时修改了名单中单位的申报，未导入任何数据，请重试。")
        ) from exc


def _import_rows(*, actor, clause, title, document_no, file_name, data, rows, via) -> ImportResult:
    """Set-based: one query matches the USCCs, one the members, one the existing applications;
    the drafts, row records and notifications are each one COPY."""
    organisations = {
        o.uscc: o
        for o in Organisation.objects.filter(uscc__any=[r.uscc for r in rows]).only(
            "pk",
            "uscc",
            "kind",
            "place",
            "is_industrial",
            "is_local_drug_manufacturer",
            "scale",
            "industry",
        )
    }
    organisation_ids = [o.pk for o in organisations.values()]
    members = member_ids_by_organisation(organisation_ids)
    # One application per organisation and clause from a list: an earlier or ongoing
    # application of the same clause (any state but withdrawn or rejected) is kept as it is.
    existing = set(
        Application.objects.filter(clause=clause, organisation_id__any=organisation_ids)
        .exclude(status__in=(Status.WITHDRAWN, Status.REJECTED))
        .values_list("organisation_id", flat=True)
    )
    source = f"{title}（{document_no}）" if document_no else title
    rule = clause.current_version.rule
    to_create = [
        r for r in rows if r.uscc in organisations and organisations[r.uscc].pk not in existing
    ]
    created = applications_start_from_list(
        actor=actor,
        clause=clause,
        source=source,
        drafts=[
            ListDraft(
                organisations[r.uscc],
                facts_from_record(
                    rule,
                    level=r.level,
                    obtained_on=r.recognised_on,
                    number=r.document_no or document_no,
                ),
            )
            for r in to_create
        ],
    )
    application_of = {a.organisation_id: a for a in created}
    recognition_list = RecognitionList.objects.create(
        clause=clause,
        title=title,
        document_no=document_no,
        file_name=file_name,
        file_sha256=hashlib.sha256(data).hexdigest(),
        imported_by=actor,
        imported_via=via,
        row_count=len(rows),
        created_count=len(created),
    )
    records = [_row_record(recognition_list, r, organisations, application_of) for r in rows]
    ids = copy_insert(RecognitionRow, records)
    notify_many(_invitations(created, members, clause, source))
    audit_record(
        actor=actor,
        obj=recognition_list,
        action="recognition_list.import",
        after={
            "clause": clause.code,
            "rows": len(rows),
            "created": len(created),
            "via": via.name if via else "",
        },
    )
    unmatched = [
        RecognitionRow(pk=pk, **{k: v for k, v in r.items() if k != "recognition_list"})
        for pk, r in zip(ids, records, strict=True)
        if r["outcome"] == RecognitionRow.Outcome.UNMATCHED
    ]
    return ImportResult(
        recognition_list=recognition_list,
        created=len(created),
        existing=sum(1 for r in records if r["outcome"] == RecognitionRow.Outcome.EXISTING),
        unmatched=unmatched,
    )


def _row_record(recognition_list, row: _Row, organisations, application_of) -> dict:
    organisation = organisations.get(row.uscc)
    application = application_of.get(organisation.pk) if organisation else None
    if organisation is None:
        outcome = RecognitionRow.Outcome.UNMATCHED
    elif application is None:
        outcome = RecognitionRow.Outcome.EXISTING
    else:
        outcome = RecognitionRow.Outcome.CREATED
    return {
        "recognition_list": recognition_list,
        "row": row.row,
        "uscc": row.uscc,
        "name": row.name,
        "recognition": row.recognition,
        "level": row.level_text,
        "recognised_on": row.recognised_on,
        "document_no": row.document_no,
        "organisation_id": organisation.pk if organisation else None,
        "application_id": application.id if application else None,
        "outcome": outcome,
    }


def _invitations(created, members, clause: Clause, source: str):
    """One message per new draft to the organisation's members (the link and text built once)."""
    subject = _("免申即享：您单位可享受“%(clause)s”奖励") % {"clause": clause.title}
    body = _(
        "您单位已列入《%(source)s》，系统已根据名单为您生成申报（%(ref)s）%(amount)s。"
        "请核对信息，确认承诺书和银行账户后提交，无需再上传认定材料。"
    )
    link = reference_link("applications:edit")
    amounts: dict = {}
    for application in created:
        amount = application.computed_amount
        if amount not in amounts:
            amounts[amount] = (
                _("，测算金额最高%(wan)s") % {"wan": format_amount_wan(amount)} if amount else ""
            )
        yield Message(
            users=members.get(application.organisation_id, []),
            subject=subject,
            body=body % {"source": source, "ref": application.reference, "amount": amounts[amount]},
            link=link(application.reference),
        )


# --- 精准推送 preferences -------------------------------------------------------------------


@transaction.atomic
def push_preference_set(*, actor: User, organisation: Organisation, opted_out: bool):
    from .models import PushPreference

    if organisation.pk not in user_scopes(actor).organisation_ids:
        raise NotAllowed(_("您不是该单位的成员。"))
    preference, _created = PushPreference.objects.update_or_create(
        organisation=organisation, defaults={"opted_out": opted_out}
    )
    audit_record(
        actor=actor,
        obj=organisation,
        action="organisation.push_preference",
        after={"opted_out": opted_out},
    )
    return preference
