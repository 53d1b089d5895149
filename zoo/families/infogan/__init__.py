"""InfoGAN (Chen et al., 2016): unsupervised, interpretable latent codes."""

from zoo.lazy import lazy_exports

# The ``codes`` command's defaults (zoo.families.infogan.disentanglement), here so that its parser reads
# them without Keras.
DEFAULT_SAMPLES_PER_CODE = 1000
DEFAULT_Q_SAMPLES = 10_000

__all__ = ["InfoGANGenerator", "InfoGANDiscriminator", "InfoGANModel", "InfoGANStep"]

# Each public name and the module it comes from, imported on first use: importing this package
# (as the ``gan-zoo`` parser does through its ``traverse`` entry point) must not import Keras or TensorFlow.
_LAZY = {
    "InfoGANDiscriminator": "zoo.families.infogan.discriminator",
    "InfoGANGenerator": "zoo.families.infogan.generator",
    "InfoGANModel": "zoo.families.infogan.model",
    "InfoGANStep": "zoo.families.infogan.step",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
