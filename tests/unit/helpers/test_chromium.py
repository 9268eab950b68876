"""The browser finder behind `make test`'s browser step and the demo page's tests."""

import subprocess
from pathlib import Path

import pytest

from tests.helpers import chromium


def executable(path: Path, body: str) -> Path:
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)
    return path


def test_a_configured_chromium_that_runs_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    browser = executable(tmp_path / "chrome", 'echo "Chromium 156.0.1"')
    monkeypatch.setenv(chromium.CHROMIUM_ENV, str(browser))
    assert chromium.find_chromium.__wrapped__() == browser


def test_a_stub_that_does_not_run_is_skipped_for_playwrights_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What Ubuntu's chromium-browser is without snapd: a script that cannot start a browser.
    executable(tmp_path / "chromium-browser", 'echo "install the snap" >&2; exit 1')
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv(chromium.CHROMIUM_ENV, raising=False)
    own = tmp_path / "playwright-chrome"
    monkeypatch.setattr(chromium, "playwright_chromium", lambda: own)
    assert chromium.find_chromium.__wrapped__() == own


def test_with_no_browser_the_step_says_what_to_run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(chromium, "find_chromium", lambda: None)
    monkeypatch.setattr(chromium, "playwright_chromium", lambda: None)
    failed = subprocess.CompletedProcess(args=[], returncode=1)
    monkeypatch.setattr(chromium.subprocess, "run", lambda *args, **kwargs: failed)
    assert chromium.main() == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == chromium.INSTALL_HINT
    assert "apt-get install chromium" in out[-1] and "playwright install" in out[-1]
