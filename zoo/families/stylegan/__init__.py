"""StyleGAN (Karras et al., 2019): mapping network, AdaIN styles, noise inputs, mixing, truncation."""

from zoo.lazy import lazy_exports

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

# Each public name and the module it comes from, imported on first use: importing this package
# (as the ``gan-zoo`` parser does through its ``mix`` and ``truncation`` entry points) must not import Keras or TensorFlow.
_LAZY = {
    "StyleGANDiscriminator": "zoo.families.stylegan.discriminator",
    "StyleGANGenerator": "zoo.families.stylegan.generator",
    "MappingNetwork": "zoo.families.stylegan.mapping",
    "StyleGANModel": "zoo.families.stylegan.model",
    "StyleGANStep": "zoo.families.stylegan.step",
    "StyleLayer": "zoo.families.stylegan.style_layer",
    "SynthesisNetwork": "zoo.families.stylegan.synthesis",
    "Truncation": "zoo.families.stylegan.truncation",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
