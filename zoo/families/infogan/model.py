"""`InfoGANModel`: a `ZooModel` with control over InfoGAN's latent codes."""

from __future__ import annotations

import keras
import numpy as np

from zoo.families.infogan.generator import NOISE, noise_of, sample_noise
from zoo.model import ZooModel, to_uint8


class InfoGANModel(ZooModel):
    """Samples with chosen codes, reads codes back with Q, and draws traversals.

    Generator inputs (all float32): ``z`` (N, 62) noise, standard normal or
    uniform on [-1, 1) as the generator was trained (its config's ``noise``,
    :attr:`noise`), ``c_cat`` (N, 10) one-hot of a uniform category, ``c_cont``
    (N, 2) uniform on [-1, 1]. Codes are drawn after the noise from the same seed, so fixing
    a code leaves the noise of that seed unchanged. The category indices are
    arbitrary: training finds the digit classes unsupervised, in its own order.

    Examples:
    >>> import zoo
    >>> m = zoo.load("infogan-mnist", with_discriminator=True)
    >>> x = m.sample(64, seed=0, category=3)   # all 64 share categorical code 3
    >>> x.shape
    (64, 28, 28, 1)
    >>> codes = m.infer_codes(x)               # Q reads the codes back
    >>> codes["category"].shape, codes["continuous"].shape
    ((64, 10), (64, 2))
    >>> int(np.bincount(codes["category"].argmax(axis=1)).argmax())
    3
    >>> m.noise, m.latent_distribution
    ('uniform', 'z: uniform on [-1, 1); c_cat: one-hot of a uniform category; c_cont: uniform on [-1, 1]')
    """

    @property
    def noise(self) -> str:
        """The distribution of ``z``: the generator config's ``noise`` ("normal" or "uniform"),
        the one the training step drew (zoo.families.infogan.generator.noise_of)."""
        return noise_of(self.preset.generator_config)

    @property
    def latent_distribution(self) -> str:
        """How :meth:`sample_latents` draws the inputs, in words (export cards)."""
        return f"z: {NOISE[self.noise]}; c_cat: one-hot of a uniform category; c_cont: uniform on [-1, 1]"

    def latent_info(self) -> dict:
        """Every generator input's shape and distribution, for model and export cards."""
        return {
            "z": {"shape": [self.latent_dim], "distribution": NOISE[self.noise]},
            "c_cat": {"shape": [self.num_categories], "distribution": "one-hot of a uniform category"},
            "c_cont": {"shape": [self.num_continuous], "distribution": "uniform on [-1, 1]"},
        }

    def _input_size(self, name: str) -> int:
        (t,) = [t for t in self.generator.inputs if t.name.split(":")[0] == name]
        return int(t.shape[-1])

    @property
    def num_categories(self) -> int:
        return self._input_size("c_cat")

    @property
    def num_continuous(self) -> int:
        return self._input_size("c_cont")

    def __repr__(self):
        return (f"InfoGANModel({self.name!r}, latent_dim={self.latent_dim}, categories={self.num_categories}, "
                f"continuous={self.num_continuous}, image_shape={self.image_shape})")

    # -- codes -----------------------------------------------------------------
    def _categories(self, category, n: int) -> np.ndarray:
        """An int or n ints in [0, K) -> (n,) int64; anything else is a ValueError."""
        k = self.num_categories
        a = np.asarray(category)
        if a.dtype == bool or not (np.issubdtype(a.dtype, np.integer) or np.issubdtype(a.dtype, np.floating)):
            raise ValueError(f"category must be an integer in [0, {k}) or {n} of them, got {category!r}")
        if np.issubdtype(a.dtype, np.floating) and not (np.isfinite(a).all() and (a == np.round(a)).all()):
            raise ValueError(f"category must be a whole number in [0, {k}), got {category!r}")
        if a.ndim == 0:
            a = np.full(n, a)
        if a.shape != (n,):
            raise ValueError(f"category must be one integer or {n} of them, got shape {a.shape}")
        if n and (a.min() < 0 or a.max() >= k):
            raise ValueError(f"category must be in [0, {k}), got {a[(a < 0) | (a >= k)][0]}")
        return a.astype(np.int64)

    def _continuous(self, continuous, n: int) -> np.ndarray:
        """C values (shared) or an (n, C) array -> (n, C) float32."""
        c = self.num_continuous
        try:
            a = np.asarray(continuous, dtype=np.float32)
        except (TypeError, ValueError):
            raise ValueError(f"continuous must be {c} numbers or an (n, {c}) array, got {continuous!r}") from None
        if a.shape == (c,):
            a = np.broadcast_to(a, (n, c))
        if a.shape != (n, c):
            raise ValueError(f"continuous must be {c} numbers or an ({n}, {c}) array, got shape {a.shape}")
        if not np.isfinite(a).all():
            raise ValueError(f"continuous codes must be finite, got {continuous!r}")
        return np.array(a, dtype=np.float32)

    def sample_latents(self, n: int, seed: int | None = 0, category=None, continuous=None) -> dict:
        """Generator inputs for ``n`` samples, drawn with NumPy (backend-independent).

        ``z`` comes from the generator's noise distribution (:attr:`noise`).

        Args:
            n: number of samples.
            seed: seed of the noise and of the codes that are not fixed.
            category: None (uniform), an int in [0, K) for all samples, or n ints.
            continuous: None (uniform on [-1, 1]), C numbers for all samples,
                or an (n, C) array. Values outside [-1, 1] extrapolate beyond
                the training range (the paper's traversals use [-2, 2]).
        """
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        rng = np.random.default_rng(seed)
        z = sample_noise(rng, n, self.latent_dim, self.noise)
        cat = rng.integers(0, self.num_categories, n)
        cont = rng.uniform(-1.0, 1.0, (n, self.num_continuous)).astype(np.float32)
        if category is not None:
            cat = self._categories(category, n)
        if continuous is not None:
            cont = self._continuous(continuous, n)
        one_hot = np.eye(self.num_categories, dtype=np.float32)[cat]  # (n, K)
        return {"z": z, "c_cat": one_hot, "c_cont": cont}

    def sample_inputs(self, n: int, seed: int | None = 0) -> dict:
        """Every generator input for ``n`` samples (used by the export layer)."""
        return self.sample_latents(n, seed)

    def sample(self, n: int, seed: int | None = 0, category=None, continuous=None,
               batch_size: int = 256, as_uint8: bool = False) -> np.ndarray:
        """``n`` images (n, H, W, C) float32 in [-1, 1], optionally with fixed codes
        (see :meth:`sample_latents`); the same arguments give the same images.
        ``as_uint8=True``: uint8 0..255 instead (``zoo.model.to_uint8``)."""
        images = self.generate(self.sample_latents(n, seed, category, continuous), batch_size)
        return to_uint8(images) if as_uint8 else images

    # -- Q ---------------------------------------------------------------------
    def infer_codes(self, images, batch_size: int = 256) -> dict:
        """Q's posterior for images in [-1, 1] of shape (N, H, W, C).

        Returns:
            ``{"category": (N, K) probabilities summing to 1,
            "continuous": (N, C) Gaussian means}``, float32 NumPy arrays.

        Raises:
            ValueError: when the model was loaded without its discriminator
                (Q shares the discriminator's body) or the images have the
                wrong shape.
        """
        if self.discriminator is None:
            raise ValueError(
                f"infer_codes needs Q, which shares the discriminator: load it with "
                f"zoo.load({self.name!r}, with_discriminator=True)"
            )
        x = np.asarray(images, dtype=np.float32)
        if x.ndim != 4 or x.shape[1:] != self.image_shape:
            raise ValueError(f"images must have shape (N, {', '.join(map(str, self.image_shape))}), got {x.shape}")
        probs, means = [], []
        for i in range(0, len(x), batch_size):
            out = self.discriminator(x[i : i + batch_size], training=False)
            logits = keras.ops.convert_to_numpy(out["cat_logits"]).astype(np.float64)  # softmax in float64: sums to 1
            e = np.exp(logits - logits.max(axis=1, keepdims=True))
            probs.append((e / e.sum(axis=1, keepdims=True)).astype(np.float32))
            means.append(keras.ops.convert_to_numpy(out["cont_mean"]).astype(np.float32))
        if not probs:
            return {"category": np.zeros((0, self.num_categories), np.float32),
                    "continuous": np.zeros((0, self.num_continuous), np.float32)}
        return {"category": np.concatenate(probs), "continuous": np.concatenate(means)}

    # -- traversals ------------------------------------------------------------
    def code_names(self) -> list[str]:
        """Codes a traversal can vary: "category", "c1", ..., "cC"."""
        return ["category"] + [f"c{j + 1}" for j in range(self.num_continuous)]

    def traversal_latents(self, code: str, rows: int = 10, cols: int | None = None, seed: int | None = 0,
                          span: float = 2.0) -> dict:
        """Inputs for the classic figure, row-major (rows * cols samples).

        Each row has its own noise (row r of ``sample_latents(rows, seed)``);
        the columns vary ``code``: every category in order (``cols`` defaults
        to K), or ``cols`` (default 10) evenly spaced values in [-span, span]
        for a continuous code. For continuous traversals row r uses category
        r mod K and the other continuous codes are 0, so each row shows one
        category's style changing.
        """
        if code not in self.code_names():
            raise ValueError(f"code must be one of {', '.join(self.code_names())}, got {code!r}")
        if rows < 1 or (cols is not None and cols < 1):
            raise ValueError(f"rows and cols must be >= 1, got {rows} and {cols}")
        k = self.num_categories
        base = self.sample_latents(rows, seed)
        if code == "category":
            cols = cols or k
            cat = np.tile(np.arange(cols) % k, rows)  # (rows * cols,)
            cont = np.repeat(base["c_cont"], cols, axis=0)
        else:
            cols = cols or 10
            j = int(code[1:]) - 1
            cat = np.repeat(np.arange(rows) % k, cols)
            cont = np.zeros((rows * cols, self.num_continuous), np.float32)
            cont[:, j] = np.tile(np.linspace(-span, span, cols, dtype=np.float32), rows)
        return {
            "z": np.repeat(base["z"], cols, axis=0),
            "c_cat": np.eye(k, dtype=np.float32)[cat],
            "c_cont": cont,
        }

    def traverse(self, code: str, rows: int = 10, cols: int | None = None, seed: int | None = 0,
                 span: float = 2.0) -> np.ndarray:
        """Images (rows * cols, H, W, C) of :meth:`traversal_latents`, row-major."""
        return self.generate(self.traversal_latents(code, rows, cols, seed, span))
