"""A child found by a field team, a family at a help desk, a caseworker reunites them.

Headless Chromium drives the real pages. The match appears in the queue because the
service's own matching ran when the forms were submitted; the test never inserts it.
Screenshots go to the test's folder, and to docs/screenshots when FTR_SCREENSHOTS is
set (the README shows them).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from flask import Flask
from flask.testing import FlaskCliRunner
from playwright.sync_api import Page, expect

from tracing.accounts import services as accounts
from tracing.cli import cli
from tracing.db import get_session

from ..conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "data" / "samples"
AGENCY = "Demo Agency"


def shoot(page: Page, folder: Path, name: str, *, full_page: bool = True) -> None:
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    if os.environ.get("FTR_SCREENSHOTS"):
        target = ROOT / "docs" / "screenshots"
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target / path.name)


def sign_in(page: Page, base: str, role: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(f"{role}@demo.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_register_file_match_confirm_reunify_close(
    app: Flask, runner: FlaskCliRunner, live_server: str, page: Page, tmp_path: Path
) -> None:
    # A store with the sample caseload, matched once so that the engine is fitted.
    for kind in ("children", "requests"):
        result = runner.invoke(cli, ["import", kind, str(SAMPLES / f"{kind}.csv"), "--no-match"])
        assert result.exit_code == 0, result.output
    assert runner.invoke(cli, ["match"]).exit_code == 0
    with app.app_context():
        for role in ("registrar", "helpdesk", "caseworker", "supervisor"):
            accounts.create_user(get_session(), f"{role}@demo.example", role, AGENCY, PASSWORD)

    # The field team registers a boy found near Izium.
    sign_in(page, live_server, "registrar")
    shoot(page, tmp_path, "registrar-dashboard")
    page.locator("header nav").get_by_role("link", name="Register a child").click()
    form = page.locator("#child-form")
    form.get_by_label("Given name").fill("Oleksandr")
    form.get_by_label("Family name").fill("Hrytsenko")
    form.get_by_label("Other names, nicknames").fill("Sasha")
    form.get_by_label("Sex").select_option("male")
    form.get_by_label("Age (years)").fill("9")
    form.get_by_label("Separation date").fill("2026-09-14")
    form.get_by_label("Separation place (name)").fill("Izium bus station")
    form.get_by_label("Separation latitude").fill("49.2103")
    form.get_by_label("Separation longitude").fill("37.2537")
    form.get_by_label("Mother's name").fill("Nataliia Hrytsenko")
    form.get_by_label("Father's name").fill("Petro Hrytsenko")
    form.get_by_label("Current location (place)").fill("Kharkiv reception centre")
    shoot(page, tmp_path, "registrar-register-child")
    page.get_by_role("button", name="Register the child").click()
    expect(page.locator("h1")).to_contain_text("Oleksandr Hrytsenko")
    shoot(page, tmp_path, "registrar-case-page")
    sign_out(page)

    # His mother asks at a help desk; the worker writes the Russian spelling.
    sign_in(page, live_server, "helpdesk")
    page.locator("header nav").get_by_role("link", name="File an inquiry").click()
    form = page.locator("#inquiry-form")
    form.get_by_label("Inquirer's name").fill("Natalia Gritsenko")
    form.get_by_label("Relationship to the children").fill("mother")
    child = page.locator("#sought-1")
    child.get_by_label("Given name").fill("Aleksandr")
    child.get_by_label("Family name").fill("Gritsenko")
    child.get_by_label("Sex").select_option("male")
    child.get_by_label("Age (years)").fill("10")
    child.get_by_label("Separation place (name)").fill("Izium")
    child.get_by_label("Separation latitude").fill("49.2070")
    child.get_by_label("Separation longitude").fill("37.2610")
    child.get_by_label("Mother's name").fill("Natalia Gritsenko")
    shoot(page, tmp_path, "helpdesk-file-inquiry")
    page.get_by_role("button", name="File the inquiry").click()
    expect(page.locator("h1")).to_contain_text("Inquiry")
    shoot(page, tmp_path, "helpdesk-inquiry-page")
    sign_out(page)

    # The caseworker covers Izium: the queue, filtered to that area, shows the proposal.
    sign_in(page, live_server, "caseworker")
    page.locator("header nav").get_by_role("link", name="Review queue").click()
    page.locator("#queue-filter").get_by_label("Area").fill("Izium")
    page.locator("#queue-filter").get_by_role("button", name="Filter").click()
    row = page.locator(".queue-row", has_text="Oleksandr Hrytsenko").filter(has_text="Aleksandr")
    expect(row).to_have_count(1)
    shoot(page, tmp_path, "caseworker-review-queue", full_page=False)
    row.get_by_role("link", name="Compare").click()
    expect(page.locator("#evidence")).to_be_visible()
    shoot(page, tmp_path, "caseworker-compare")
    page.get_by_role("button", name="Confirm: same child").click()
    expect(page.locator("#match-status")).to_have_text("confirmed")
    page.locator("#reunify-form").get_by_label("Place").fill("Kharkiv reception centre")
    page.locator("#reunify-form").get_by_label("Reunified by").fill("Demo Agency tracing team")
    page.get_by_role("button", name="Record reunification").click()
    expect(page.locator("#match-status")).to_have_text("reunified")
    page.locator("#close-form").get_by_label("Reason for closing").fill("reunified with mother")
    page.get_by_role("button", name="Close the case").click()
    expect(page.locator(".flash-success")).to_contain_text("closed")
    shoot(page, tmp_path, "caseworker-reunified-closed")

    # The supervisor sees the reunification in the agency's figures and the audit trail.
    sign_out(page)
    sign_in(page, live_server, "supervisor")
    page.locator("header nav").get_by_role("link", name="Supervision").click()
    expect(page.locator("#time-to-reunification")).to_contain_text("1 child reunified")
    shoot(page, tmp_path, "supervisor-overview")
    page.get_by_role("link", name="Audit trail").click()
    expect(page.locator("#audit")).to_contain_text("confirm_match")
    shoot(page, tmp_path, "supervisor-audit", full_page=False)
