"""The web page in real headless Chromium (Debian's, driven by Playwright).

Screenshots of the article page are saved to ``artifacts/screenshots/``
(or ``$EVIDEX_ARTIFACTS``) for people to look at.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import httpx
import pytest

from tests.conftest import HOSTILE_QUESTION, started_server

SEED = (
    "What are the most evidence-backed exercises for a herniated disc with sciatica, "
    "in a patient with recent spinal surgery or neurological deficits?"
)
ARTIFACTS = Path(os.environ.get("EVIDEX_ARTIFACTS", Path(__file__).resolve().parent.parent / "artifacts")) / "screenshots"
AXE = Path(__file__).resolve().parent / "browser" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]


@pytest.fixture(scope="module")
def chromium_path() -> str:
    path = shutil.which("chromium")
    if path is None:
        if os.environ.get("EVIDEX_SKIP_BROWSER") == "1":
            pytest.skip("EVIDEX_SKIP_BROWSER=1 and Debian chromium is not installed")
        pytest.fail("Debian chromium is not installed: run scripts/install_chromium.sh (make test does)")
    return path


@pytest.fixture(scope="module")
def server(service_data_dir):
    server = started_server(service_data_dir, {"rita": "reviewer", "sam": "reviewer"})
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    # The page's Content-Security-Policy forbids every script; the accessibility check injects one.
    context = browser.new_context(viewport={"width": 1100, "height": 900}, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def accessibility_problems(page) -> list[str]:
    """Serious and critical WCAG 2 A/AA violations found by axe-core on the current page."""
    if not AXE.is_file():
        pytest.fail("axe-core is not installed: run `npm ci --prefix tests/browser` (make test does)")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run(document, {runOnly: ['wcag2a', 'wcag2aa']})")
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])} elements, e.g. {v['nodes'][0]['html'][:120]})"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def sign_in(page, server, name: str) -> None:
    page.goto(f"{server.url}/login")
    page.get_by_label("Username").fill(name)
    page.get_by_label("Password").fill(server.passwords[name])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/$"))


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/$"))


def ask(page, server, question: str, audience: str = "Healthcare professional") -> None:
    page.goto(server.url)
    page.get_by_label("Your question").fill(question)
    page.get_by_label(audience).check()
    page.get_by_role("button", name="Ask", exact=True).click()
    page.wait_for_url(re.compile(r"/articles/"))


def test_ask_read_switch_language_quote_and_follow_up(page, server):
    ask(page, server, SEED)
    assert page.get_by_role("heading", level=1).inner_text() == SEED
    assert page.get_by_test_id("review-status").inner_text() == "Submitted"
    assert page.get_by_text("Educational purpose only").is_visible()
    assert page.get_by_text("Last updated").is_visible()
    citations = page.locator("a.cite")
    assert citations.count() >= 3
    references = page.locator("section.references li")
    assert references.count() >= 1 and page.locator("section.references .badge").first.is_visible()
    screenshot(page, "article-clinician")
    assert accessibility_problems(page) == []

    # Focusing a citation (keyboard users) shows the quote it rests on.
    first = citations.first
    tooltip = page.locator(f"#{first.get_attribute('aria-describedby')}")
    assert not tooltip.is_visible()
    first.focus()
    assert tooltip.is_visible()
    assert first.get_attribute("data-quote") in tooltip.inner_text()
    box = tooltip.bounding_box()
    assert 0 <= box["x"] and box["x"] + box["width"] <= page.viewport_size["width"]  # all of it on screen
    screenshot(page, "article-citation-quote")
    page.mouse.move(0, 0)
    page.locator("body").click(position={"x": 5, "y": 5})

    # The same article in patient language, with the same kind of citations.
    page.get_by_role("link", name="Patient or carer").click()
    page.wait_for_url(re.compile(r"audience=patient"))
    assert page.get_by_role("heading", level=1).inner_text() == SEED
    assert page.get_by_role("heading", name="When to get help").is_visible()
    assert page.locator("a.cite").count() >= 1
    assert page.get_by_role("link", name="Patient or carer").get_attribute("aria-current") == "page"
    screenshot(page, "article-patient")

    # A follow-up keeps the condition of the question it follows.
    page.get_by_label(re.compile("^Follow-up")).fill("What about physiotherapy?")
    page.get_by_role("button", name="Ask follow-up").click()
    page.wait_for_url(re.compile(r"/articles/what-about-physiotherapy"))
    assert page.get_by_role("heading", level=1).inner_text() == "What about physiotherapy?"
    assert "Follow-up to" in page.locator("p.context").inner_text()
    assert "Sciatica" in page.locator("p.inherited").inner_text()
    screenshot(page, "article-follow-up")


def test_reviewer_approves_and_the_badge_changes(page, server):
    ask(page, server, "Does exercise help chronic low back pain?")
    article_url = page.url
    assert page.get_by_test_id("review-status").inner_text() == "Submitted"
    assert page.get_by_role("button", name="Approve").count() == 0  # readers see no review controls

    page.goto(f"{server.url}/review")
    page.wait_for_url(re.compile(r"/login"))
    page.get_by_label("Username").fill("rita")
    page.get_by_label("Password").fill(server.passwords["rita"])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/review$"))
    page.get_by_role("link", name="Does exercise help chronic low back pain?").click()

    page.get_by_role("button", name="Start review").click()
    assert page.get_by_test_id("review-status").inner_text() == "Under Review"
    # The reviewer who started the review cannot approve it too: a second reviewer does.
    assert page.get_by_role("button", name="Approve").count() == 0
    assert page.get_by_text("a second reviewer approves it").is_visible()
    sign_out(page)
    sign_in(page, server, "sam")
    page.goto(article_url)
    page.get_by_label(re.compile("^Comment")).fill("Sources checked; wording is faithful.")
    page.get_by_role("button", name="Approve").click()
    assert page.get_by_test_id("review-status").inner_text() == "Approved"
    assert page.get_by_text("Educational purpose only").count() == 0
    approval = " ".join(page.get_by_test_id("approval").inner_text().split())
    assert approval.startswith("Approved by sam on ") and "after a review started by rita" in approval
    page.get_by_text("Versions and review history").click()
    assert page.get_by_role("cell", name="Sources checked; wording is faithful.").is_visible()
    screenshot(page, "article-approved")
    assert accessibility_problems(page) == []

    # Everyone now sees it approved, and it is listed on the home page.
    anonymous = httpx.get(article_url).text
    assert 'data-testid="review-status">Approved<' in anonymous
    sign_out(page)
    page.goto(server.url)
    assert page.get_by_role("region", name="Recently approved by medical reviewers").get_by_role(
        "link", name="Does exercise help chronic low back pain?"
    ).is_visible()


def test_document_markup_shows_as_text(page, server):
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    ask(page, server, HOSTILE_QUESTION)
    assert page.get_by_text("<script>alert('evidence')</script>", exact=False).first.is_visible()
    assert dialogs == []
    assert page.locator("script").count() == 0
    policy = httpx.get(page.url).headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy


def test_home_and_review_queue_are_accessible(page, server):
    page.goto(server.url)
    assert accessibility_problems(page) == []
    page.goto(f"{server.url}/login")
    assert accessibility_problems(page) == []


def test_forms_need_the_page_token_and_a_right_password(page, server):
    refused = httpx.post(f"{server.url}/ask", data={"question": "Is aspirin safe?"})
    assert refused.status_code == 403 and "reload the page" in refused.text
    page.goto(f"{server.url}/login")
    page.get_by_label("Username").fill("rita")
    page.get_by_label("Password").fill("not-her-password")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text() == "Wrong username or password."
    page.goto(server.url)
    page.get_by_label("Your question").fill("   ")
    page.get_by_role("button", name="Ask", exact=True).click()
    assert "the question is empty" in page.get_by_role("alert").inner_text()


PHONE = {"width": 390, "height": 844}


def horizontal_overflow(page) -> list[str]:
    """Elements that stick out past the right edge of the screen (sideways scrolling)."""
    return page.evaluate(
        """() => {
        const width = document.documentElement.clientWidth;
        const out = [];
        if (document.documentElement.scrollWidth > width) out.push(`page is ${document.documentElement.scrollWidth} px wide`);
        for (const el of document.querySelectorAll('body *')) {
            const box = el.getBoundingClientRect();
            if (box.width && box.right > width + 1 && getComputedStyle(el).display !== 'none') {
                out.push(`${el.tagName.toLowerCase()}.${el.className}: right edge ${Math.round(box.right)}`);
            }
        }
        return out.slice(0, 10);
    }"""
    )


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()


def test_article_and_follow_up_fit_a_phone_screen(phone, server):
    ask(phone, server, SEED)
    assert horizontal_overflow(phone) == []
    screenshot(phone, "phone-article")
    phone.get_by_role("link", name="Patient or carer").click()
    phone.wait_for_url(re.compile(r"audience=patient"))
    assert horizontal_overflow(phone) == []
    screenshot(phone, "phone-article-patient")
    phone.get_by_label(re.compile("^Follow-up")).fill("What about physiotherapy?")
    phone.get_by_role("button", name="Ask follow-up").click()
    phone.wait_for_url(re.compile(r"/articles/what-about-physiotherapy"))
    assert horizontal_overflow(phone) == []
    screenshot(phone, "phone-follow-up")
    # The earlier question is named once, however many topics the follow-up took from it.
    main = phone.locator("main").inner_text()
    assert main.count(SEED) == 1, main
    assert "carried over from earlier: " in phone.locator("p.inherited").inner_text()
    phone.goto(f"{server.url}/articles")
    assert horizontal_overflow(phone) == []


def test_the_articles_link_in_the_header_works(page, server):
    page.goto(server.url)
    page.get_by_role("navigation", name="Site").get_by_role("link", name="Articles").click()
    page.wait_for_url(re.compile(r"/articles$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Articles"
    page.get_by_label("Words in the question").fill("back pain")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"/articles\?q=back"))
    assert page.get_by_role("heading", level=1).inner_text() == "Articles"


def test_references_titles_notes_and_disclaimer_read_well(page, server):
    ask(page, server, "Does exercise help chronic low back pain?", "Patient or carer")
    text = page.locator("main").inner_text()
    assert "Recommendation strength" not in text and "Reviewed, New-replaced" not in text
    assert "What is (are)" not in text and "?." not in text and " ?" not in text
    assert page.locator(".disclaimer").count() == 1 and page.locator("footer").count() == 0
    screenshot(page, "article-patient-references")
    # Each guideline is linked where its record gives an address or DOI, else cited as published.
    guidelines = page.locator("section.references li", has=page.locator(".badge-guideline"))
    assert guidelines.count() >= 1
    for index in range(guidelines.count()):
        item = guidelines.nth(index)
        assert item.locator("a.source-link").count() == 1 or "Published as: " in item.inner_text(), item.inner_text()

    page.get_by_role("link", name="Healthcare professional").click()
    page.wait_for_url(re.compile(r"audience=clinician"))
    assert "Recommendation strength: " in page.locator("main").inner_text()  # the clinician view keeps it
    assert "Published as: Diagnosis and Treatment of Low Back Pain Work Group. VA/DoD clinical practice guideline" in (
        page.locator("section.references").inner_text()
    )


def test_patient_glosses_fit_the_sentence(page, server):
    ask(page, server, "Does vitamin D prevent fractures?", "Patient or carer")
    text = page.locator("main").inner_text()
    assert "(add to)" not in text and "fractures (break)" not in text
    screenshot(page, "article-patient-glosses")
