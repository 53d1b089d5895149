"""The site's HTML pages: the index of every entry and one page per entry.

Pages are plain HTML with relative links (``index.html``, ``models/NAME.html``,
``img/``, ``onnx/``, ``ort/``, ``assets/``), so the folder works from any path
of any static web server. No build time is embedded: the same inputs give the
same bytes.

Examples:
>>> page = shell("t", "<p>x</p>", root="")
>>> page.startswith("<!doctype html>"), 'rel="icon" href="data:,"' in page   # no favicon request
(True, True)
"""

from __future__ import annotations

import html

from gallery import sections

ESC = html.escape
TITLE = "gan-zoo gallery"


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("gan-zoo")
    except PackageNotFoundError:
        from zoo import __version__

        return __version__


def shell(title: str, body: str, root: str, scripts: tuple[str, ...] = ()) -> str:
    """A whole page: head (stylesheet, no favicon request), header, ``body``, footer, ``scripts``."""
    from gallery.runtime import ORT_VERSION

    tags = "".join(f'<script src="{root}{ESC(s)}"></script>' for s in scripts)
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{ESC(title)}</title><link rel="icon" href="data:,">'
        f'<link rel="stylesheet" href="{root}assets/style.css"></head>\n<body>'
        f'<header><a class="home" href="{root}index.html">{TITLE}</a>'
        '<span>GANs on Keras 3, running in your browser</span></header>\n'
        f"<main>{body}</main>\n"
        f"<footer>gan-zoo {ESC(_version())} &middot; built with <code>gan-zoo site</code> from the model cards, "
        f"figures, benchmark results and ONNX exports &middot; in-browser generation: onnxruntime-web "
        f"{ORT_VERSION}</footer>{tags}</body></html>\n"
    )


def _cell(label: str, value: str, cls: str = "") -> str:
    return f'<div class="stat{" " + cls if cls else ""}"><dt>{ESC(label)}</dt><dd>{ESC(value)}</dd></div>'


def index_page(entries: list[dict]) -> str:
    """The index: one card per entry (thumbnail, family, dataset, resolution, parameters,
    fid_domain beside the real-data floor, classes covered, links).

    ``entries``: :func:`gallery.data.summary` rows plus ``thumb`` (an ``img/`` name or None)
    and ``live`` (whether the page has an ONNX generator).
    """
    cards = []
    for e in entries:
        name = ESC(e["name"])
        thumb = (f'<img src="img/{ESC(e["thumb"])}" alt="{name} samples">' if e["thumb"]
                 else '<div class="missing">no sample grid</div>')
        links = [f'<a href="models/{name}.html">page</a>', f'<a href="models/{name}.html#card">model card</a>']
        if e["live"]:
            links += [f'<a href="models/{name}.html#live">try it</a>', f'<a href="onnx/{name}.onnx">ONNX</a>']
        stats = "".join([
            _cell("family", e["family"]), _cell("dataset", e["dataset"]), _cell("resolution", e["resolution"]),
            _cell("G params", e["params"]), _cell("fid_domain (lower is better)", e["fid"], "fid"),
            _cell("real-data floor", e["floor"]), _cell("classes covered", e["classes"]),
        ])
        cards.append(
            f'<article class="entry" id="{name}"><a class="thumb" href="models/{name}.html">{thumb}</a>'
            f'<h2><a href="models/{name}.html">{name}</a></h2><dl>{stats}</dl>'
            f'<p class="links">{" &middot; ".join(links)}</p></article>')
    intro = (f"<h1>{TITLE}</h1><p>Every entry of the zoo: samples of the shipped weights, the metrics of its "
             "model card (fid_domain: Fréchet distance in the features of the project's own classifier of the "
             "dataset, beside the real-data floor: real train images against the test split), and a page where "
             "its generator runs in this browser.</p>")
    return shell(TITLE, intro + f'<div class="entries">{"".join(cards)}</div>', root="")


def entry_page(e: dict, onnx: dict | None, reason: str | None, figures: dict, lat: dict, card_md: str) -> str:
    """One entry's page.

    Args:
        e: the entry's :func:`gallery.data.summary` row.
        onnx: ``{"inputs", "image_shape", "bytes", "opset", "max_abs_error", "psnr_db"}`` of the
            page's ONNX generator, or None (``reason`` says why).
        figures: ``{"grid": img name or None, "curve": img name or None, "family": [(img name, caption)]}``.
        lat: :func:`gallery.data.latencies` of the entry.
        card_md: the Markdown model card (``zoo.model_card_md.render``).
    """
    name = e["name"]
    badges = "".join(f"<span>{ESC(v)}</span>" for v in (e["family"], e["dataset"], e["resolution"],
                                                          f"{e['params']} G params"))
    head = (f'<h1>{ESC(name)}</h1><p class="badges">{badges}</p><p>{ESC(e["description"])}</p>'
            f'<p class="metrics">fid_domain <b>{ESC(e["fid"])}</b> (real-data floor {ESC(e["floor"])}) &middot; '
            f'classes covered <b>{ESC(e["classes"])}</b></p>'
            '<nav><a href="#live">try it</a> <a href="#figures">figures</a> <a href="#exports">export matrix</a> '
            '<a href="#use">use it</a> <a href="#card">model card</a></nav>')
    body = [head, sections.live_panel(name, onnx, reason),
            sections.figures_section(name, figures["grid"], figures["curve"], figures["family"]),
            sections.export_matrix(onnx, lat)]
    if onnx is not None:
        body.append(sections.snippets(name, onnx["inputs"], onnx["image_shape"]))
        config = {"name": name, "onnx": f"../onnx/{name}.onnx", "ort": "../ort/", "grid": sections.GRID,
                  "inputs": onnx["inputs"], "image_shape": list(onnx["image_shape"])}
        body.append(sections.config_script(config))
    body.append(sections.card_html(card_md))
    scripts = ("ort/ort.wasm.min.js", "assets/gallery.js") if onnx is not None else ("assets/gallery.js",)
    return shell(f"{name} - {TITLE}", "".join(body), root="../", scripts=scripts)
