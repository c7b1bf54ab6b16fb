"""`followthrough import FILE --business SLUG [--kind customers|sales] [--playbook SLUG]`.

Reads a CSV or XLSX file, recognises its layout, and imports the valid rows with a progress
bar; rows with problems are listed (row, column, reason) at the end. Running it again with
the same file creates nothing new."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table as RichTable

from followthrough.integrations.formats import FORMAT_LABELS, auto_mapping, detect
from followthrough.integrations.imports import ImportFileError, import_table, read_table
from followthrough.integrations.models import ImportJob
from followthrough.playbooks.models import Playbook
from followthrough.tenants.models import Business


class Command(BaseCommand):
    help = "Import customers or sales from a CSV or XLSX file."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--business", required=True, metavar="SLUG")
        parser.add_argument("--kind", choices=[ImportJob.CUSTOMERS, ImportJob.SALES],
                            default=ImportJob.CUSTOMERS)
        parser.add_argument("--playbook", metavar="SLUG",
                            help="The playbook sales follow (sales only; a playbook column "
                                 "wins). Defaults to service-job when it exists.")

    def handle(self, *args, file, business, kind, playbook, **options):
        console = Console(file=self.stdout, stderr=False)
        found = Business.objects.filter(slug=business).first()
        if found is None:
            raise CommandError(f"No business with the slug {business!r}.")
        book = None
        if kind == ImportJob.SALES:
            slug = playbook or "service-job"
            book = Playbook.objects.filter(business=found, slug=slug).first()
            if book is None and playbook:
                raise CommandError(f"No playbook with the slug {playbook!r}.")
        path = Path(file)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}") from None
        try:
            table = read_table(data, path.name)
        except ImportFileError as exc:
            raise CommandError(exc.message) from None
        layout = detect(table.headers)
        mapping = auto_mapping(table.headers, kind, layout)
        console.print(f"{path.name}: {FORMAT_LABELS[layout]}, {len(table.rows)} rows")
        for target, header in mapping.items():
            console.print(f"  {header} → {target}", highlight=False)
        columns = (TextColumn("Importing"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn())
        with Progress(*columns, console=console, transient=False) as bar:
            task = bar.add_task("import", total=len(table.rows))
            result = import_table(found, table, mapping, kind, book,
                                  source=f"import of {path.name}",
                                  progress=lambda done, _r: bar.update(task, completed=done))
        summary = (f"Done: {result.created} customers added, {result.updated} updated, "
                   f"{result.unchanged} unchanged")
        if kind == ImportJob.SALES:
            summary += f", {result.engagements} sales added"
        console.print(summary + f", {result.left_out} rows left out, "
                      f"{result.kept_with_problems} imported without a value.", highlight=False,
                      soft_wrap=True)
        if result.errors:
            problems = RichTable("Row", "Column", "Problem", "What we did")
            for error in result.errors[:50]:
                problems.add_row(str(error.row), error.column, error.reason,
                                 "imported without it" if error.kept else "row left out")
            console.print(problems)
            if len(result.errors) > 50:
                console.print(f"…and {len(result.errors) - 50} more.")
