"""The ProGAN growth schedule: images per fade-in and per stabilisation phase."""

from __future__ import annotations

import dataclasses

from zoo.families.progan.phase import Phase


@dataclasses.dataclass(frozen=True)
class GrowthSchedule:
    """Fade-in / stabilisation phases from 4x4 to the final resolution, in images seen.

    Phases: stabilise at 4x4 for ``stabilise_images``; then for every higher
    resolution R, fade R in over ``fade_images`` (alpha rising linearly from 0
    to 1) and stabilise at R for ``stabilise_images``. The last stabilisation
    phase is open-ended: training stops where the recipe's epochs end. Phases
    are counted in images, as in the paper, so the schedule does not depend on
    the batch size.

    Args:
        resolutions: the growth ladder, 4x4 first.
        fade_images: images per fade-in phase.
        stabilise_images: images per stabilisation phase (all but the last).

    Examples:
    >>> s = GrowthSchedule((4, 8), fade_images=100, stabilise_images=100)
    >>> s.phase_at(150).resolution, s.phase_at(150).alpha
    (8, 0.5)
    """

    resolutions: tuple = (4, 8, 16, 32)
    fade_images: int = 600_000
    stabilise_images: int = 600_000

    def __post_init__(self):
        if not self.resolutions or self.resolutions[0] != 4:
            raise ValueError(f"resolutions must start at 4, got {self.resolutions}")
        if any(b != 2 * a for a, b in zip(self.resolutions, self.resolutions[1:])):
            raise ValueError(f"resolutions must double at every step, got {self.resolutions}")
        if self.fade_images <= 0 or self.stabilise_images <= 0:
            raise ValueError("fade_images and stabilise_images must be positive")

    def phases(self) -> list[tuple]:
        """(resolution, fading, start, length) of every phase; the last has length None."""
        out, start = [(4, False, 0, self.stabilise_images)], self.stabilise_images
        for r in self.resolutions[1:]:
            out.append((r, True, start, self.fade_images))
            start += self.fade_images
            out.append((r, False, start, self.stabilise_images))
            start += self.stabilise_images
        r, fading, start, _ = out[-1]
        out[-1] = (r, fading, start, None)
        return out

    @property
    def images_to_final_resolution(self) -> int:
        """Images seen when the last (open-ended) stabilisation phase starts."""
        return self.phases()[-1][2]

    def phase_at(self, images_seen: int) -> Phase:
        """The phase (and fade-in alpha) after ``images_seen`` training images."""
        if images_seen < 0:
            raise ValueError(f"images_seen must be >= 0, got {images_seen}")
        phases = self.phases()
        index = max(i for i, p in enumerate(phases) if p[2] <= images_seen)
        resolution, fading, start, length = phases[index]
        alpha = min(1.0, (images_seen - start) / length) if fading else 1.0
        return Phase(index, resolution, fading, alpha, start, length)
