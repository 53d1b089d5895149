"""MLP GAN zoo entries (plain data)."""

from pathlib import Path

from zoo.families.mlpgan.discriminator import MLPDiscriminator
from zoo.families.mlpgan.generator import MLPGenerator
from zoo.registry import Preset, TrainRecipe, WeightsFile, register
from zoo.training.step import NonSaturatingStep

WEIGHTS_DIR = Path(__file__).parent / "weights"
# A fully connected step is cheap: evaluate every 250k images to keep the 5,000-sample evaluations
# under 5% of the run.
EVAL_KIMG = 250

MNIST_G = dict(latent_dim=100, hidden_units=(256, 512), batch_norm=True, activation="leaky_relu")
MNIST_D = dict(hidden_units=(512, 256), batch_norm=True, activation="leaky_relu")
FASHION_G = dict(latent_dim=30, hidden_units=(100, 150), batch_norm=False, activation="gelu")
FASHION_D = dict(hidden_units=(150, 100), batch_norm=False, activation="gelu")


def _tiny(generator_config: dict, discriminator_config: dict) -> dict:
    """The family's tiny test configuration (see zoo.registry.tiny_preset)."""
    return dict(
        generator_config={**generator_config, "latent_dim": 8, "hidden_units": (16, 16)},
        discriminator_config={**discriminator_config, "hidden_units": (16, 8)},
    )


register(
    Preset(
        name="mlpgan-mnist",
        family="mlpgan",
        dataset="mnist",
        description="Fully connected GAN of seed 004 (256-512 generator, 512-256 discriminator, batch norm)",
        generator=MLPGenerator,
        generator_config=MNIST_G,
        discriminator=MLPDiscriminator,
        discriminator_config=MNIST_D,
        tiny=_tiny(MNIST_G, MNIST_D),
        step=NonSaturatingStep,
        # D's batch norm must see real and fake together, else the border drifts (see NonSaturatingStep).
        step_config=dict(joint_batch=True),
        recipe=TrainRecipe(batch_size=64, epochs=100, g_learning_rate=2e-4, d_learning_rate=2e-4, beta_1=0.5,
                           eval_every_kimg=EVAL_KIMG),
        weights_dir=WEIGHTS_DIR,
        generator_weights=WeightsFile("mlpgan-mnist.generator.weights.h5", "1ec0e18ecc661220db89f483e0929d079a24009a5ee514db30acdf635b753534"),
        discriminator_weights=WeightsFile("mlpgan-mnist.discriminator.weights.h5", "a638b2900b6813a3aeb41956d150a6c6b7d30ec12c8c2aa75e0bed7e243ded5d"),
    )
)

register(
    Preset(
        name="mlpgan-fashion-mnist",
        family="mlpgan",
        dataset="fashion-mnist",
        description="Small fully connected GAN of seed 002 (latent 30, GELU 100-150 / 150-100)",
        generator=MLPGenerator,
        generator_config=FASHION_G,
        discriminator=MLPDiscriminator,
        discriminator_config=FASHION_D,
        tiny=_tiny(FASHION_G, FASHION_D),
        step=NonSaturatingStep,
        recipe=TrainRecipe(batch_size=64, epochs=20, g_learning_rate=2e-4, d_learning_rate=2e-4, beta_1=0.5,
                           eval_every_kimg=EVAL_KIMG),
        weights_dir=WEIGHTS_DIR,
        generator_weights=WeightsFile("mlpgan-fashion-mnist.generator.weights.h5", "2294f7173b918c4b50cbeffb6146f46f1534f93301e3c54cdb0a3bd08c5d9296"),
        discriminator_weights=WeightsFile("mlpgan-fashion-mnist.discriminator.weights.h5", "2c1d4188cbec3363823d56a7e9e8eef29119592215fc9e9481261f5ae40d4190"),
    )
)
