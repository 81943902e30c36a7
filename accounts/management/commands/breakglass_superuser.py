"""Emergency superuser (break-glass): the only way to one, recorded in the audit log."""

import getpass

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.services import breakglass_superuser_create
from core.errors import DomainError


class Command(BaseCommand):
    help = "Create or promote an emergency superuser; the reason is written to the audit log."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--reason", required=True, help="why (recorded in the audit log)")
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--password", help="taken from a prompt when omitted (avoid shell history)"
        )

    def handle(self, *args, **options) -> None:
        password = options["password"] or getpass.getpass("Password: ")
        try:
            user = breakglass_superuser_create(
                username=options["username"],
                email=options["email"],
                password=password,
                reason=options["reason"],
            )
        except (ValidationError, DomainError) as exc:
            raise CommandError("; ".join(getattr(exc, "messages", [str(exc)]))) from exc
        self.stdout.write(
            self.style.WARNING(
                f"紧急超级用户 {user.username} 已创建并记入审计日志 / break-glass superuser "
                "created and audited; remove it when the emergency is over."
            )
        )
