"""The ``liangxian`` console command: every Django management command, the project's own included."""

import os
import sys


def main() -> None:
    """Run a management command with the project's settings."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["liangxian", *sys.argv[1:]])


if __name__ == "__main__":
    main()
