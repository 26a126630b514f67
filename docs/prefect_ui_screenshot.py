"""Screenshot a newsdesk run in Prefect's UI (headless Chromium via Selenium), for the README.

    .venv/bin/python docs/prefect_ui_screenshot.py FLOW_RUN_ID docs/prefect-ui-run.png
    .venv/bin/python docs/prefect_ui_screenshot.py FLOW_RUN_ID docs/prefect-ui-artifact.png --artifact

Needs the stack up (``newsdesk up``) and Debian's chromium + chromium-driver (``.ci/setup.sh``).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time

import httpx


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("flow_run_id")
    ap.add_argument("out")
    ap.add_argument("--ui", default="http://127.0.0.1:4200")
    ap.add_argument("--artifact", action="store_true", help="the run's report artifact instead of the run")
    ap.add_argument("--wait", type=float, default=8.0, help="seconds for the UI to render")
    args = ap.parse_args()

    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    url = f"{args.ui}/runs/flow-run/{args.flow_run_id}"
    if args.artifact:
        arts = httpx.post(
            f"{args.ui}/api/artifacts/filter",
            json={
                "artifacts": {
                    "flow_run_id": {"any_": [args.flow_run_id]},
                    "key": {"any_": ["newsdesk-ingest-report"]},
                }
            },
            timeout=10,
        ).json()
        url = f"{args.ui}/artifacts/artifact/{arts[0]['id']}"
    opts = webdriver.ChromeOptions()
    opts.binary_location = shutil.which("chromium") or shutil.which("chromium-browser") or ""
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
        f"--user-data-dir={tempfile.mkdtemp(prefix='nd-shot-')}",
    ):
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=opts)
    try:
        driver.get(url)
        time.sleep(args.wait)
        driver.save_screenshot(args.out)
    finally:
        driver.quit()
    print(f"wrote {args.out} from {url}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
