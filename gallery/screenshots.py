"""Headless Chromium for the gallery: the browser tests' driver and the README's screenshots.

Uses the system Chromium and chromedriver (Debian's ``chromium`` and ``chromium-driver``) through
Selenium (the ``[browser]`` extra); nothing is downloaded. ``python -m gallery.screenshots SITE DOCS``
serves a built site and writes ``DOCS/site-index.png`` and ``DOCS/site-dcgan-mnist.png`` (the live
panel drawn, seed 0), scaled down and palette-compressed to stay small.

Examples:
>>> paths = chrome_paths()     # None where they are not installed
>>> paths is None or all(Path(p).is_file() for p in paths)
True
"""

from __future__ import annotations

import shutil
import sys
import threading
from pathlib import Path

WINDOW = (1200, 1500)
SHOTS = (("index.html", "site-index.png", None), ("models/dcgan-mnist.html", "site-dcgan-mnist.png", 0))


def chrome_paths() -> tuple[str, str] | None:
    """(chromium, chromedriver) found on PATH, or None."""
    browser, driver = shutil.which("chromium"), shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


def chrome(window=WINDOW):
    """A headless Chromium WebDriver that keeps the console log (``driver.get_log("browser")``).

    Raises:
        FileNotFoundError: chromium or chromedriver is not installed.
    """
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    paths = chrome_paths()
    if paths is None:
        raise FileNotFoundError("chromium and chromedriver not found; apt-get install chromium chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = paths[0]
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                f"--window-size={window[0]},{window[1]}", "--force-device-scale-factor=1", "--hide-scrollbars"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(paths[1]), options=options)
    driver.set_script_timeout(180)
    return driver


def shrink(png: Path, width: int = 800, colors: int = 64) -> None:
    """Scales a screenshot to ``width`` pixels and stores it with a palette (a small file for the README)."""
    from PIL import Image

    with Image.open(png) as im:
        im = im.convert("RGB")
        im = im.resize((width, round(im.height * width / im.width)), Image.LANCZOS)
        im.quantize(colors, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(png, optimize=True)


def wait_for_images(driver) -> list:
    """Waits until every image of the page has loaded (or failed); returns the sources that failed."""
    return driver.execute_async_script(
        "const done = arguments[arguments.length - 1], images = Array.from(document.images);"
        "Promise.all(images.map(i => i.decode().catch(() => null)))"
        ".then(() => done(images.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)));")


def take(site, docs) -> list[Path]:
    """Serves ``site`` and writes the README's screenshots into ``docs``; returns their paths."""
    from gallery.serve import make_server, url_of

    server = make_server(site, port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    driver, written = chrome(), []
    try:
        for page, name, seed in SHOTS:
            driver.get(url_of(server) + page)
            if seed is not None:
                driver.execute_async_script("const done = arguments[arguments.length - 1];"
                                            "window.ganzoo.ready.then(() => window.ganzoo.generate(arguments[0]))"
                                            ".then(done, e => done(String(e)));", seed)
            wait_for_images(driver)
            out = Path(docs) / name
            driver.save_screenshot(str(out))
            shrink(out)
            written.append(out)
    finally:
        driver.quit()
        server.shutdown()
        server.server_close()
    return written


if __name__ == "__main__":  # python -m gallery.screenshots SITE DOCS
    if len(sys.argv) != 3:
        sys.exit("usage: python -m gallery.screenshots SITE_FOLDER DOCS_FOLDER")
    for path in take(sys.argv[1], sys.argv[2]):
        print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KiB)")
