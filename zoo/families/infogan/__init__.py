"""InfoGAN (Chen et al., 2016): unsupervised, interpretable latent codes."""

from zoo.families.infogan.discriminator import InfoGANDiscriminator
from zoo.families.infogan.generator import InfoGANGenerator
from zoo.families.infogan.model import InfoGANModel
from zoo.families.infogan.step import InfoGANStep

__all__ = ["InfoGANGenerator", "InfoGANDiscriminator", "InfoGANModel", "InfoGANStep"]
