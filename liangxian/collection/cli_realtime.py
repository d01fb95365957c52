from typing import Any


def add_parsers(sub: Any) -> None:
    """Add this area's subcommands to `liangxian collection`."""
