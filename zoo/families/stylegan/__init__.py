"""StyleGAN (Karras et al., 2019): mapping network, AdaIN styles, noise inputs, mixing, truncation."""

from zoo.families.stylegan.discriminator import StyleGANDiscriminator
from zoo.families.stylegan.generator import StyleGANGenerator
from zoo.families.stylegan.mapping import MappingNetwork
from zoo.families.stylegan.model import StyleGANModel
from zoo.families.stylegan.step import StyleGANStep
from zoo.families.stylegan.style_layer import StyleLayer
from zoo.families.stylegan.synthesis import SynthesisNetwork
from zoo.families.stylegan.truncation import Truncation

__all__ = [
    "MappingNetwork",
    "StyleGANDiscriminator",
    "StyleGANGenerator",
    "StyleGANModel",
    "StyleGANStep",
    "StyleLayer",
    "SynthesisNetwork",
    "Truncation",
]
