"""The built gallery in a real browser: headless system Chromium (Debian's chromium and chromium-driver)
driven by Selenium, against the site served over http on localhost.

For each tested entry: the page loads with no console errors, the live panel draws a grid, latents
given through the test hook ``window.ganzoo.generateFrom`` give the Python generator's image within
2/255 (and so do the family's controls: InfoGAN's category picker and code sliders, StyleGAN's
truncation slider), and the latent walk animates. A screenshot of each page is written under the
test's temporary folder. Marked ``browser`` (``make test-browser``, which installs Chromium when
missing and sets ZOO_REQUIRE_BROWSER=1 so that a missing browser fails instead of skipping).
"""

from __future__ import annotations

import importlib.util
import os
import threading

import numpy as np
import pytest

pytestmark = pytest.mark.browser

ENTRIES = ("dcgan-mnist", "infogan-mnist", "stylegan-fashion-mnist")
TOLERANCE = 2  # uint8 levels: 2/255
REQUIRED = os.environ.get("ZOO_REQUIRE_BROWSER") == "1"


def _need(ok: bool, why: str) -> None:
    if not ok:
        (pytest.fail if REQUIRED else pytest.skip)(why)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from gallery.build import build_site
    from gallery.runtime import RuntimeFetchError

    try:
        return build_site(tmp_path_factory.mktemp("gallery") / "site", list(ENTRIES))
    except RuntimeFetchError as e:
        _need(False, f"onnxruntime-web unavailable: {e}")


@pytest.fixture(scope="module")
def url(site):
    from gallery.serve import make_server, url_of

    server = make_server(site.out, port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield url_of(server)
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    from gallery.screenshots import chrome, chrome_paths

    _need(chrome_paths() is not None, "chromium and chromedriver not installed "
          "(apt-get install chromium chromium-driver, or make test-browser)")
    _need(importlib.util.find_spec("selenium") is not None, "selenium not installed (pip install -e '.[browser]')")
    b = chrome()  # the system Chromium and chromedriver: nothing downloaded
    yield b
    b.quit()


def run_js(browser, expression: str, *args):
    """Awaits the promise ``expression`` in the page (``args`` as ``args[0]``...); fails on rejection."""
    script = ("const done = arguments[arguments.length - 1], args = Array.from(arguments).slice(0, -1);"
              f"Promise.resolve().then(() => {expression})"
              ".then(r => done({ok: true, value: r === undefined ? null : r}), e => done({ok: false, error: String(e)}));")
    result = browser.execute_async_script(script, *args)
    assert result["ok"], result["error"]
    return result["value"]


def canvas_tiles(browser, n: int, shape) -> np.ndarray:
    """The first ``n`` tiles of the panel's canvas as uint8 (n, H, W, C)."""
    h, w, c = shape
    data = browser.execute_script(
        "const ctx = document.getElementById('canvas').getContext('2d'), out = [];"
        "for (let i = 0; i < arguments[0]; i++) { const r = window.ganzoo.tileRect(i, arguments[1]);"
        "  out.push(Array.from(ctx.getImageData(r.x, r.y, r.w, r.h).data)); } return out;", n, n)
    rgba = np.asarray(data, dtype=np.uint8).reshape(n, h, w, 4)
    return rgba[..., :1] if c == 1 else rgba[..., :3]


def python_images(name: str, feeds: dict) -> np.ndarray:
    import zoo
    from zoo.model import to_uint8

    m = zoo.load(name)
    single = len(m.generator.inputs) == 1
    return to_uint8(m.generate(feeds["z"] if single else feeds))


def errors(browser) -> list:
    return [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]


def assert_close(got: np.ndarray, want: np.ndarray) -> None:
    diff = np.abs(got.astype(int) - want.astype(int))
    assert got.shape == want.shape
    assert diff.max() <= TOLERANCE, f"max difference {diff.max()} levels at {np.unravel_index(diff.argmax(), diff.shape)}"


def _feeds(browser, seed: int, n: int, name: str) -> dict:
    """The panel's inputs for ``seed`` with its controls as they are, reshaped to (n, d)."""
    raw = browser.execute_script("return window.ganzoo.latents(arguments[0], arguments[1]);", seed, n)
    return {k: np.asarray(v, np.float32).reshape(n, -1) for k, v in raw.items()}


@pytest.mark.parametrize("name", ENTRIES)
def test_page_draws_the_python_images(name, browser, url, site, tmp_path):
    import zoo

    assert site.live[name]
    browser.get(f"{url}models/{name}.html")
    info = run_js(browser, "window.ganzoo.ready.then(() => window.ganzoo.generate(3))")
    assert info["n"] == 16 and info["what"] == "seed 3"
    m = zoo.load(name)
    shape = m.image_shape
    drawn = canvas_tiles(browser, 16, shape)
    assert len({t.tobytes() for t in drawn}) == 16 and drawn.std() > 10  # 16 different, non-blank images

    # The hook: latents from NumPy, the same ones through Python's generator.
    latents = m.sample_latents(4, seed=11)
    feeds = latents if isinstance(latents, dict) else {"z": latents}
    run_js(browser, "window.ganzoo.generateFrom(args[0])", {k: v.tolist() for k, v in feeds.items()})
    assert_close(canvas_tiles(browser, 4, shape), python_images(name, feeds))

    # What the panel itself draws for a seed is what Python draws for the same inputs.
    run_js(browser, "window.ganzoo.generate(5)")
    assert_close(canvas_tiles(browser, 16, shape), python_images(name, _feeds(browser, 5, 16, name)))
    browser.save_screenshot(str(tmp_path / f"{name}.png"))
    assert (tmp_path / f"{name}.png").stat().st_size > 10_000
    assert errors(browser) == []


def _set_control(browser, ident: str, value) -> None:
    browser.execute_script("const el = document.getElementById(arguments[0]); el.value = arguments[1];"
                           "el.dispatchEvent(new Event('input'));", ident, str(value))


def test_infogan_controls(browser, url, site, tmp_path):
    browser.get(f"{url}models/infogan-mnist.html")
    run_js(browser, "window.ganzoo.ready")
    _set_control(browser, "category", 3)
    _set_control(browser, "c_cont-0", 0.5)
    _set_control(browser, "c_cont-1", -1)
    run_js(browser, "window.ganzoo.generate(7)")
    feeds = _feeds(browser, 7, 16, "infogan-mnist")
    assert (feeds["c_cat"].argmax(axis=1) == 3).all() and feeds["c_cat"].sum() == 16
    np.testing.assert_allclose(feeds["c_cont"], np.tile([0.5, -1.0], (16, 1)))
    assert_close(canvas_tiles(browser, 16, (28, 28, 1)), python_images("infogan-mnist", feeds))
    browser.save_screenshot(str(tmp_path / "infogan-mnist-controls.png"))
    assert errors(browser) == []


def test_stylegan_truncation_and_walk(browser, url, site, tmp_path):
    browser.get(f"{url}models/stylegan-fashion-mnist.html")
    run_js(browser, "window.ganzoo.ready")
    _set_control(browser, "psi", 0.5)
    run_js(browser, "window.ganzoo.generate(2)")
    feeds = _feeds(browser, 2, 16, "stylegan-fashion-mnist")
    np.testing.assert_allclose(feeds["truncation_psi"], 0.5)
    assert_close(canvas_tiles(browser, 16, (32, 32, 1)), python_images("stylegan-fashion-mnist", feeds))

    browser.find_element("id", "walk").click()  # the latent walk animates until clicked again
    frames = []
    for _ in range(3):
        run_js(browser, "new Promise(r => setTimeout(r, 300))")
        frames.append(canvas_tiles(browser, 16, (32, 32, 1)).tobytes())
    assert browser.execute_script("return window.ganzoo.lastRun.what").startswith("latent walk")
    assert len(set(frames)) == 3
    browser.find_element("id", "walk").click()
    assert browser.execute_script("return window.ganzoo.isWalking()") is False
    browser.save_screenshot(str(tmp_path / "stylegan-fashion-mnist-walk.png"))
    assert errors(browser) == []


def test_index_lists_and_links(browser, url, site, tmp_path):
    browser.get(url)
    names = [a.text for a in browser.find_elements("css selector", "article.entry h2 a")]
    assert names == sorted(ENTRIES)
    from gallery.screenshots import wait_for_images

    assert len(browser.find_elements("css selector", "article.entry img")) == len(ENTRIES)
    assert wait_for_images(browser) == []  # every thumbnail loads
    browser.save_screenshot(str(tmp_path / "index.png"))
    assert errors(browser) == []
