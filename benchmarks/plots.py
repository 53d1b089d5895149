"""PNG plots: inference throughput vs batch size per runtime, and train-step speed per entry.

matplotlib is used when it is installed; it is not a dependency of the
project, so otherwise the same log-log line charts are drawn with Pillow
(which the zoo already needs for sample grids).
"""

from __future__ import annotations

import math
from pathlib import Path

from zoo import atomic

COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
          "#bcbd22", "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39"]


def line_chart(path, title: str, series: dict, xlabel: str, ylabel: str) -> Path:
    """A log-log line chart of ``{label: [(x, y), ...]}`` written to ``path`` (PNG).

    Examples:
    >>> line_chart("t.png", "demo", {"a": [(1, 10), (8, 70)]}, "batch", "images/s").name
    't.png'
    """
    series = {k: sorted(v) for k, v in series.items() if v}
    if not series:
        raise ValueError("no data to plot")
    path = Path(path)
    # Drawn aside, then renamed: never a half-written plot. The ".png" ending tells
    # matplotlib and Pillow the format.
    with atomic.replacing(path, suffix=".png") as tmp:
        _draw(tmp, title, series, xlabel, ylabel)
    return path


def _draw(path: Path, title, series, xlabel, ylabel) -> None:
    try:
        import matplotlib
    except ImportError:
        _pil_chart(path, title, series, xlabel, ylabel)
        return
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 5.6))
    for i, (label, pts) in enumerate(series.items()):
        ax.plot(*zip(*pts), marker="o", label=label, color=COLORS[i % len(COLORS)])
    ax.set(xscale="log", yscale="log", title=title, xlabel=xlabel, ylabel=ylabel)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1, 0.5))
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _pil_chart(path: Path, title, series, xlabel, ylabel) -> None:
    from PIL import Image, ImageDraw

    w, h, left, right, top, bottom = 1000, 560, 80, 260, 40, 60
    img = Image.new("RGB", (w, h), "white")
    draw = ImageDraw.Draw(img)
    xs = [x for pts in series.values() for x, _ in pts]
    ys = [y for pts in series.values() for _, y in pts if y > 0]
    lx0, lx1 = math.log10(min(xs)), math.log10(max(xs))
    ly0, ly1 = math.floor(math.log10(min(ys))), math.ceil(math.log10(max(ys)))
    lx0, lx1 = (lx0 - 0.1, lx1 + 0.1) if lx0 == lx1 else (lx0, lx1)
    ly1 = ly1 if ly1 > ly0 else ly0 + 1

    def px(x, y):
        fx = (math.log10(x) - lx0) / (lx1 - lx0)
        fy = (math.log10(y) - ly0) / (ly1 - ly0)
        return left + fx * (w - left - right), h - bottom - fy * (h - top - bottom)

    draw.rectangle([left, top, w - right, h - bottom], outline="black")
    for e in range(ly0, ly1 + 1):  # decades on y
        _, y = px(10**lx0, 10**e)
        draw.line([left, y, w - right, y], fill="#dddddd")
        draw.text((8, y - 6), f"{10**e:g}", fill="black")
    for x in sorted(set(xs)):  # the measured batch sizes on x
        gx, _ = px(x, 10**ly0)
        draw.line([gx, top, gx, h - bottom], fill="#eeeeee")
        draw.text((gx - 8, h - bottom + 6), f"{x:g}", fill="black")
    for i, (label, pts) in enumerate(series.items()):
        color = COLORS[i % len(COLORS)]
        coords = [px(x, y) for x, y in pts if y > 0]
        if len(coords) > 1:
            draw.line(coords, fill=color, width=2)
        for cx, cy in coords:
            draw.ellipse([cx - 3, cy - 3, cx + 3, cy + 3], fill=color)
        ly = top + 14 * i
        draw.line([w - right + 10, ly + 6, w - right + 30, ly + 6], fill=color, width=3)
        draw.text((w - right + 35, ly), label[:36], fill="black")
    draw.text((left, 12), title, fill="black")
    draw.text(((w - right + left) // 2 - 30, h - 24), xlabel + " (log)", fill="black")
    draw.text((8, top - 20), ylabel + " (log)", fill="black")
    img.save(path)


def write_plots(results: dict, out_dir) -> list[Path]:
    """Writes ``infer_<entry>.png`` per entry and ``train.png``; returns the paths written.

    Examples:
    >>> row = dict(status="ok", entry="dcgan-mnist", quantization=None, xla=False, mixed_precision=None)
    >>> results = {"records": [
    ...     {**row, "kind": "infer", "runtime": "onnx", "batch_size": b, "images_per_s": 100.0 * b} for b in (1, 8)
    ... ] + [{**row, "kind": "train", "impl": "zoo", "batch_size": 64, "images_per_s": 500.0}]}
    >>> [p.name for p in write_plots(results, "out")]
    ['infer_dcgan-mnist.png', 'train.png']
    """
    out_dir = Path(out_dir)
    ok = [r for r in results["records"] if r["status"] == "ok"]
    written = []
    for entry in sorted({r["entry"] for r in ok if r["kind"] == "infer"}):
        series = {}
        for r in ok:
            if r["kind"] == "infer" and r["entry"] == entry:
                label = r["runtime"] + (f" {r['quantization']}" if r["quantization"] else "")
                series.setdefault(label, []).append((r["batch_size"], r["images_per_s"]))
        written.append(line_chart(out_dir / f"infer_{entry}.png", f"{entry}: generator inference",
                                  series, "batch size", "images/s"))
    series = {}
    for r in ok:
        if r["kind"] == "train":
            label = f"{r['entry']} {r['impl']}" + (" XLA" if r["xla"] else "") + (
                f" {r['mixed_precision']}" if r["mixed_precision"] else "")
            series.setdefault(label, []).append((r["batch_size"], r["images_per_s"]))
    if series:
        written.append(line_chart(out_dir / "train.png", "GAN train step", series, "batch size", "images/s"))
    return written
