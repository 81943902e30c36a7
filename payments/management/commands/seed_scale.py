"""City-scale data for benchmarks: organisations, applications in every status, flags,
letters and payment lines, written with PostgreSQL COPY (100,000 applications in seconds).

    python manage.py seed_scale --orgs 10000 --applications 100000

Refused on a database that holds real data: any application, letter or payment batch not
written by this command, or organisations other than this command's and the demo's. Staff
accounts for the benches are created too (password: the demo password):
``scale_county`` (county reviewer of the busiest place), ``scale_dept`` (department reviewer
of the busiest department), ``scale_approver``, ``scale_finance``, ``scale_auditor``.
"""

from __future__ import annotations

import io
import json
import random
import time
from collections import Counter
from datetime import timedelta
from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone
from stdnum.cn import uscc as uscc_number

from accounts.demo import DEMO_ORGS, DEMO_PASSWORD
from accounts.models import Organisation, Place, Role, RoleAssignment, User
from applications.lifecycle.statuses import AWARDED_STATUSES
from applications.models import Application, DuplicateFlag, Status
from applications.summaries import summaries_refresh
from measures.demo import seed_policy_and_round
from measures.models import Round, RoundBudget
from payments.models import BatchState, LineState, PaymentBatch, PaymentLine
from reviews.models import Letter, LetterSequence

PREFIX = "SX"  # references of seeded applications, batches and letters' codes
USCC_STEM = "9161"  # 91 = enterprise, 61 = Shaanxi
# Share of applications per status (the rest are drafts): a city some weeks into a round.
STATUS_SHARES = {
    Status.COUNTY_REVIEW: 0.14,
    Status.DEPARTMENT_REVIEW: 0.12,
    Status.APPROVAL: 0.07,
    Status.PENDING_NOTICE: 0.03,
    Status.PUBLIC_NOTICE: 0.03,
    Status.OBJECTION: 0.005,
    Status.APPROVED: 0.14,
    Status.IN_PAYMENT: 0.05,
    Status.PAID: 0.20,
    Status.PAYMENT_FAILED: 0.01,
    Status.RETURNED: 0.04,
    Status.REJECTED: 0.06,
    Status.WITHDRAWN: 0.015,
}
RECOMMENDED = {
    Status.APPROVAL,
    Status.PENDING_NOTICE,
    Status.PUBLIC_NOTICE,
    Status.OBJECTION,
    *AWARDED_STATUSES,
}
APPROVED = RECOMMENDED - {Status.APPROVAL}
# Cases in a payment batch: their line's state and the batch's state.
IN_BATCH = {
    Status.PAID: (LineState.PAID, BatchState.LOCKED),
    Status.PAYMENT_FAILED: (LineState.FAILED, BatchState.LOCKED),
    Status.IN_PAYMENT: (LineState.PENDING, BatchState.DRAFT),
}
FLAG_KINDS = ("same_basis_other_clause", "same_clause_same_round", "other_municipal_funding")
WORDS = [
    "秦川",
    "渭水",
    "五陵",
    "长安",
    "丝路",
    "华岳",
    "乾元",
    "泾河",
    "北原",
    "嵯峨",
    "九嵕",
    "彬宝",
    "永安",
    "兴华",
    "金桥",
    "红星",
    "宏远",
    "鼎盛",
    "瑞丰",
    "恒通",
    "新元",
    "博远",
    "中联",
    "天成",
    "海纳",
    "同创",
    "德润",
    "嘉禾",
    "锦程",
    "聚力",
    "众诚",
    "盛世",
    "云帆",
]
TRADES = [
    "精密机械",
    "新材料",
    "电子信息",
    "生物医药",
    "智能装备",
    "新能源",
    "食品加工",
    "纺织",
    "化工",
    "汽车零部件",
    "软件",
    "光电",
    "环保科技",
    "建材",
    "医疗器械",
    "农业科技",
    "航空",
    "储能",
    "数字科技",
    "检测",
]
FORMS = ("有限公司", "股份有限公司", "有限责任公司", "科技有限公司", "集团有限公司")


def _sealed(model, field: str, value: str) -> str:
    """Personal data as the model stores it (SM4-GCM, see core.fields): COPY
    bypasses the ORM, so encrypt here."""
    return model._meta.get_field(field).get_prep_value(value)


def _copy(table: str, columns: list[str], rows) -> int:
    """COPY rows (tuples; None → NULL) into a table in one round trip."""
    buffer = io.StringIO()
    count = 0
    for row in rows:
        buffer.write(
            "\t".join(
                "\\N"
                if value is None
                else str(value).replace("\\", "\\\\").replace("\t", " ").replace("\n", " ")
                for value in row
            )
        )
        buffer.write("\n")
        count += 1
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)
    return count


def _next_ids(model, n: int) -> range:
    """Reserve n ids of a table's identity sequence (rows are COPYed with explicit ids)."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'id'), "
            "nextval(pg_get_serial_sequence(%s, 'id')) + %s)",
            [table, table, n],
        )
        last = cursor.fetchone()[0]
    return range(last - n + 1, last + 1)


def _uscc(i: int) -> str:
    body = f"{USCC_STEM}0400MA{i:07d}"[:17]
    return body + uscc_number.calc_check_digit(body)


class Command(BaseCommand):
    help = "Fill a benchmark database with city-scale data (refused on real data)."

    def add_arguments(self, parser):
        parser.add_argument("--orgs", type=int, default=10_000)
        parser.add_argument("--applications", type=int, default=100_000)
        parser.add_argument("--seed", type=int, default=2025)

    def handle(self, *args, orgs: int, applications: int, seed: int, **options) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("seed_scale needs PostgreSQL (it loads with COPY).")
        if orgs < 1 or applications < 0:
            raise CommandError("--orgs must be ≥1 and --applications ≥0.")
        self._refuse_real_data()
        started = time.perf_counter()
        rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
        with transaction.atomic():
            figures = self._load(rng, orgs, applications)
        with connection.cursor() as cursor:
            for model in (Organisation, Application, DuplicateFlag, Letter, PaymentLine):
                cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")
            cursor.execute("ANALYZE")  # every table: small ones too steer the plans
        self.stdout.write(
            f"seed_scale: orgs={orgs} applications={applications} "
            + " ".join(f"{k}={v}" for k, v in figures.items())
            + f" seconds={time.perf_counter() - started:.1f}"
        )

    def _refuse_real_data(self) -> None:
        demo_usccs = {org.uscc for org in DEMO_ORGS}
        real = {
            "applications": Application.objects.exclude(reference__startswith=PREFIX).count(),
            "letters": Letter.objects.exclude(verification_code__startswith=PREFIX).count(),
            "payment batches": PaymentBatch.objects.exclude(reference__startswith=PREFIX).count(),
            "organisations": Organisation.objects.exclude(uscc__startswith=USCC_STEM + "0400MA")
            .exclude(uscc__in=demo_usccs)
            .count(),
        }
        found = {k: v for k, v in real.items() if v}
        if found:
            raise CommandError(
                "Refused: this database holds real data ("
                + ", ".join(f"{v} {k}" for k, v in found.items())
                + "). seed_scale only fills an empty (or demo-only) benchmark database."
            )
        if Application.objects.exists():
            raise CommandError("Refused: seed_scale data is already loaded; use a fresh database.")

    def _staff(self, username: str, role: str, **scope) -> User:
        user, created = User.objects.get_or_create(
            username=username, defaults={"full_name": f"基准 {username}"}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        RoleAssignment.objects.get_or_create(user=user, role=role, **scope)
        return user

    def _load(self, rng: random.Random, n_orgs: int, n_apps: int) -> dict[str, int]:
        now = timezone.now()
        current = seed_policy_and_round()
        earlier, _ = Round.objects.get_or_create(
            policy=current.policy,
            name="2025年度奖励资金第零批申报（基准数据）",
            defaults={
                "opens_at": current.opens_at - timedelta(days=200),
                "closes_at": current.opens_at - timedelta(days=80),
            },
        )
        earlier.clauses.set(current.policy.clauses.all())
        rounds = [current, earlier]
        clauses = list(
            current.policy.clauses.filter(measure__monetary=True).select_related(
                "measure", "department"
            )
        )
        places = list(Place.objects.order_by("sort_order", "id"))
        applicant = User.objects.create_user("scale_applicant", full_name="基准申报员")

        # Organisations: bigger places hold more of them (a long tail, like a real city).
        weights = [1 / (k + 1) for k in range(len(places))]
        org_ids = _next_ids(Organisation, n_orgs)
        org_place = {}
        org_rows = []
        for k, pk in enumerate(org_ids):
            place = rng.choices(places, weights)[0]
            org_place[pk] = place
            name = f"咸阳{rng.choice(WORDS)}{rng.choice(TRADES)}{rng.choice(FORMS)}"
            if k % 3 == 0:
                name = f"{place.name}{rng.choice(WORDS)}{rng.choice(TRADES)}{rng.choice(FORMS)}"
            org_rows.append(
                (pk, name, _uscc(k), False, "", "enterprise", place.pk, rng.choice(TRADES),
                 "联系人", _sealed(Organisation, "contact_phone", f"029-3{k:07d}"), "", name,
                 "中国工商银行咸阳分行", _sealed(Organisation, "bank_account", f"6222{k:015d}"),
                 None, now, k % 5 != 0, k % 50 == 0, "")
            )  # fmt: skip
        _copy(
            Organisation._meta.db_table,
            ["id", "legal_name", "uscc", "uscc_check_overridden", "uscc_override_reason",
             "kind", "place_id", "industry", "contact_name", "contact_phone", "contact_email",
             "payee_name", "bank_name", "bank_account", "bank_account_updated_at", "created_at",
             "is_industrial", "is_local_drug_manufacturer", "scale"],
            org_rows,
        )  # fmt: skip

        statuses = list(STATUS_SHARES)
        status_weights = list(STATUS_SHARES.values())
        draft_share = max(0.0, 1 - sum(status_weights))
        app_ids = _next_ids(Application, n_apps)
        apps = []
        for i, pk in enumerate(app_ids):
            status = (
                Status.DRAFT
                if rng.random() < draft_share
                else rng.choices(statuses, status_weights)[0]
            )
            clause = rng.choice(clauses)
            organisation = rng.choice(org_ids)
            computed = Decimal(rng.randrange(10_000, 2_000_000, 500))
            waited = timedelta(minutes=rng.randrange(0, 150 * 24 * 60))
            apps.append(
                {
                    "id": pk,
                    "i": i,
                    "status": status,
                    "clause": clause,
                    "organisation": organisation,
                    "place": org_place[organisation].pk,
                    "round": rounds[0] if rng.random() < 0.7 else rounds[1],
                    "computed": computed,
                    "recommended": computed if status in RECOMMENDED else None,
                    "approved": computed if status in APPROVED else None,
                    "stage_entered_at": now - waited,
                    "submitted_at": None if status == Status.DRAFT else now - waited * 1.3,
                    "created_at": now - waited * 1.5 - timedelta(days=1),
                }
            )
        empty = json.dumps({})
        _copy(
            Application._meta.db_table,
            ["id", "reference", "organisation_id", "place_id", "round_id", "clause_id", "rule_version_id",
             "status", "returned_from", "revision", "facts", "evaluation", "computed_amount",
             "amount_kind", "tier", "award_group", "basis", "recommended_amount",
             "approved_amount", "amount_basis", "other_funding_declared", "other_funding_detail",
             "pledge_name", "pledged_at", "correction_requests", "exempt_source", "exempt_materials",
             "exempt_facts", "created_by_id", "created_at",
             "updated_at", "submitted_at", "stage_entered_at"],
            (
                (a["id"], f"{PREFIX}{a['i']:010d}", a["organisation"], a["place"], a["round"].pk,
                 a["clause"].pk, a["clause"].current_version_id, a["status"],
                 Status.COUNTY_REVIEW if a["status"] == Status.RETURNED else "", 1, empty, empty,
                 a["computed"], "ceiling", "", "", f"基准依据 {a['i']}", a["recommended"],
                 a["approved"], "", False, "", "" if a["status"] == Status.DRAFT else "法定代表人",
                 a["submitted_at"], empty, "", "[]", empty, applicant.pk, a["created_at"], a["stage_entered_at"],
                 a["submitted_at"], a["stage_entered_at"])
                for a in apps
            ),
        )  # fmt: skip

        auditor = self._staff("scale_auditor", Role.AUDITOR)
        # Possible-duplicate flags on 3 % of submitted cases: one to three each, some resolved.
        flag_rows = []
        for a in apps:
            if a["status"] == Status.DRAFT or rng.random() >= 0.03:
                continue
            for kind in rng.sample(FLAG_KINDS, rng.randint(1, 3)):
                resolved = rng.random() < 0.3
                flag_rows.append(
                    (a["id"], None, kind, "可能重复支持（基准数据）", a["stage_entered_at"],
                     auditor.pk if resolved else None, "已核实" if resolved else "",
                     now if resolved else None)
                )  # fmt: skip
        _copy(
            DuplicateFlag._meta.db_table,
            ["application_id", "other_id", "kind", "message", "created_at", "resolved_by_id",
             "resolution", "resolved_at"],
            flag_rows,
        )  # fmt: skip

        # Letters for every awarded case, numbered without gaps.
        awarded = [a for a in apps if a["status"] in AWARDED_STATUSES]
        year = now.year
        org_names = dict(
            Organisation.objects.filter(pk__in=org_ids).values_list("pk", "legal_name")
        )
        start = LetterSequence.objects.filter(prefix="咸工信奖", year=year).first()
        first = (start.last if start else 0) + 1
        for k, a in enumerate(awarded):
            a["letter"] = f"咸工信奖〔{year}〕{first + k}号"
        _copy(
            Letter._meta.db_table,
            ["application_id", "prefix", "year", "sequence", "number", "verification_code",
             "amount", "issued_on", "state", "superseded_by_id", "organisation_name",
             "measure_title", "clause_title", "pdf", "created_at"],
            (
                (a["id"], "咸工信奖", year, first + k, a["letter"],
                 f"{PREFIX}{a['i']:010d}L", a["approved"], (now - timedelta(days=3)).date(),
                 Letter.State.CURRENT, None, org_names[a["organisation"]],
                 a["clause"].measure.title, a["clause"].title, "letters/scale-not-rendered.pdf",
                 now)
                for k, a in enumerate(awarded)
            ),
        )  # fmt: skip
        LetterSequence.objects.update_or_create(
            prefix="咸工信奖", year=year, defaults={"last": first + len(awarded) - 1}
        )

        # Payment batches of 2,000 lines: paid and failed ones locked, pending ones in draft.
        finance = self._staff("scale_finance", Role.FINANCE)
        line_rows = []
        batches = []
        for status, (line_state, batch_state) in IN_BATCH.items():
            chosen = [a for a in apps if a["status"] == status]
            for b in range(0, len(chosen), 2000):
                chunk = chosen[b : b + 2000]
                locked = batch_state == BatchState.LOCKED
                batch = PaymentBatch(
                    reference=f"{PREFIX}PB{len(batches) + 1:05d}",
                    state=batch_state,
                    created_by=finance,
                    locked_by=finance if locked else None,
                    locked_at=now if locked else None,
                    line_count=len(chunk),
                    total_amount=sum((a["approved"] for a in chunk), Decimal("0.00")),
                    note="基准数据",
                )
                batches.append((batch, chunk, line_state))
        PaymentBatch.objects.bulk_create([b for b, _c, _s in batches])
        for batch, chunk, line_state in batches:
            for number, a in enumerate(chunk, start=1):
                clause = a["clause"]
                k = a["organisation"] - org_ids.start
                line_rows.append(
                    (batch.pk, a["id"], number, f"{batch.reference}-{number:05d}", line_state,
                     a["approved"], org_names[a["organisation"]], _uscc(k), "中国工商银行咸阳分行",
                     _sealed(PaymentLine, "bank_account", f"6222{k:015d}"), a["letter"], f"{PREFIX}{a['i']:010d}",
                     clause.measure.number, clause.measure.title, clause.department.name,
                     org_place[a["organisation"]].name, a["round"].name, False, None, None,
                     "拨付失败（基准数据）" if line_state == LineState.FAILED else "",
                     finance.pk, now, now)
                )  # fmt: skip
        _copy(
            PaymentLine._meta.db_table,
            ["batch_id", "application_id", "number", "reference", "state", "amount",
             "payee_name", "uscc", "bank_name", "bank_account", "letter_number",
             "application_reference", "measure_number", "measure_title", "department_name",
             "county_name", "round_name", "bank_changed", "bank_confirmed_by_id",
             "bank_confirmed_at", "reason", "state_changed_by_id", "state_changed_at",
             "created_at"],
            line_rows,
        )  # fmt: skip

        # Budgets: committed = approved amounts of approved-in-principle and later cases.
        committed = Counter()
        for a in apps:
            if a["status"] in APPROVED:
                committed[(a["round"].pk, a["clause"].measure_id)] += a["approved"]
        for (round_id, measure_id), amount in committed.items():
            budget = max(Decimal("5000000.00"), (amount * Decimal("1.25")).quantize(Decimal("1")))
            RoundBudget.objects.update_or_create(
                round_id=round_id,
                measure_id=measure_id,
                defaults={"amount": budget, "committed": amount},
            )

        # Bench accounts scoped to the busiest place and department.
        busiest_place = Counter(org_place[a["organisation"]].pk for a in apps).most_common(1)
        busiest_dept = Counter(a["clause"].department_id for a in apps).most_common(1)
        self._staff(
            "scale_county",
            Role.COUNTY_REVIEWER,
            place_id=busiest_place[0][0] if busiest_place else places[0].pk,
        )
        self._staff(
            "scale_dept",
            Role.DEPARTMENT_REVIEWER,
            department_id=busiest_dept[0][0] if busiest_dept else clauses[0].department_id,
        )
        self._staff("scale_approver", Role.APPROVER)
        cells = summaries_refresh()
        return {
            "flags": len(flag_rows),
            "letters": len(awarded),
            "payment_lines": len(line_rows),
            "batches": len(batches),
            "summary_cells": cells,
        }
