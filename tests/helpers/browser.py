"""A real browser for the demo page: Playwright driving Debian's Chromium (apt-get install
chromium; Playwright's own browser download is not reachable from these machines)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
# As root, without the closed network's background connections (see the environment notes).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def launch_chromium(playwright: Any) -> Any:
    """The browser every page test uses: where Chromium is found, and how it is started."""
    if not CHROMIUM.exists():
        pytest.fail("no Chromium: apt-get install chromium (.ci/run installs it)")
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


@contextmanager
def browser_page() -> Iterator[tuple[Any, list[str]]]:
    """A page and the console errors it logs (JavaScript errors and failed loads included)."""
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            page = browser.new_page(viewport={"width": 900, "height": 1000})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda error: errors.append(str(error)))
            yield page, errors
        finally:
            browser.close()


def classify_in_page(page: Any, url: str, title: str, description: str) -> None:
    """Open the demo page, type the movie and press Classify, as a user would."""
    page.goto(url)
    page.get_by_label("Title").fill(title)
    page.get_by_label("Description").fill(description)
    page.get_by_role("button", name="Classify").click()


@dataclass(frozen=True)
class TextContrast:
    """One element's own text: its computed colour, the colour behind it, their WCAG ratio."""

    element: str
    text: str
    colour: tuple[float, float, float]
    background: tuple[float, float, float]
    ratio: float


# WCAG 2 contrast from computed styles: the text colour and every background-color up to the
# canvas (white here: the page's color-scheme is light), composited by their alpha.
CONTRAST_SCRIPT = """(root) => {
  const rgba = (value) => {
    const parts = value.match(/^rgba?\\(([^)]*)\\)$/);
    if (!parts) throw new Error(`not an sRGB colour: ${value}`);
    const [r, g, b, a = 1] = parts[1].split(/[\\s,/]+/).filter(Boolean).map(Number);
    return [r, g, b, a];
  };
  const over = ([r, g, b, a], [R, G, B]) =>
    [r * a + R * (1 - a), g * a + G * (1 - a), b * a + B * (1 - a)];
  const background = (node) => {
    const layers = [];
    for (let at = node; at; at = at.parentElement) {
      const colour = rgba(getComputedStyle(at).backgroundColor);
      if (colour[3] > 0) layers.push(colour);
      if (colour[3] === 1) break;
    }
    return layers.reverse().reduce((below, layer) => over(layer, below), [255, 255, 255]);
  };
  const luminance = (rgb) => {
    const [r, g, b] = rgb.map((c) => {
      const s = c / 255;
      return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const found = [];
  for (const node of [root, ...root.querySelectorAll("*")]) {
    const own = [...node.childNodes].filter((c) => c.nodeType === Node.TEXT_NODE)
      .map((c) => c.textContent).join("").trim();
    if (!own || !node.checkVisibility()) continue;
    const behind = background(node);
    const colour = over(rgba(getComputedStyle(node).color), behind);
    const [light, dark] = [luminance(colour), luminance(behind)].sort((x, y) => y - x);
    found.push({
      element: node.tagName.toLowerCase() + (node.id ? `#${node.id}` : "") +
        [...node.classList].map((name) => `.${name}`).join(""),
      text: own, colour, background: behind, ratio: (light + 0.05) / (dark + 0.05),
    });
  }
  return found;
}"""


def text_contrasts(page: Any, selector: str = "body") -> list[TextContrast]:
    """Every visible element under selector that holds text of its own, with its contrast."""
    found = page.locator(selector).evaluate(CONTRAST_SCRIPT)
    return [
        TextContrast(
            element=item["element"],
            text=item["text"],
            colour=tuple(item["colour"]),
            background=tuple(item["background"]),
            ratio=item["ratio"],
        )
        for item in found
    ]
