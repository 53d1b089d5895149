"""Progressive GAN (Karras et al., 2018): growing 4x4 -> 32x32 with fade-in."""

from zoo.families.progan.discriminator import ProGANDiscriminator
from zoo.families.progan.generator import ProGANGenerator
from zoo.families.progan.model import ProGANModel
from zoo.families.progan.recipe import ProGANRecipe
from zoo.families.progan.schedule import GrowthSchedule
from zoo.families.progan.step import ProGANStep

__all__ = [
    "GrowthSchedule",
    "ProGANDiscriminator",
    "ProGANGenerator",
    "ProGANModel",
    "ProGANRecipe",
    "ProGANStep",
]
