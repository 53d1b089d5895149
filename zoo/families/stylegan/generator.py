"""StyleGAN generator (Karras et al., 2019): mapping, truncation and synthesis in one model."""

from __future__ import annotations

import keras

from zoo.families.stylegan.mapping import MappingNetwork
from zoo.families.stylegan.synthesis import SynthesisNetwork
from zoo.families.stylegan.truncation import Truncation

INPUT_NAMES = ("z", "truncation_psi")


@keras.saving.register_keras_serializable(package="zoo")
class StyleGANGenerator(keras.Model):
    """(z, truncation_psi) -> image: ``synthesis(truncation(mapping(z), psi))`` with constant noise.

    The Functional graph (what ``zoo.load(...).generator`` runs and what
    export traces) takes two named inputs: ``z`` (N, latent_dim) standard
    normal and ``truncation_psi`` (N, 1), 1.0 for no truncation. It maps z to
    w (N, w_dim), broadcasts and truncates it to the per-layer styles
    ws (N, num_ws, w_dim), and synthesises with each layer's stored noise
    map, so the graph has no random op and the same inputs always give the
    same image.

    Training and the family API use the three parts directly:
    ``mapping`` (:class:`MappingNetwork`), ``truncation``
    (:class:`Truncation`, which holds ``w_avg``) and ``synthesis``
    (:class:`SynthesisNetwork`, with random or no noise and mixed styles).

    Args:
        latent_dim: size of z.
        w_dim: size of w.
        mapping_layers: dense layers of the mapping network.
        mapping_lr_multiplier: learning-rate multiplier of the mapping network (0.01).
        resolution: output size (a power of two >= 4).
        filters: synthesis channels per resolution, 4x4 first.
        image_channels: channels of the output image.
        leaky_slope: LeakyReLU slope of both networks.
        truncation_cutoff: psi applies to styles ``0 .. cutoff - 1``; None for all.
        noise_seed: NumPy seed of the stored noise maps (layer i uses ``noise_seed + i``).

    Examples:
    >>> g = StyleGANGenerator(latent_dim=16, w_dim=16, mapping_layers=2, filters=(16, 16, 8, 8))
    >>> tuple(g({"z": np.zeros((2, 16), "float32"), "truncation_psi": np.ones((2, 1), "float32")}).shape)
    (2, 32, 32, 1)
    >>> g.num_ws
    8
    """

    # Layers a quantised TF-Lite export keeps in float32 (paths below the generator, read by
    # export.tflite_precision; measured in docs/export-quantisation.md). The w path (mapping network,
    # then the 16 style affines) feeds every layer, so rounding there moves every style: float16
    # mapping weights alone give 0.021 max error, all the others together 0.006. int8 also loses
    # AdaIN: one scale per tensor cannot hold per-channel statistics (its RSQRT multiplies the error ~4x).
    tflite_float32_layers = {"float16": ("mapping", "synthesis/*/style_*"), "int8": ("mapping", "synthesis/*/adain")}

    def __init__(self, latent_dim: int = 128, w_dim: int = 128, mapping_layers: int = 4,
                 mapping_lr_multiplier: float = 0.01, resolution: int = 32, filters=(128, 128, 64, 32),
                 image_channels: int = 1, leaky_slope: float = 0.2, truncation_cutoff: int | None = None,
                 noise_seed: int = 0, **kwargs):
        mapping = MappingNetwork(latent_dim, w_dim, mapping_layers, lr_multiplier=mapping_lr_multiplier,
                                 leaky_slope=leaky_slope, name="mapping")
        synthesis = SynthesisNetwork(resolution, filters, w_dim, image_channels, leaky_slope=leaky_slope,
                                     noise_seed=noise_seed, name="synthesis")
        truncation = Truncation(synthesis.num_ws, w_dim, truncation_cutoff, name="truncation")
        z = keras.Input((latent_dim,), name="z")
        psi = keras.Input((1,), name="truncation_psi")
        ws = truncation(mapping(z), psi)  # (N, num_ws, w_dim)
        image = synthesis(ws)  # (N, R, R, C), constant noise
        super().__init__(inputs={"z": z, "truncation_psi": psi}, outputs=image, **kwargs)
        self.mapping = mapping
        self.synthesis = synthesis
        self.truncation = truncation
        self.latent_dim = int(latent_dim)
        self.w_dim = int(w_dim)
        self.mapping_layers = int(mapping_layers)
        self.mapping_lr_multiplier = float(mapping_lr_multiplier)
        self.resolution = int(resolution)
        self.filters = tuple(filters)
        self.image_channels = int(image_channels)
        self.leaky_slope = float(leaky_slope)
        self.truncation_cutoff = truncation_cutoff
        self.noise_seed = int(noise_seed)

    @property
    def num_ws(self) -> int:
        """Per-layer styles the synthesis network reads (2 per resolution)."""
        return self.synthesis.num_ws

    @property
    def w_avg(self):
        """The running average of w, (w_dim,): the truncation centre."""
        return self.truncation.w_avg

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "latent_dim": self.latent_dim,
            "w_dim": self.w_dim,
            "mapping_layers": self.mapping_layers,
            "mapping_lr_multiplier": self.mapping_lr_multiplier,
            "resolution": self.resolution,
            "filters": self.filters,
            "image_channels": self.image_channels,
            "leaky_slope": self.leaky_slope,
            "truncation_cutoff": self.truncation_cutoff,
            "noise_seed": self.noise_seed,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)
