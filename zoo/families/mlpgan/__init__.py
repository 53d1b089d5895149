"""The original fully connected GAN (Goodfellow et al., 2014)."""

from zoo.families.mlpgan.discriminator import MLPDiscriminator
from zoo.families.mlpgan.generator import MLPGenerator

__all__ = ["MLPGenerator", "MLPDiscriminator"]
