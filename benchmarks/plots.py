"""PNG plots: inference throughput vs batch size per runtime, and train-step speed per entry.

Drawn with matplotlib through :mod:`zoo.figures` (the styling every plot of
the project shares): log-log line charts with labelled axes and a legend.
"""

from __future__ import annotations

from pathlib import Path

from zoo import figures

COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
          "#bcbd22", "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39"]
PLOT_SIZE_PX = (900, 560)  # width, height of every benchmark plot


def line_chart(path, title: str, series: dict, xlabel: str, ylabel: str) -> Path:
    """A log-log line chart of ``{label: [(x, y), ...]}`` written to ``path`` (PNG, atomically).

    Examples:
    >>> line_chart("t.png", "demo", {"a": [(1, 10), (8, 70)]}, "batch", "images/s").name
    't.png'
    """
    series = {k: sorted(v) for k, v in series.items() if v}
    if not series:
        raise ValueError("no data to plot")
    fig, ax = figures.new_axes(*PLOT_SIZE_PX)
    for i, (label, pts) in enumerate(series.items()):
        style = ("-", "--", ":")[i // len(COLORS) % 3]  # more series than colours: another line style
        ax.plot(*zip(*pts), marker="o", label=label, color=COLORS[i % len(COLORS)], linestyle=style)
    figures.style_axes(ax, title=title, xlabel=xlabel, ylabel=ylabel, legend_outside=True)
    xs = sorted({x for pts in series.values() for x, _ in pts})
    ax.set_xticks(xs, [f"{x:g}" for x in xs], minor=False)  # the measured batch sizes, not decades only
    ax.set_xticks([], minor=True)
    return figures.save_figure(fig, path)


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
