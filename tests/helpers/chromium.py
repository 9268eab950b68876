"""Which Chromium the browser tests drive: the system's if it runs, else Playwright's own.

`python -m tests.helpers.chromium` (a step of `make test`) says which one it found, and installs
Playwright's own (`playwright install chromium`) when there is none. Where that download is not
reachable either, it says what to run, and the browser tests fail with the same one line.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path

# A Chromium to use instead of looking for one.
CHROMIUM_ENV = "CHROMIUM"
SYSTEM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
INSTALL_HINT = (
    "no Chromium for the browser tests: run `sudo apt-get install chromium` (Debian) or "
    "`.venv/bin/python -m playwright install --with-deps chromium`, or set CHROMIUM=/path/to/it"
)


def runs(executable: str) -> bool:
    """Whether executable starts as a browser (Ubuntu's chromium-browser may be a snap stub)."""
    try:
        result = subprocess.run(
            [executable, "--version"], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0 and "Chrom" in result.stdout


def playwright_chromium() -> Path | None:
    """Playwright's own Chromium, if `playwright install chromium` put it in place."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        path = Path(playwright.chromium.executable_path)
    return path if path.is_file() else None


@cache
def find_chromium() -> Path | None:
    """$CHROMIUM, else the first system Chromium that runs, else Playwright's own."""
    if configured := os.environ.get(CHROMIUM_ENV):
        return Path(configured) if runs(configured) else None
    for name in SYSTEM_NAMES:
        found = shutil.which(name)
        if found and runs(found):
            return Path(found)
    return playwright_chromium()


def main() -> int:
    found = find_chromium()
    if found is None:
        print("no system Chromium: installing Playwright's (playwright install chromium)")
        install = [sys.executable, "-m", "playwright", "install", "chromium"]
        if subprocess.run(install, check=False).returncode == 0:
            found = playwright_chromium()
    print(f"browser tests use {found}" if found else INSTALL_HINT)
    # Never fails the make step: the tests that need a browser say what is missing.
    return 0


if __name__ == "__main__":
    sys.exit(main())
