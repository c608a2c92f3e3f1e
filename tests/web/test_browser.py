"""The dashboard in a real browser (Debian's chromium, driven by Playwright) against
a real `bridge demo` with an API token: login, the roadmap and its numbers against
the API's, an item's tickets and scope, "sync now", and a screenshot of each page
(build/screenshots/)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests.test_demo import free_port

CHROMIUM = "/usr/bin/chromium"
TOKEN = "browser-test-token"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"


class Demo:
    def __init__(self, url: str) -> None:
        self.url = url
        self.api = httpx.Client(
            base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30
        )

    def get(self, path: str, **params: Any) -> Any:
        response = self.api.get(path, params=params)
        response.raise_for_status()
        return response.json()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    port, sim_port = free_port(), free_port()
    database = tmp_path_factory.mktemp("browser") / "demo.db"
    env = os.environ | {
        "BRIDGE_DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "BRIDGE_API_TOKENS": TOKEN,
        "BRIDGE_SCHEDULER": "off",  # only the test's own "sync now" starts runs
    }
    env.pop("BRIDGE_SECRET_KEY", None)
    command = [sys.executable, "-m", "app.cli", "demo", "--port", str(port),
               "--sim-port", str(sim_port)]  # fmt: skip
    with subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as process:
        try:
            _wait_until_ready(process)
            demo = Demo(f"http://127.0.0.1:{port}")
            yield demo
            demo.api.close()
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=30)


def _wait_until_ready(process: subprocess.Popen[str]) -> None:
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(line)
        if "Ctrl-C stops the demo" in line:
            return
    raise AssertionError("the demo stopped before it was ready:\n" + "".join(lines))


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        # --no-sandbox: CI runs as root, where chromium's sandbox cannot start.
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def signed_in(browser: Browser, demo: Demo) -> Iterator[BrowserContext]:
    context = browser.new_context(base_url=demo.url, viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.goto("/login")
    page.fill("input[name=token]", TOKEN)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Roadmap")
    page.close()
    yield context
    context.close()


@pytest.fixture
def page(signed_in: BrowserContext) -> Iterator[Page]:
    opened = signed_in.new_page()
    yield opened
    opened.close()


def shoot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_pages_ask_for_the_token_and_refuse_a_wrong_one(browser: Browser, demo: Demo) -> None:
    context = browser.new_context(base_url=demo.url)
    page = context.new_page()
    page.goto("/teams")
    assert page.url == f"{demo.url}/login?next=%2Fteams"
    page.fill("input[name=token]", "not-the-token")
    page.click("button[type=submit]")
    expect(page.locator(".error")).to_have_text("That token is not valid.")
    shoot(page, "login")
    page.fill("input[name=token]", TOKEN)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Teams")
    assert page.url == f"{demo.url}/teams"
    [cookie] = context.cookies()
    assert (cookie["httpOnly"], cookie["sameSite"]) == (True, "Strict")
    assert TOKEN not in cookie["value"]
    context.close()


def test_the_roadmap_shows_every_item_with_the_api_s_progress(page: Page, demo: Demo) -> None:
    api = demo.get("/api/v1/roadmap")["items"]
    assert api, "the demo organisation has roadmap items"
    page.goto("/")
    rows = page.locator("tr.roadmap-item")
    expect(rows).to_have_count(len(api))
    expect(page.get_by_test_id("roadmap-count")).to_have_text(
        f"{len(api)} of {len(api)} roadmap items"
    )
    shown = {
        row.get_attribute("data-id"): row.locator(".progress-value").get_attribute("data-progress")
        for row in rows.all()
    }
    assert shown == {entry["item"]["id"]: str(entry["rollup"]["progress"]) for entry in api}
    shoot(page, "roadmap")


def test_filters_narrow_the_roadmap(page: Page, demo: Demo) -> None:
    api = demo.get("/api/v1/roadmap")["items"]
    jira = [entry for entry in api if entry["item"]["source"] == "jira"]
    page.goto("/")
    page.select_option("select[name=source]", "jira")  # submits the form on change
    page.wait_for_url(re.compile(r"source=jira"))
    expect(page.locator("tr.roadmap-item")).to_have_count(len(jira))


def test_clicking_a_roadmap_item_shows_its_tickets_and_scope(page: Page, demo: Demo) -> None:
    api = demo.get("/api/v1/roadmap")["items"]
    busiest = max(api, key=lambda entry: entry["rollup"]["tickets_total"])
    item = busiest["item"]
    tickets = demo.get("/api/v1/items", roadmap_item=item["id"], kind="ticket", limit=500)
    page.goto("/")
    page.locator(f'tr.roadmap-item[data-id="{item["id"]}"] td.title a').click()
    page.wait_for_url(f"**/roadmap/{item['id']}")
    expect(page.locator("h1")).to_have_text(item["title"])
    expect(page.locator("tr.ticket")).to_have_count(len(tickets["items"]))
    keys = {t["key"] for t in tickets["items"]}
    assert set(page.locator("tr.ticket td.ticket-key").all_inner_texts()) == keys
    progress = page.locator(".card .progress-value").get_attribute("data-progress")
    assert progress == str(busiest["rollup"]["progress"])
    expect(page.get_by_role("heading", name="Baseline and scope changes")).to_be_visible()
    if busiest["rollup"]["scope"]["baseline_at"] is None:
        expect(page.get_by_test_id("no-baseline")).to_be_visible()
    else:
        expect(page.get_by_test_id("baseline")).to_contain_text(
            f"{busiest['rollup']['scope']['baseline_tickets']} tickets"
        )
    changes = demo.get("/api/v1/scope-changes", roadmap_item=item["id"], limit=500)["changes"]
    expect(page.locator("li.scope-change")).to_have_count(len(changes))
    if changes:
        newest = changes[0]
        first = page.locator("li.scope-change").first
        expect(first.locator(".change-type")).to_have_text(newest["type"].replace("_", " "))
    expect(page.locator("svg.burnup polyline")).to_have_count(2)
    shoot(page, "roadmap-item")


def test_sync_now_starts_a_run_that_shows_in_connections(page: Page, demo: Demo) -> None:
    before = {run["id"] for run in demo.get("/api/v1/sync-runs")["runs"]}
    page.goto("/connections")
    page.locator('tr.connection[data-name="demo-jira"] button.sync-now').click()
    page.wait_for_url(re.compile(r"/connections\?started="))
    run_id = page.url.split("started=")[1]
    assert run_id not in before
    expect(page.get_by_role("status")).to_contain_text(run_id)
    expect(page.locator(f'tr.run[data-id="{run_id}"]')).to_have_count(1)
    for _ in range(60):  # the run goes on in the background; reload until it is done
        if demo.get("/api/v1/sync-runs", connection="demo-jira")["runs"][0]["status"] != "running":
            break
        page.wait_for_timeout(500)
    page.reload()
    [run] = [r for r in demo.get("/api/v1/sync-runs")["runs"] if r["id"] == run_id]
    assert run["status"] == "succeeded", run
    expect(page.locator(f'tr.run.succeeded[data-id="{run_id}"]')).to_have_count(1)
    shoot(page, "connections")


@pytest.mark.parametrize(
    ("path", "heading", "rows"),
    [("/teams", "Teams", "tr.team"), ("/people", "People", "tr.person"),
     ("/changes?since=2000-01-01", "Changes since", "tr.change")],
)  # fmt: skip
def test_teams_people_and_changes(page: Page, path: str, heading: str, rows: str) -> None:
    page.goto(path)
    expect(page.locator("h1")).to_contain_text(heading)
    assert page.locator(rows).count() > 0
    shoot(page, path.strip("/").split("?")[0])
