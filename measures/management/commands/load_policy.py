"""python manage.py load_policy measures/catalogue/xianyang-2025.yaml"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from measures.rules.catalogue import CatalogueError, parse_catalogue
from measures.services import policy_load_catalogue

DEFAULT_CATALOGUE = Path(__file__).resolve().parents[2] / "catalogue" / "xianyang-2025.yaml"


class Command(BaseCommand):
    help = "Load (or reload) a policy catalogue file; idempotent, refuses invalid files."

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", nargs="?", default=str(DEFAULT_CATALOGUE))

    def handle(self, *args, path: str, **options) -> None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"无法读取目录文件 {path}：{exc}") from exc
        try:
            catalogue = parse_catalogue(text)
        except CatalogueError as exc:
            raise CommandError("目录文件无效：\n" + "\n".join(exc.errors)) from exc
        report = policy_load_catalogue(catalogue=catalogue, source_text=text)
        self.stdout.write(
            f"{report.policy.document_number}: {report.measures} measures, "
            f"{report.clauses_created} clauses created, {report.versions_created} rule versions "
            f"created, {report.versions_updated_in_place} updated in place, "
            f"{report.unchanged} unchanged"
        )
