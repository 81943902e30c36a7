"""Demo data for a local portal: idempotent, safe to run on every start."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.demo import DEMO_PASSWORD, seed_accounts
from core.site import observe_site_url
from measures.demo import DEMO_NOTICE_WORKING_DAYS, seed_policy_and_round
from reviews.demo import seed_applications


class Command(BaseCommand):
    help = "Create demo accounts (one per role), organisations, the 2025 policy and an open round."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--url",
            default="http://127.0.0.1:8000",
            help="the portal's address: the banner's, and the demo letters' (unless SITE_URL)",
        )
        parser.add_argument("--quiet", action="store_true", help="no banner")

    def handle(self, *args, **options) -> None:
        # Demo accounts have a published password and TOTP keys derived from their names:
        # never on a production deployment (it would give existing staff the demo roles).
        if not settings.DEMO_SEED_ALLOWED:
            raise CommandError("seed_demo refuses to run with the production settings.")
        # The demo's letter is made now, before any request shows the host: its QR code and
        # link must point where the portal runs (PORT=8331 too), not to the default port.
        observe_site_url(options["url"])
        accounts = seed_accounts()
        round_ = seed_policy_and_round(notice_working_days=DEMO_NOTICE_WORKING_DAYS)
        seed_applications()
        if options["quiet"]:
            return
        self.stdout.write(banner(url=options["url"], accounts=accounts, round_name=round_.name))


def banner(*, url: str, accounts, round_name: str) -> str:
    """The one block a newcomer reads: where to go, who to be, where the emails land."""
    if settings.EMAIL_BACKEND.endswith("filebased.EmailBackend"):
        emails = f"written as files to {settings.EMAIL_FILE_PATH}"
    elif settings.EMAIL_BACKEND.endswith("console.EmailBackend"):
        emails = "printed on this console"
    else:
        emails = f"sent by {settings.EMAIL_BACKEND}"
    line = "=" * 72
    rows = [
        line,
        f"  咸阳市惠企政策申报平台 / Xianyang subsidy portal:  {url}",
        line,
        f"  申报批次 / open round: {round_name}",
        "  （演示批次公示期为0个工作日：公示在下一次定时任务时结束 / the demo notice ends"
        " at the next periodic run）",
        f"  演示账户密码 / password for every demo account: {DEMO_PASSWORD}",
        "  工作人员另需动态验证码：把 TOTP 密钥（base32）加入身份验证器App / staff also need"
        " the current code of their TOTP secret (base32, fixed demo secrets):",
    ]
    rows += [f"    {username:<16} {label}" for username, label in accounts]
    rows += [
        f"  邮件 / emails: {emails}",
        "  消息中心 / in-portal messages: the bell in the navigation bar",
        "  Ctrl+C stops the server.",
        line,
    ]
    return "\n".join(rows)
