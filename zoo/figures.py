"""Line plots with matplotlib: one look for every plot the project writes (benchmarks, curves).

Image grids are drawn pixel for pixel by :mod:`zoo.images`; plots with axes go
through :func:`new_axes` and :func:`save_figure` here, so they share a size,
labelled axes, a light grid and an atomic write. matplotlib is imported on
first use only (the Agg backend: no display needed).
"""

from __future__ import annotations

from pathlib import Path

DPI = 100


def new_axes(width_px: int = 900, height_px: int = 560):
    """A matplotlib ``(figure, axes)`` of exactly ``width_px`` x ``height_px`` pixels once saved
    (constrained layout keeps an outside legend inside the picture)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(width_px / DPI, height_px / DPI), dpi=DPI, layout="constrained")


def style_axes(ax, *, title: str, xlabel: str, ylabel: str, log: bool = True, legend_outside: bool = False) -> None:
    """Title, both axis labels (with "(log scale)" when ``log``), a light grid and the legend."""
    if log:
        from matplotlib.ticker import FuncFormatter

        ax.set(xscale="log", yscale="log")
        xlabel, ylabel = f"{xlabel} (log scale)", f"{ylabel} (log scale)"
        # Plain numbers ("20", "300") instead of "2 x 10^1"; of the minor ticks 2s, 3s and 5s are labelled.
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        minor = FuncFormatter(lambda v, _: f"{v:g}" if f"{v:.0e}"[0] in "235" else "")
        ax.xaxis.set_minor_formatter(minor)
        ax.yaxis.set_minor_formatter(minor)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    ax.grid(True, which="both", alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        if legend_outside:
            ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
        else:
            ax.legend(fontsize=8)


def save_figure(fig, path) -> Path:
    """Writes ``fig`` as a PNG atomically (:mod:`zoo.atomic`) and closes it.

    Examples:
    >>> fig, ax = new_axes(400, 300)
    >>> _ = ax.plot([1, 10, 100], [5.0, 40.0, 90.0], marker="o", label="a")
    >>> style_axes(ax, title="demo", xlabel="batch size", ylabel="images/s")
    >>> path = save_figure(fig, "demo.png")
    >>> from PIL import Image
    >>> Image.open(path).size
    (400, 300)
    """
    import matplotlib.pyplot as plt

    from zoo import atomic

    path = Path(path)
    try:
        with atomic.replacing(path, suffix=".png") as tmp:  # the ending tells matplotlib the format
            fig.savefig(tmp, dpi=DPI)
    finally:
        plt.close(fig)
    return path
