"""Copy the browser assets installed by npm (and htmx) into node_modules_static/vendor/ for the static files."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import django_htmx
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser


def asset_sources(base_dir: Path) -> dict[str, Path]:
    """Name each vendor file and where it comes from: npm's node_modules or django-htmx's own copy."""
    node_modules = base_dir / "node_modules"
    # django-htmx ships htmx itself; npm's htmx.org is only the fallback for a django-htmx without it.
    bundled_htmx = Path(django_htmx.__file__).parent / "static" / "django_htmx" / "htmx-2.min.js"
    htmx = bundled_htmx if bundled_htmx.exists() else node_modules / "htmx.org" / "dist" / "htmx.min.js"
    return {
        "echarts.min.js": node_modules / "echarts" / "dist" / "echarts.min.js",
        "htmx.min.js": htmx,
    }


class Command(BaseCommand):
    help = "Copy echarts (from npm's node_modules) and htmx into node_modules_static/vendor/ (run `npm ci` first)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--base-dir", type=Path, default=None, help="Project directory holding node_modules (default: BASE_DIR)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        base_dir: Path = options["base_dir"] or Path(settings.BASE_DIR)
        sources = asset_sources(base_dir)
        missing = [str(path) for path in sources.values() if not path.exists()]
        if missing:
            raise CommandError(f"Missing {', '.join(missing)}: run `npm ci` in {base_dir} first.")
        target = base_dir / "node_modules_static" / "vendor"
        target.mkdir(parents=True, exist_ok=True)
        for name, source in sources.items():
            shutil.copyfile(source, target / name)
            self.stdout.write(f"{source} -> {target / name}")
