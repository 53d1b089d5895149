"""The sections of an entry page, as HTML strings: live panel, figures, export matrix, snippets, card.

Every function returns a fragment built from plain data (no model is run here),
with text escaped by :func:`html.escape`, so the same inputs give the same bytes.

Examples:
>>> live_panel("dcgan-mnist", None, "no shipped weights")
'<section id="live"><h2>Try it in the browser</h2><p class="note">Live panel unavailable: no shipped weights</p></section>'
>>> print(code_block("python", 'print("<hi>")'))
<pre><code class="language-python">print(&quot;&lt;hi&gt;&quot;)</code></pre>
"""

from __future__ import annotations

import html
import json
import re

from gallery import data
from gallery.onnx_site import Z_DRAWS

GRID = 16  # images per generated grid in the live panel (4 x 4)
ESC = html.escape


def code_block(language: str, text: str) -> str:
    """A ``<pre><code>`` block with a copy button added by the page script."""
    return f'<pre><code class="language-{language}">{ESC(text.strip())}</code></pre>'


def _slider(ident: str, label: str, lo: float, hi: float, step: float, value: float, help_text: str) -> str:
    return (f'<label class="control" title="{ESC(help_text)}">{ESC(label)} '
            f'<input type="range" id="{ident}" min="{lo:g}" max="{hi:g}" step="{step:g}" value="{value:g}">'
            f' <output for="{ident}" id="{ident}-value">{value:g}</output></label>')


def _controls(inputs: list[dict]) -> tuple[list[str], list[str]]:
    """(control HTML, notes) for the generator's inputs other than z, by input name."""
    controls, notes = [], []
    for spec in inputs:
        name, size = spec["name"], spec["shape"][-1]
        if name == "c_cat":
            options = ['<option value="random">random (per image)</option>'] + [
                f'<option value="{k}">{k}</option>' for k in range(size)]
            controls.append(f'<label class="control">category <select id="category">{"".join(options)}</select></label>')
            notes.append(f"<b>category</b>: the {size}-way categorical code (one-hot <code>c_cat</code>) of every "
                         "image; the codes are learned without labels, so code k need not be digit k.")
        elif name == "c_cont":
            controls += [_slider(f"c_cont-{i}", f"c{i + 1}", -2, 2, 0.1, 0,
                                 f"continuous code c{i + 1} of every image (trained on [-1, 1])") for i in range(size)]
            notes.append(f"<b>c1..c{size}</b>: the continuous codes (<code>c_cont</code>), shared by every image; "
                         "training drew them from [-1, 1], beyond that they extrapolate (the paper's traversals "
                         "use [-2, 2]).")
        elif name == "truncation_psi":
            controls.append(_slider("psi", "truncation psi", 0, 1, 0.05, 1,
                                    "1: no truncation; 0: every image gets the average w"))
            notes.append("<b>truncation psi</b>: the exported graph takes <code>truncation_psi</code> as an input "
                         "and pulls each style vector w towards the tracked average w: "
                         "w' = w_avg + psi (w - w_avg); 1 is no truncation, 0 gives every seed the average image.")
        elif name != "z":
            notes.append(f"input <code>{ESC(name)}</code> is drawn from the seed (standard normal).")
    return controls, notes


def _z_draw(inputs: list[dict]) -> str:
    """How the page's script draws z, in words (:data:`~gallery.onnx_site.Z_DRAWS` of z's ``distribution``)."""
    (z,) = [spec for spec in inputs if spec["name"] == "z"]
    return Z_DRAWS[z["distribution"]]


def live_panel(name: str, onnx: dict | None, reason: str | None = None) -> str:
    """The in-browser generator: canvas, seed box, generate and latent-walk buttons, the family's controls.

    ``onnx`` is the page config's ``onnx`` block (None: unavailable, ``reason`` says why).
    """
    head = '<section id="live"><h2>Try it in the browser</h2>'
    if onnx is None:
        return head + f'<p class="note">Live panel unavailable: {ESC(reason or "no ONNX generator")}</p></section>'
    controls, notes = _controls(onnx["inputs"])
    size_mb, z_draw = onnx["bytes"] / 2**20, _z_draw(onnx["inputs"])
    return "".join([
        head,
        '<div class="panel"><canvas id="canvas" width="0" height="0" aria-label="generated images"></canvas>',
        '<div class="controls">',
        '<label class="control">seed <input type="number" id="seed" value="0" min="0" step="1"></label>',
        '<div class="buttons"><button id="generate" disabled>generate</button> ',
        '<button id="walk" disabled>latent walk</button></div>',
        *controls,
        '<p id="status" class="status">loading the generator ',
        f'({size_mb:.1f} MiB of ONNX) into ONNX Runtime Web...</p></div></div>',
        f'<p class="note">Runs <a href="../onnx/{ESC(name)}.onnx">{ESC(name)}.onnx</a> ({size_mb:.1f} MiB, opset ',
        f'{onnx["opset"]}) in this page with onnxruntime-web (WebAssembly, one thread), {GRID} images per grid. ',
        f"Latents come from a seeded JavaScript PRNG (mulberry32 uniforms, {z_draw}, z first, then the ",
        "random codes), so seed s here draws other images than <code>m.sample(n, seed=s)</code> in Python, which ",
        "uses NumPy's generator. <b>latent walk</b> loops through the z of four consecutive seeds by spherical ",
        "interpolation, the other inputs held.</p>",
        *(f'<p class="note">{n}</p>' for n in notes),
        "</section>",
    ])


def figures_section(name: str, grid: str | None, curve: str | None, figures: list[tuple[str, str]]) -> str:
    """Sample grid, training curve and family figures (``img/`` file names with captions)."""
    items = []
    if grid:
        items.append((grid, f"samples of the shipped weights (gan-zoo sample {name} -n 64 --seed 0)"))
    else:
        items.append((None, f"no sample grid committed (docs/{name}.png; gan-zoo sample {name} -n 64 --seed 0 "
                            f"-o docs/{name}.png)"))
    if curve:
        items.append((curve, f"fid_domain against images seen while training (gan-zoo curve {name})"))
    items += figures
    out = ['<section id="figures"><h2>Figures</h2><div class="figures">']
    for src, text in items:
        body = f'<img src="../img/{ESC(src)}" alt="{ESC(text)}" loading="lazy">' if src else '<div class="missing"></div>'
        out.append(f"<figure>{body}<figcaption>{ESC(text)}</figcaption></figure>")
    return "".join(out) + "</div></section>"


def _bytes(n) -> str:
    return "-" if n is None else f"{n / 2**20:.2f} MiB"


def _latency(lat) -> str:
    if lat is None:
        return "not in the benchmark results"
    if lat.status != "ok" or lat.median_ms is None:
        return f"{lat.status}: {lat.reason or 'no time'}"
    return f"{lat.median_ms:.2f} ms"


def export_matrix(onnx: dict | None, lat: dict) -> str:
    """The export matrix: ONNX measured by this build; the other formats from the benchmark run
    (which exports through the same verified export layer: a timed format passed its check)."""
    from export.verify import TOLERANCES

    rows = []
    for runtime, quant, label in data.FORMATS:
        rec = lat.get((runtime, quant))
        metric, threshold = TOLERANCES[quant]
        bound = f"max-abs &le; {threshold:g}" if metric == "max_abs" else f"PSNR &ge; {threshold:g} dB"
        if runtime == "onnx" and onnx is not None:
            psnr = "identical" if onnx["psnr_db"] is None else f"{onnx['psnr_db']:.1f} dB"
            check = f"max-abs {onnx['max_abs_error']:.1e}, PSNR {psnr} (this build)"
            size = _bytes(onnx["bytes"]) + " (this page's file)"
            if rec is not None and rec.artifact_bytes and abs(rec.artifact_bytes - onnx["bytes"]) > 0.01 * onnx["bytes"]:
                size += f"; {_bytes(rec.artifact_bytes)} with float32 weights"
        elif rec is None:
            check, size = "not exported", "-"
        elif rec.status == "ok":
            check, size = f"passed ({bound})", _bytes(rec.artifact_bytes)
        else:
            check, size = ESC(f"{rec.status}: {rec.reason or '-'}"), _bytes(rec.artifact_bytes)
        rows.append(f"<tr><td>{label}</td><td>{size}</td><td>{check}</td><td>{ESC(_latency(rec))}</td></tr>")
    keras = lat.get(("keras_eager", None))
    runs = sorted({(v.run, v.started, v.device) for v in lat.values()})
    source = "; ".join(f"benchmarks/results/{r} ({s}, {d})" for r, s, d in runs) or "no committed benchmark run"
    foot = [f"Batch-1 latency: median per call from {ESC(source)}."]
    if keras is not None and keras.median_ms is not None:
        foot.append(f"A Keras eager call takes {keras.median_ms:.2f} ms there.")
    foot.append("Verification compares every artifact with the Keras generator on seeded latents at batch 64 "
                "and 1 (<code>gan-zoo export NAME --format all</code> writes them all with report.md).")
    return ('<section id="exports"><h2>Export matrix</h2><table><thead><tr><th>format</th><th>size</th>'
            '<th>verified against Keras</th><th>batch-1 latency</th></tr></thead><tbody>' + "".join(rows)
            + f'</tbody></table><p class="note">{" ".join(foot)}</p></section>')


def _feed_lines(name: str, inputs: list[dict]) -> list[str]:
    if len(inputs) == 1:
        i = inputs[0]
        return [f'feed = {{"{i["name"]}": np.random.default_rng(0).standard_normal((16, {i["shape"][-1]}))'
                '.astype(np.float32)}']
    shapes = ", ".join(f'"{i["name"]}": (16, {i["shape"][-1]})' for i in inputs)
    return ["import zoo", f'feed = zoo.load("{name}").sample_latents(16, seed=0)  # {{{shapes}}}']


def snippets(name: str, inputs: list[dict], image_shape) -> str:
    """Copy-paste usage from Python, the CLI, LiteRT and onnxruntime."""
    shape = ", ".join(str(d) for d in image_shape)
    names = {i["name"] for i in inputs}
    python = ["import zoo", "", f'm = zoo.load("{name}")   # shipped weights, sha256-checked, offline',
              f"images = m.sample(16, seed=0)   # float32 (16, {shape}) in [-1, 1]"]
    if "c_cat" in names:
        python.append("images = m.sample(16, seed=0, category=3, continuous=[0.5, -1])   # fixed codes")
    if "truncation_psi" in names:
        python.append("images = m.sample(16, seed=0, truncation_psi=0.7)   # truncation")
    cli = [f"gan-zoo sample {name} -n 64 --seed 0 -o {name}.png",
           f"gan-zoo interpolate {name} --seeds 0,1,2,3 --frames 60 -o walk.gif",
           f"gan-zoo export {name} --format all -o out/   # SavedModel, TF-Lite (4 kinds), ONNX; verified"]
    feed = _feed_lines(name, inputs)
    litert = ["import numpy as np", *feed, "from ai_edge_litert.interpreter import Interpreter", "",
              f'run = Interpreter(model_path="out/{name}.tflite").get_signature_runner("serving_default")',
              'images = run(**feed)["image"]']
    ort = ["import numpy as np", "import onnxruntime as ort", *feed, "",
           f'session = ort.InferenceSession("{name}.onnx", providers=["CPUExecutionProvider"])  # the file above',
           'images = session.run(["image"], feed)[0]']
    return "".join([
        '<section id="use"><h2>Use it</h2>', "<h3>Python</h3>", code_block("python", "\n".join(python)),
        "<h3>Command line</h3>", code_block("bash", "\n".join(cli)),
        "<h3>LiteRT (TF-Lite)</h3>", code_block("python", "\n".join(litert)),
        "<h3>onnxruntime</h3>", code_block("python", "\n".join(ort)), "</section>",
    ])


def card_html(markdown_text: str) -> str:
    """The Markdown model card as HTML: front matter, the generator comment and the title dropped."""
    import markdown

    text = re.sub(r"\A---\n.*?\n---\n", "", markdown_text, flags=re.S)
    text = re.sub(r"<!--.*?-->\n?", "", text, flags=re.S)
    text = re.sub(r"\A\s*# [^\n]*\n", "", text)
    body = markdown.markdown(text, extensions=["tables", "fenced_code"], output_format="html")
    return f'<section id="card"><h2>Model card</h2><div class="card">{body}</div></section>'


def config_script(config: dict) -> str:
    """The page config for gallery.js, as JSON that cannot close its script element."""
    text = json.dumps(config, sort_keys=True, separators=(",", ":")).replace("</", "<\\/")
    return f'<script type="application/json" id="ganzoo-config">{text}</script>'
