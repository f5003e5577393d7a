"""Provides the README's picture of `mlp-tui --serve`: the dashboard in headless Chromium.

Run: python docs/make_web_screenshot.py  (writes docs/web.png; needs chromium, chromedriver and
the dev extras, as the --serve test does)
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent))  # the checkout's tests/ (not installed) and the app

from tests.tui import browser  # noqa: E402

NAMES = ("numpy", "torch-manual", "torch-autograd", "torch-optim")


def main() -> None:
    problem = browser.missing()
    if problem:
        sys.exit(f"make_web_screenshot: {problem}")
    with browser.served("--iters", "3000", "--no-log") as (_, url), browser.chromium() as page:
        browser.open_page(page, url)
        browser.wait_for_text(page, *NAMES)
        browser.wait_for("every trainer done", lambda: browser.screen_text(page).count("done") == 4)
        page.save_screenshot(str(HERE / "web.png"))


if __name__ == "__main__":
    main()
