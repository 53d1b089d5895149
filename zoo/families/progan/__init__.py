"""Progressive GAN (Karras et al., 2018): growing 4x4 -> 32x32 with fade-in."""

from zoo.lazy import lazy_exports

__all__ = [
    "GrowthSchedule",
    "ProGANDiscriminator",
    "ProGANGenerator",
    "ProGANModel",
    "ProGANRecipe",
    "ProGANStep",
]

# Each public name and the module it comes from, imported on first use: importing this package
# (as the ``gan-zoo`` parser does through its ``growth`` entry point) must not import Keras or TensorFlow.
_LAZY = {
    "ProGANDiscriminator": "zoo.families.progan.discriminator",
    "ProGANGenerator": "zoo.families.progan.generator",
    "ProGANModel": "zoo.families.progan.model",
    "ProGANRecipe": "zoo.families.progan.recipe",
    "GrowthSchedule": "zoo.families.progan.schedule",
    "ProGANStep": "zoo.families.progan.step",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
