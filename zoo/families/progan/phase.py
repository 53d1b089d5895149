"""One point of a ProGAN growth schedule."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Phase:
    """Where training stands after ``images_seen`` images.

    Args:
        index: 0 for the 4x4 stabilisation, then fade/stabilise alternating.
        resolution: the active resolution.
        fading: True while the block of ``resolution`` is faded in.
        alpha: fade-in weight in [0, 1]; 1 outside fade-in phases.
        start: images seen when this phase began.
        length: images in this phase (None for the open-ended last phase).

    Examples:
    >>> Phase(index=1, resolution=8, fading=True, alpha=0.25, start=1000, length=1000).key
    (8, True)
    """

    index: int
    resolution: int
    fading: bool
    alpha: float
    start: int
    length: int | None

    @property
    def key(self) -> tuple:
        """What selects the compiled graph: (resolution, fading)."""
        return (self.resolution, self.fading)
