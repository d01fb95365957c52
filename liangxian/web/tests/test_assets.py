"""`liangxian assets` copies the npm and htmx files into node_modules_static/vendor/."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from liangxian.web.management.commands.assets import asset_sources


def test_assets_copies_echarts_and_htmx_into_vendor(tmp_path: Path) -> None:
    # given an npm install with echarts
    echarts = tmp_path / "node_modules" / "echarts" / "dist" / "echarts.min.js"
    echarts.parent.mkdir(parents=True)
    echarts.write_text("/* echarts */")
    # when the assets are copied
    call_command("assets", base_dir=tmp_path)
    # then both are served from vendor/, htmx from django-htmx's own copy
    vendor = tmp_path / "node_modules_static" / "vendor"
    assert (vendor / "echarts.min.js").read_text() == "/* echarts */"
    assert (vendor / "htmx.min.js").read_bytes() == asset_sources(tmp_path)["htmx.min.js"].read_bytes()
    assert "django_htmx" in str(asset_sources(tmp_path)["htmx.min.js"])


def test_assets_without_npm_install_says_to_run_npm(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="npm ci"):
        call_command("assets", base_dir=tmp_path)

    assert not (tmp_path / "node_modules_static").exists()
