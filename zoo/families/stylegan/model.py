"""`StyleGANModel`: a `ZooModel` with StyleGAN's w space, truncation, noise and style mixing."""

from __future__ import annotations

import keras
import numpy as np

from zoo.families.stylegan.style_layer import NOISE_MODES
from zoo.families.stylegan.styles import broadcast_ws, mix_styles
from zoo.model import ZooModel, to_uint8


# Every generator call runs this many samples (the last chunk zero-padded); see StyleGANModel.
MICRO_BATCH = 32


class StyleGANModel(ZooModel):
    """Samples with a chosen truncation, and exposes mapping, synthesis and style mixing.

    Generator inputs (float32): ``z`` (N, latent_dim) standard normal and
    ``truncation_psi`` (N, 1), 1.0 unless chosen (no truncation; the psi the
    exported graph is verified with). ``sample(n, seed, truncation_psi=psi)``
    draws z with NumPy from the seed exactly as the base ``ZooModel`` does.

    Shapes of w: :meth:`mapping` returns one w per sample, (N, w_dim),
    untruncated. :meth:`synthesize` takes that, or per-layer styles
    (N, num_ws, w_dim) with layer 0 the coarsest (4x4); :meth:`truncate`
    and :meth:`mix` produce the latter. ``num_ws`` is 2 per resolution
    (8 for 32x32).

    Noise: ``"const"`` (default) uses the generator's stored maps, so the same
    w always gives the same image (this is what ``sample`` and the export
    use); ``"random"`` draws fresh N(0, 1) maps with NumPy from ``seed``;
    ``"none"`` adds no noise.

    Batching: float32 kernels round differently for different batch shapes
    and batch positions (about 1e-7 relative), and the chain of AdaIN
    layers amplifies that to about 2e-5 in the image. So every call here
    runs fixed micro-batches of ``MICRO_BATCH`` samples, the last one
    zero-padded: sample i always sits at the same position of a batch of
    the same shape, and the images do not depend on ``batch_size`` (kept
    for the ``ZooModel`` interface) or on how many are drawn at once.

    Examples:
    >>> import zoo
    >>> m = zoo.load("stylegan-fashion-mnist", weights=None)
    >>> m.sample(4, seed=0, truncation_psi=0.7).shape
    (4, 32, 32, 1)
    >>> w = m.mapping(m.sample_latents(4, seed=0)["z"])   # (4, w_dim)
    >>> m.synthesize(m.truncate(w, 0.7), noise_mode="random", seed=1).shape
    (4, 32, 32, 1)
    >>> m.mix(seed_a=1, seed_b=2, crossover=4).shape     # styles 0-3 from seed 1, 4-7 from seed 2
    (1, 32, 32, 1)
    """

    latent_distribution = "z: standard normal; truncation_psi: 1.0 (no truncation)"

    @property
    def num_ws(self) -> int:
        return self.generator.num_ws

    @property
    def w_dim(self) -> int:
        return self.generator.w_dim

    @property
    def w_avg(self) -> np.ndarray:
        """The running average of w, (w_dim,): the truncation centre."""
        return keras.ops.convert_to_numpy(self.generator.w_avg)

    def __repr__(self):
        return (f"StyleGANModel({self.name!r}, latent_dim={self.latent_dim}, w_dim={self.w_dim}, "
                f"num_ws={self.num_ws}, image_shape={self.image_shape})")

    def sample_latents(self, n: int, seed: int | None = 0, truncation_psi: float = 1.0) -> dict:
        """``{"z": (n, latent_dim) standard normal, "truncation_psi": (n, 1) filled with psi}``."""
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        if not np.isfinite(truncation_psi):
            raise ValueError(f"truncation_psi must be finite, got {truncation_psi}")
        z = np.random.default_rng(seed).standard_normal((n, self.latent_dim)).astype(np.float32)
        return {"z": z, "truncation_psi": np.full((n, 1), truncation_psi, np.float32)}

    def latent_info(self) -> dict:
        return {
            "z": {"shape": [self.latent_dim], "distribution": "standard normal"},
            "truncation_psi": {"shape": [1], "default": 1.0,
                               "meaning": "1: no truncation; 0: every sample gets the average w's styles"},
        }

    def generate(self, latents, batch_size: int = 256) -> np.ndarray:
        """Images for the given inputs (a dict, or z alone with psi 1), float32 in [-1, 1].
        Runs fixed micro-batches (see the class docstring), whatever ``batch_size`` is."""
        if not isinstance(latents, dict):
            z = np.asarray(latents, np.float32)
            latents = {"z": z, "truncation_psi": np.ones((len(z), 1), np.float32)} if z.ndim == 2 else latents
        inputs = self._check_inputs(latents)
        names = list(inputs)
        images = self._fixed_batches(lambda *a: self.generator(dict(zip(names, a)), training=False),
                                     [inputs[k] for k in names], self.image_shape)
        return np.clip(images, -1.0, 1.0).astype(np.float32)

    def sample(self, n: int, seed: int | None = 0, truncation_psi: float = 1.0, batch_size: int = 256,
               as_uint8: bool = False) -> np.ndarray:
        """``n`` images (n, H, W, C) float32 in [-1, 1] with constant noise; psi 1 is untruncated.
        ``as_uint8=True``: uint8 0..255 instead (``zoo.model.to_uint8``)."""
        images = self.generate(self.sample_latents(n, seed, truncation_psi), batch_size)
        return to_uint8(images) if as_uint8 else images

    # -- w space ---------------------------------------------------------------
    def mapping(self, z) -> np.ndarray:
        """w = mapping(z): (N, latent_dim) -> (N, w_dim) float32, untruncated."""
        z = np.asarray(z, np.float32)
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"z must have shape (N, {self.latent_dim}), got {z.shape}")
        return self._fixed_batches(lambda b: self.generator.mapping(b, training=False), [z], (self.w_dim,))

    def truncate(self, w, truncation_psi: float = 1.0) -> np.ndarray:
        """Per-layer styles (N, num_ws, w_dim) pulled towards ``w_avg`` on the cutoff layers."""
        w = self._check_w(w)
        psi = np.full((len(w), 1), truncation_psi, np.float32)
        return keras.ops.convert_to_numpy(self.generator.truncation(w, psi)).astype(np.float32)

    def synthesize(self, w, noise_mode: str = "const", seed: int | None = 0) -> np.ndarray:
        """Images (N, H, W, C) in [-1, 1] from w (N, w_dim) or styles (N, num_ws, w_dim).

        ``seed`` only matters for ``noise_mode="random"``: the maps are drawn
        with NumPy, so the same seed gives the same noise.
        """
        if noise_mode not in NOISE_MODES:
            raise ValueError(f"noise_mode must be one of {NOISE_MODES}, got {noise_mode!r}")
        ws = keras.ops.convert_to_numpy(broadcast_ws(self._check_w(w), self.num_ws)).astype(np.float32)
        noise = []
        if noise_mode == "random":
            rng = np.random.default_rng(seed)
            noise = [rng.standard_normal((len(ws), *s)).astype(np.float32) for s in self.generator.synthesis.noise_shapes]

        def run(ws, *maps):
            return self.generator.synthesis(ws, noise_mode=noise_mode, noise=list(maps) or None, training=False)

        images = self._fixed_batches(run, [ws, *noise], self.image_shape)
        return np.clip(images, -1.0, 1.0).astype(np.float32)

    # -- style mixing ----------------------------------------------------------
    def mix(self, seed_a, seed_b, crossover: int, truncation_psi: float = 1.0, noise_mode: str = "const") -> np.ndarray:
        """Images whose styles ``0 .. crossover - 1`` (coarse) come from seed_a and the rest from seed_b.

        Each seed's w is that of ``sample(1, seed=s)``, so ``crossover=0`` gives
        ``sample(1, seed=seed_b)`` and ``crossover=num_ws`` gives
        ``sample(1, seed=seed_a)`` (with the same psi). ``seed_a`` and
        ``seed_b`` are ints or equal-length sequences (one image per pair);
        returns (n_pairs, H, W, C).
        """
        if not 0 <= int(crossover) <= self.num_ws:
            raise ValueError(f"crossover must be in [0, {self.num_ws}], got {crossover}")
        a, b = np.atleast_1d(seed_a), np.atleast_1d(seed_b)
        if a.shape != b.shape or a.ndim != 1:
            raise ValueError(f"seed_a and seed_b must be ints or sequences of equal length, got {seed_a}, {seed_b}")
        ws_a = self.truncate(self._seed_ws(a), truncation_psi)
        ws_b = self.truncate(self._seed_ws(b), truncation_psi)
        return self.synthesize(keras.ops.convert_to_numpy(mix_styles(ws_a, ws_b, int(crossover))), noise_mode=noise_mode)

    def mixing_grid(self, row_seeds, col_seeds, crossover: int, truncation_psi: float = 1.0) -> np.ndarray:
        """The paper's figure, row-major ((R + 1) * (C + 1) images): a blank corner,
        the column seeds' images on top, the row seeds' images on the left, and
        cell (r, c) = ``mix(row_seeds[r], col_seeds[c], crossover)``: coarse
        styles from the row, fine ones from the column."""
        rows, cols = [int(s) for s in row_seeds], [int(s) for s in col_seeds]
        if not rows or not cols:
            raise ValueError("need at least one row seed and one column seed")
        top = self.mix(cols, cols, self.num_ws, truncation_psi)
        left = self.mix(rows, rows, self.num_ws, truncation_psi)
        cells = self.mix(np.repeat(rows, len(cols)), np.tile(cols, len(rows)), crossover, truncation_psi)
        blank = np.full((1, *self.image_shape), -1.0, np.float32)
        out = [blank, top]
        for r in range(len(rows)):
            out += [left[r : r + 1], cells[r * len(cols) : (r + 1) * len(cols)]]
        return np.concatenate(out)

    def truncation_strip(self, seeds, psis) -> np.ndarray:
        """Row-major (len(seeds) * len(psis)) images: row r is ``sample(1, seed=seeds[r])``
        at each psi (psi 0: the average image for every seed; psi 1: untruncated)."""
        seeds, psis = [int(s) for s in seeds], [float(p) for p in psis]
        if not seeds or not psis:
            raise ValueError("need at least one seed and one psi")
        ws = np.repeat(self._seed_ws(seeds), len(psis), axis=0)  # (S * P, w_dim)
        psi = np.tile(np.asarray(psis, np.float32), len(seeds))[:, None]  # (S * P, 1)
        return self.synthesize(keras.ops.convert_to_numpy(self.generator.truncation(ws, psi)))

    # -- helpers ---------------------------------------------------------------
    def _seed_ws(self, seeds) -> np.ndarray:
        """(len(seeds), w_dim): the w of ``sample(1, seed=s)`` for every seed."""
        z = np.concatenate([self.sample_latents(1, int(s))["z"] for s in seeds])
        return self.mapping(z)

    def _check_w(self, w) -> np.ndarray:
        w = np.asarray(w, np.float32)
        if not (w.ndim == 2 and w.shape[1] == self.w_dim or w.ndim == 3 and w.shape[1:] == (self.num_ws, self.w_dim)):
            raise ValueError(f"w must be (N, {self.w_dim}) or (N, {self.num_ws}, {self.w_dim}), got {w.shape}")
        return w

    @staticmethod
    def _fixed_batches(fn, arrays: list, out_shape: tuple) -> np.ndarray:
        """``fn(*chunks)`` over chunks of exactly MICRO_BATCH rows of every array (the
        last zero-padded; padded rows are dropped), concatenated: (N, *out_shape)."""
        n, out = len(arrays[0]), []
        for i in range(0, n, MICRO_BATCH):
            m = min(MICRO_BATCH, n - i)
            chunks = [np.concatenate([a[i : i + m], np.zeros((MICRO_BATCH - m, *a.shape[1:]), a.dtype)])
                      for a in arrays]
            out.append(keras.ops.convert_to_numpy(fn(*chunks))[:m])
        return np.concatenate(out).astype(np.float32) if out else np.zeros((0, *out_shape), np.float32)
