"""DCGAN (Radford, Metz and Chintala, 2016)."""

from zoo.families.dcgan.discriminator import DCGANDiscriminator
from zoo.families.dcgan.generator import DCGANGenerator

__all__ = ["DCGANGenerator", "DCGANDiscriminator"]
