"""GOV.UK Frontend's compiled files (from npm), served by the app itself: nothing from a CDN.

The stylesheet refers to its fonts and images at ``/assets``, so that folder is served
there; the stylesheet and script are served at ``/static``. Their URLs carry a
fingerprint of the file's content, so browsers may keep them for a year and still pick
up a new version of govuk-frontend at once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from starlette.staticfiles import StaticFiles

from contactpoint.settings import SettingsError

if TYPE_CHECKING:
    from fastapi import FastAPI

    from contactpoint.settings import Settings

ASSETS_PATH: Final = "/assets"
STATIC_PATH: Final = "/static"
SCRIPTS_PATH: Final = "/scripts"  # our own scripts, served by the app (CSP: script-src 'self')
_SCRIPTS_DIR: Final = Path(__file__).resolve().parent / "scripts"
STYLESHEET: Final = "govuk-frontend.min.css"
SCRIPT: Final = "govuk-frontend.min.js"

_PROJECT_ROOT: Final = Path(__file__).resolve().parents[3]
_NPM_ASSETS_DIR: Final = _PROJECT_ROOT / "node_modules" / "govuk-frontend" / "dist" / "govuk"


class MissingAssetsError(SettingsError):
    """GOV.UK Frontend's files are not where the settings say they are."""


@dataclass(frozen=True)
class FrontendAssets:
    directory: Path
    stylesheet_url: str
    script_url: str


def locate_assets(settings: Settings) -> FrontendAssets:
    """GOV.UK Frontend's files, checked to be complete, with fingerprinted URLs."""
    directory = settings.assets_dir or _NPM_ASSETS_DIR
    missing = [name for name in (STYLESHEET, SCRIPT, "assets") if not (directory / name).exists()]
    if missing:
        raise MissingAssetsError(
            f"GOV.UK Frontend's files are missing from {directory} ({', '.join(missing)}). "
            "Run `make assets` (or `npm ci` in the project root) to install them, "
            "or set CONTACTPOINT_ASSETS_DIR to a folder holding govuk-frontend's dist/govuk."
        )
    return FrontendAssets(
        directory=directory,
        stylesheet_url=_fingerprinted_url(directory / STYLESHEET),
        script_url=_fingerprinted_url(directory / SCRIPT),
    )


def mount_assets(app: FastAPI, assets: FrontendAssets) -> None:
    app.mount(ASSETS_PATH, StaticFiles(directory=assets.directory / "assets"), name="assets")
    app.mount(STATIC_PATH, StaticFiles(directory=assets.directory), name="static")
    app.mount(SCRIPTS_PATH, StaticFiles(directory=_SCRIPTS_DIR), name="scripts")


def is_asset_path(path: str) -> bool:
    return path.startswith((f"{ASSETS_PATH}/", f"{STATIC_PATH}/"))


def _fingerprinted_url(file: Path) -> str:
    digest = hashlib.sha256(file.read_bytes()).hexdigest()[:12]
    return f"{STATIC_PATH}/{file.name}?v={digest}"
