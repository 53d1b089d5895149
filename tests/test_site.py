"""``gan-zoo site`` without a browser: the builder's pages, determinism, missing inputs, errors, serving.

Most builds here use a stand-in ONNX exporter and placeholder runtime files (no npm, no conversion);
``test_site_onnx_is_deterministic`` runs the real export layer on a small entry.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import threading
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from gallery import build, data
from gallery.build import build_site, fake_runtime
from gallery.onnx_site import SiteOnnx, site_inputs


def stub_exporter(name: str, folder) -> SiteOnnx:
    """Writes a placeholder ONNX file and returns what the real exporter would (inputs from the architecture)."""
    from zoo.registry import get_preset

    preset = get_preset(name)
    g = preset.generator(**preset.generator_config, name="generator")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.onnx"
    path.write_bytes(name.encode() * 100)
    shape = tuple(int(d) for d in g.output_shape[1:])
    return SiteOnnx(path=path, inputs=site_inputs(_view(preset, g)), image_shape=shape,
                    bytes=path.stat().st_size, max_abs_error=1.5e-6, psnr_db=120.0, opset=15)


def _view(preset, generator):
    """The entry's ZooModel (its latent_info) around ``generator``, without weights or a card."""
    from zoo.model import ZooModel

    return (preset.model_class or ZooModel)(preset, generator, card={})


@pytest.fixture
def runtime(tmp_path):
    return fake_runtime(tmp_path / "ort")


def _build(out, runtime, names=None, **kw):
    return build_site(out, names, runtime=runtime, exporter=stub_exporter, **kw)


def test_index_lists_every_entry_and_every_page_exists(tmp_path, runtime):
    import zoo

    report = _build(tmp_path / "site", runtime)
    names = zoo.list_models()
    assert report.entries == names and all(report.live.values()) and report.problems == []
    index = (tmp_path / "site" / "index.html").read_text()
    for name in names:
        assert f'<a href="models/{name}.html">{name}</a>' in index
        page = (tmp_path / "site" / "models" / f"{name}.html").read_text()
        assert 'id="canvas"' in page and 'id="ganzoo-config"' in page and f"../onnx/{name}.onnx" in page
        assert '<section id="card">' in page and "<table>" in page  # the rendered Markdown card
        for heading in ("Python", "Command line", "LiteRT (TF-Lite)", "onnxruntime"):
            assert f"<h3>{heading}</h3>" in page
    assert index.count('<article class="entry"') == len(names)
    assert "1.65 @9k" in index and "10/10" in index  # the real-data floor, classes covered
    manifest = json.loads((tmp_path / "site" / "manifest.json").read_text())
    assert "ort/ort.wasm.min.js" in manifest["files"] and "assets/gallery.js" in manifest["files"]
    assert report.total_bytes == sum(p.stat().st_size for p in (tmp_path / "site").rglob("*") if p.is_file())


def test_family_controls_and_figures(tmp_path):
    from gallery import pages

    def page(name):
        onnx = dataclasses.asdict(stub_exporter(name, tmp_path))
        figures = {"grid": f"{name}.png", "curve": None,
                   "family": [(f.name, data.caption(name, f)) for f in data.figures(name)]}
        return pages.entry_page(data.summary(name), onnx, None, figures, data.latencies(name), "# x\n\ntext\n")

    infogan, stylegan, dcgan = page("infogan-mnist"), page("stylegan-fashion-mnist"), page("dcgan-mnist")
    assert 'id="category"' in infogan and 'id="c_cont-0"' in infogan and 'id="c_cont-1"' in infogan
    assert "infogan-mnist-codes.png" in infogan and 'id="psi"' not in infogan
    assert 'id="psi"' in stylegan and "truncation_psi" in stylegan and "stylegan-fashion-mnist-mix.png" in stylegan
    assert 'id="category"' not in dcgan and 'id="psi"' not in dcgan
    # export matrix: ONNX from the build, the rest from the committed benchmark run
    assert "max-abs 1.5e-06, PSNR 120.0 dB (this build)" in dcgan and "TF-Lite int8" in dcgan
    assert "benchmarks/results/cpu" in dcgan and " ms</td>" in dcgan


def test_inputs_carry_the_distribution_of_z(tmp_path):
    """The page config names how each entry draws z (its latent_info), and the panel's note says so."""
    from export.common import ExportError
    from gallery import pages, sections
    from gallery.onnx_site import Z_DRAWS
    from zoo.families.infogan.generator import NOISE
    from zoo.model import build as build_model
    from zoo.registry import tiny_preset

    tiny = tiny_preset("infogan-mnist")
    uniform = dataclasses.replace(tiny, generator_config={**tiny.generator_config, "noise": "uniform"})
    by_name = {i["name"]: i for i in site_inputs(_view(uniform, build_model(uniform)[0]))}
    assert by_name["z"] == {"name": "z", "shape": [None, 6], "dtype": "float32", "distribution": "uniform on [-1, 1)"}
    assert by_name["c_cont"]["distribution"] == "uniform on [-1, 1]"
    gaussian = dataclasses.replace(tiny, generator_config={**tiny.generator_config, "noise": "normal"})
    normal = {i["name"]: i for i in site_inputs(_view(gaussian, build_model(gaussian)[0]))}
    dcgan = stub_exporter("dcgan-mnist", tmp_path).inputs
    assert normal["z"]["distribution"] == dcgan[0]["distribution"] == "standard normal"

    onnx = {"inputs": [by_name[k] for k in ("z", "c_cat", "c_cont")], "image_shape": [28, 28, 1], "bytes": 2**20,
            "opset": 15, "max_abs_error": 0.0, "psnr_db": None}
    assert "(mulberry32 uniforms, z uniform on [-1, 1) as 2u - 1, z first" in sections.live_panel("x", onnx)
    assert "(mulberry32 uniforms, Box-Muller normals, z first" in sections.live_panel("x", {**onnx, "inputs": dcgan})
    figures = {"grid": None, "curve": None, "family": []}
    page = pages.entry_page(data.summary("infogan-mnist"), onnx, None, figures, {}, "# x\n")
    config = json.loads(page.split('id="ganzoo-config">')[1].split("</script>")[0])
    assert config["inputs"][0] == by_name["z"]

    assert set(NOISE.values()) <= set(Z_DRAWS)  # every noise InfoGAN trains with, the page draws
    view = _view(tiny, build_model(tiny)[0])
    view.latent_info = lambda: {"z": {"shape": [6], "distribution": "laplace"}}
    with pytest.raises(ExportError, match="cannot draw z from 'laplace'"):
        site_inputs(view)


# gallery.js in Node with just enough of a page: the config, inert elements, an ONNX session that never loads.
NODE_PAGE = """
const elements = {"ganzoo-config": {textContent: process.argv[1]}};
const element = (id) => elements[id] || (elements[id] = {value: id === "category" ? "random" : "0",
                                                           addEventListener() {}});
globalThis.document = {baseURI: "http://localhost/models/x.html", getElementById: element, querySelectorAll: () => []};
globalThis.window = {};
globalThis.ort = {env: {wasm: {}}, InferenceSession: {create: () => new Promise(() => {})}};
require("vm").runInThisContext(require("fs").readFileSync(process.argv[2], "utf8"));
let z;
try { z = window.ganzoo.latents(0, 64).z; } catch (e) { z = String(e); }
console.log(JSON.stringify(z));
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="node not installed")
@pytest.mark.parametrize("distribution", ["standard normal", "uniform on [-1, 1)", "laplace"])
def test_page_script_draws_z_from_the_configured_distribution(distribution):
    config = {"image_shape": [28, 28, 1], "grid": 16, "ort": "../ort/", "onnx": "../onnx/x.onnx",
              "inputs": [{"name": "z", "shape": [None, 6], "dtype": "float32", "distribution": distribution}]}
    script = build.STATIC / "gallery.js"
    out = subprocess.run(["node", "-e", NODE_PAGE, json.dumps(config), str(script)], capture_output=True,
                         text=True, check=True).stdout
    z = json.loads(out)
    if distribution == "laplace":
        assert z == "Error: cannot draw z from laplace"
        return
    z = np.asarray(z)
    assert z.shape == (64 * 6,)
    if distribution == "standard normal":
        assert np.abs(z).max() > 2  # Box-Muller normals
    else:
        assert -1 <= z.min() < -0.9 and 0.9 < z.max() < 1 and abs(z.mean()) < 0.1


def test_build_is_deterministic(tmp_path, runtime):
    names = ["dcgan-mnist", "infogan-mnist"]
    _build(tmp_path / "a", runtime, names)
    _build(tmp_path / "b", runtime, names)
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file())
    assert [f for f in files if (tmp_path / "a" / f).read_bytes() != (tmp_path / "b" / f).read_bytes()] == []


def test_missing_figures_and_metrics_are_shown_as_such(tmp_path, runtime, monkeypatch):
    import zoo

    docs = tmp_path / "docs"
    shutil.copytree(data.DOCS, docs, ignore=shutil.ignore_patterns("models", "infogan-mnist*"))
    shutil.copy(data.DOCS / "infogan-mnist-c1.png", docs)  # one family figure left, the grid gone
    info = zoo.info
    monkeypatch.setattr(zoo, "info", lambda name: {k: v for k, v in info(name).items() if k != "metrics"})
    report = _build(tmp_path / "site", runtime, ["infogan-mnist"], docs=docs)
    assert report.live == {"infogan-mnist": True}
    page = (tmp_path / "site" / "models" / "infogan-mnist.html").read_text()
    assert "no sample grid committed" in page and "infogan-mnist-c1.png" in page and "codes.png" not in page
    assert "fid_domain <b>not measured</b>" in page
    index = (tmp_path / "site" / "index.html").read_text()
    assert "no sample grid" in index and "not measured" in index
    assert sorted(p.name for p in (tmp_path / "site" / "img").iterdir()) == ["infogan-mnist-c1.png"]


def test_entry_without_weights_has_no_live_panel(tmp_path, runtime, register_temporarily):
    from zoo.registry import get_preset

    register_temporarily(dataclasses.replace(get_preset("dcgan-mnist"), name="site-test-untrained",
                                             generator_weights=None, discriminator_weights=None))
    report = _build(tmp_path / "site", runtime, ["site-test-untrained"])
    assert report.live == {"site-test-untrained": False}
    page = (tmp_path / "site" / "models" / "site-test-untrained.html").read_text()
    assert "Live panel unavailable: no shipped weights yet" in page and "ganzoo-config" not in page


def test_refuses_a_non_empty_folder_unless_forced(tmp_path, runtime, capsys):
    from zoo.cli import main

    out = tmp_path / "site"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    assert main(["site", "dcgan-mnist", "-o", str(out)]) == 1
    err = capsys.readouterr().err.strip()
    assert err == f"gan-zoo: error: {out} is not empty; pass --force (force=True) to replace it"
    assert (out / "keep.txt").exists()
    _build(out, runtime, ["dcgan-mnist"], force=True)
    assert not (out / "keep.txt").exists() and (out / "index.html").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ort", "site"]  # no staging folder left behind


def test_no_npm_is_one_clear_line(tmp_path, monkeypatch, capsys):
    from zoo.cli import main

    monkeypatch.setenv("ZOO_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("PATH", str(tmp_path))  # no npm on it
    assert main(["site", "dcgan-mnist", "-o", str(tmp_path / "site")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("gan-zoo: error: npm not found: the site build fetches "
                                                   "onnxruntime-web@1.30.0")
    assert not (tmp_path / "site").exists()


@pytest.mark.skipif(shutil.which("npm") is None, reason="npm not installed")
def test_unreachable_registry_is_one_clear_line(tmp_path, monkeypatch):
    from gallery.runtime import RuntimeFetchError, runtime_dir

    monkeypatch.setenv("ZOO_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("npm_config_registry", "http://127.0.0.1:9/")
    monkeypatch.setenv("npm_config_fetch_retries", "0")
    with pytest.raises(RuntimeFetchError, match=r"^cannot fetch onnxruntime-web@1\.30\.0 with npm \(no network "
                                                r"or registry\?\): ECONNREFUSED") as e:
        runtime_dir()
    assert "\n" not in str(e.value)


def test_serve_types_and_missing_site(tmp_path):
    from gallery.serve import make_server, url_of
    from zoo.cli import main

    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("<p>hi</p>")
    (site / "a.wasm").write_bytes(b"\0asm")
    (site / "b.mjs").write_text("export {};")
    server = make_server(site, port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        for name, kind in (("a.wasm", "application/wasm"), ("b.mjs", "text/javascript")):
            with urllib.request.urlopen(url_of(server) + name) as r:
                assert r.headers["Content-Type"] == kind
    finally:
        server.shutdown()
        server.server_close()
    assert main(["site", "--serve", "-o", str(tmp_path / "nothing")]) == 1


@pytest.mark.subprocess
def test_site_onnx_is_deterministic(tmp_path, monkeypatch):
    """Two real conversions (each in a child process with hash seed 0, canonical names) give one file."""
    from gallery.onnx_site import site_onnx

    monkeypatch.setenv("ZOO_CACHE_DIR", str(tmp_path / "cache"))
    a = site_onnx("mlpgan-fashion-mnist", tmp_path / "a", use_cache=False)
    b = site_onnx("mlpgan-fashion-mnist", tmp_path / "b", use_cache=False)
    assert a.path.read_bytes() == b.path.read_bytes()
    assert a.inputs == [{"name": "z", "shape": [None, 30], "dtype": "float32", "distribution": "standard normal"}]
    assert a.max_abs_error <= 1e-4
    cached = site_onnx("mlpgan-fashion-mnist", tmp_path / "c")  # from the cache, verified again
    assert cached.path.read_bytes() == a.path.read_bytes() and cached.max_abs_error == a.max_abs_error
    assert build.SiteReport(tmp_path, [], {}, {"onnx": 2**20}, 1, []).summary().endswith("(onnx 1.0 MiB)")
