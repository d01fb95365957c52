"""The ``liangxian`` console command: every Django management command, the project's own included."""

import os
import sys


def main() -> None:
    """Run a management command with the project's settings; ``demo-data`` names ``demo_data``."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    from django.core.management import execute_from_command_line

    args = sys.argv[1:]
    if args and not args[0].startswith("-"):
        args[0] = args[0].replace("-", "_")
    execute_from_command_line(["liangxian", *args])


if __name__ == "__main__":
    main()
