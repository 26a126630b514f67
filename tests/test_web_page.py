"""The web page in a real headless Chromium (Debian's chromium + chromium-driver via Selenium).

Types a query, sees results, asks "who holds Qaim?" and sees the evidence; checks that a script
inside an article never runs. Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from search.settings import SearchSettings
from tests.live_server import live_api
from tests.test_api import index_demo_corpus

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")

pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="needs Debian's chromium and chromium-driver (installed by .ci/setup.sh)",
)


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="newsdesk-chromium-")
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
        f"--user-data-dir={profile}",
        "--window-size=1280,1400",
    ):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def site(es_url: str, es_client: Elasticsearch):
    alias = f"t-{uuid.uuid4().hex[:12]}"
    settings = SearchSettings(es_url=es_url, index=alias, warm_up=False)
    index_demo_corpus(es_client, settings)
    with live_api(settings) as base:
        yield base
    es_client.indices.delete(index=f"{alias}*", ignore_unavailable=True, allow_no_indices=True)


def _wait(driver, condition, timeout: float = 60):
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(driver, timeout).until(condition)
    except TimeoutException:
        state = driver.execute_script(
            "const v = id => (document.getElementById(id) || {}).value;"
            "const t = id => (document.getElementById(id) || {}).textContent;"
            "return {url: location.href, q: v('q'), as_of: v('as_of'), mode: v('mode'),"
            " status: t('search-status'), facets: t('facets'), hits: t('results').slice(0, 300)};"
        )
        raise TimeoutException(f"page state when the wait gave up: {state}") from None


def test_search_then_ask_shows_results_answer_and_evidence(browser, site):
    from selenium.webdriver.common.by import By

    browser.get(site + "/")
    browser.find_element(By.ID, "q").send_keys("Qaim border")
    browser.find_element(By.ID, "search-btn").click()
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#results li.hit"))
    first = browser.find_element(By.CSS_SELECTOR, "#results li.hit")
    assert "Iraq forces" in first.text
    assert first.find_elements(By.TAG_NAME, "mark"), "query words are highlighted"
    assert "2017-11-05" in first.text

    browser.find_element(By.ID, "question").send_keys("who holds Qaim?")
    browser.find_element(By.ID, "ask-btn").click()
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#answer .evidence li"))
    answer = browser.find_element(By.ID, "answer").text
    assert "as of 2017-11-05" in answer and "Qaim" in answer
    evidence = browser.find_elements(By.CSS_SELECTOR, "#answer .evidence-sentence")
    assert any("reclaimed from the Islamic State" in e.text for e in evidence)
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "web-search-and-ask.png"))


def test_as_of_on_the_page_hides_later_articles_and_says_so(browser, site):
    from selenium.webdriver.common.by import By

    browser.get(site + "/")
    browser.find_element(By.ID, "q").send_keys("Qaim border")
    # a date input's typed format follows the browser's locale; set the ISO value it submits
    browser.execute_script("document.getElementById('as_of').value = '2017-11-01'")
    browser.find_element(By.ID, "search-btn").click()
    _wait(browser, lambda d: "No article matches" in d.find_element(By.ID, "search-status").text)
    assert "published by 2017-11-01" in browser.find_element(By.ID, "search-status").text
    assert not browser.find_elements(By.CSS_SELECTOR, "#results li.hit")
    browser.execute_script("document.getElementById('as_of').value = '2017-11-30'")
    browser.find_element(By.ID, "search-btn").click()
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#results li.hit"))
    assert "Iraq forces" in browser.find_element(By.CSS_SELECTOR, "#results li.hit").text

    browser.find_element(By.ID, "question").send_keys("who holds Qaim?")
    browser.execute_script("document.getElementById('ask_as_of').value = '2017-11-01'")
    browser.find_element(By.ID, "ask-btn").click()
    _wait(browser, lambda d: "No answer found" in d.find_element(By.ID, "answer").text)


def test_clicking_an_entity_facet_narrows_the_results_and_its_chip_lifts_it(browser, site):
    from selenium.webdriver.common.by import By

    browser.get(site + "/")
    browser.find_element(By.ID, "q").send_keys("Qaim border")
    browser.find_element(By.ID, "search-btn").click()
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#facets button.facet"))
    facet = browser.find_element(By.CSS_SELECTOR, "#facets button.facet")
    name = facet.text.rsplit(" (", 1)[0]
    facet.click()
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#active-filters button.chip"))
    chip = browser.find_element(By.CSS_SELECTOR, "#active-filters button.chip")
    assert chip.text.startswith(name)
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#results li.hit"))
    assert "Iraq forces" in browser.find_element(By.CSS_SELECTOR, "#results li.hit").text
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "web-facets.png"))
    chip.click()
    _wait(browser, lambda d: not d.find_elements(By.CSS_SELECTOR, "#active-filters button.chip"))


def test_script_in_an_article_is_shown_as_text_and_never_runs(browser, site):
    from selenium.webdriver.common.by import By

    browser.get(site + "/")
    browser.find_element(By.ID, "q").send_keys("harbour festival regatta")
    browser.find_element(By.ID, "search-btn").click()
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#results li.hit"))
    hit = browser.find_element(By.CSS_SELECTOR, "#results li.hit")
    assert "<img src=x onerror=alert(1)>" in hit.text  # the title, shown literally
    assert not hit.find_elements(By.TAG_NAME, "img") and not hit.find_elements(By.TAG_NAME, "script")
    link = hit.find_element(By.CSS_SELECTOR, ".hit-title")
    assert link.tag_name != "a" or not (link.get_attribute("href") or "").startswith("javascript:")
    assert browser.execute_script("return window.__pwned === undefined")
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "web-escaping.png"))


def test_api_docs_render_offline_from_packaged_assets(browser, site):
    """Swagger UI and ReDoc come from the fastapi-offline package: no CDN, so they work offline."""
    import httpx
    from selenium.webdriver.common.by import By

    html = httpx.get(site + "/docs").text
    assert "cdn." not in html and "https://" not in html.split("</head>")[0]
    browser.get(site + "/docs")
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".opblock-summary-path"))
    paths = {
        e.text.replace("\u200b", "") for e in browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")
    }
    assert {"/search", "/ask", "/health"} <= paths
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "api-docs.png"))
    assert "https://" not in httpx.get(site + "/redoc").text
    browser.get(site + "/redoc")
    _wait(browser, lambda d: "/search" in d.find_element(By.TAG_NAME, "body").text)


def test_the_overview_panel_shows_what_get_stats_counts(browser, site):
    import httpx
    from selenium.webdriver.common.by import By

    stats = httpx.get(site + "/stats").json()
    browser.get(site + "/")
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#overview-sources tbody tr"))
    summary = browser.find_element(By.ID, "overview-summary").text
    t = stats["totals"]
    assert f"{t['articles']} articles from {t['sources']} sources" in summary
    assert f"{t['chunks']} chunks" in summary and "published 2017-11-05 to 2024-06-01" in summary
    rows = [
        [td.text for td in tr.find_elements(By.TAG_NAME, "td")]
        for tr in browser.find_elements(By.CSS_SELECTOR, "#overview-sources tbody tr")
    ]
    expected = [
        [s["source"], str(s["articles"]), str(s["duplicates"]), str(s["chunks"]), s["first_published"] or "—",
         s["last_published"] or "—"]
        for s in stats["sources"]
    ]  # fmt: skip
    assert rows == expected
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "web-overview.png"))
