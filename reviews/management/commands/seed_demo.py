"""Demo data for a local portal: idempotent, safe to run on every start."""

from django.core.management.base import BaseCommand

from accounts.demo import DEMO_PASSWORD, seed_accounts
from measures.demo import seed_policy_and_round
from reviews.demo import seed_applications


class Command(BaseCommand):
    help = "Create demo accounts (one per role), organisations, the 2025 policy and an open round."

    def handle(self, *args, **options) -> None:
        accounts = seed_accounts()
        round_ = seed_policy_and_round()
        self.stdout.write(f"申报批次 / open round: {round_.name}")
        seed_applications()
        self.stdout.write(self.style.SUCCESS("演示数据已就绪 / demo data ready"))
        self.stdout.write(f"所有演示账户的密码 / password for every demo account: {DEMO_PASSWORD}")
        for username, label in accounts:
            self.stdout.write(f"  {username:<16} {label}")
