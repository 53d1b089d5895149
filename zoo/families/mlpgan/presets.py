"""MLP GAN zoo entries (plain data)."""

from pathlib import Path

from zoo.families.mlpgan.discriminator import MLPDiscriminator
from zoo.families.mlpgan.generator import MLPGenerator
from zoo.registry import Preset, TrainRecipe, WeightsFile, register
from zoo.training.step import NonSaturatingStep

WEIGHTS_DIR = Path(__file__).parent / "weights"
# A fully connected step is cheap (about 4,000 images/s on 2 cores): evaluate every 100k images,
# about a tenth of the run's time.
EVAL_KIMG = 100

MNIST_G = dict(latent_dim=100, hidden_units=(256, 512), batch_norm=True, activation="leaky_relu")
# The seed's D plus two options against collapse, chosen in docs/recipes.md (variant mbstd-drop):
# dropout 0.3 after each hidden layer and a minibatch stddev feature before the logit.
MNIST_D = dict(hidden_units=(512, 256), batch_norm=True, activation="leaky_relu", dropout=0.3, minibatch_std=4)
FASHION_G = dict(latent_dim=30, hidden_units=(100, 150), batch_norm=False, activation="gelu")
# The seed's D plus the options that won on Fashion-MNIST (docs/recipes.md, variant sn-drop): dropout
# 0.3, the minibatch stddev feature, and spectral norm on every dense layer.
FASHION_D = dict(hidden_units=(150, 100), batch_norm=False, activation="gelu", dropout=0.3, minibatch_std=4,
                 spectral_norm=True)


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
        # bfloat16, EMA half-life 10k images with ramp-up; 334 epochs of the 9k subset = 3.0M images.
        recipe=TrainRecipe(batch_size=64, epochs=334, g_learning_rate=2e-4, d_learning_rate=2e-4, beta_1=0.5,
                           ema_decay=None, ema_kimg=10.0, ema_rampup=0.05, precision="bfloat16",
                           eval_every_kimg=EVAL_KIMG),
        weights_dir=WEIGHTS_DIR,
        generator_weights=WeightsFile("mlpgan-mnist.generator.weights.h5", "5390471ec7e952525c2643df034a5be5b25979fac9a68e73fea8d235069381b7"),
        discriminator_weights=WeightsFile("mlpgan-mnist.discriminator.weights.h5", "863172a60374ae280c4dc1218dc1182d956c15d2851765a1eef3796e69f3ac90"),
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
        # One D call per step: spectral norm rewrites D's kernels in every training call, and PyTorch's
        # autograd refuses a second call's in-place rewrite (DCGANDiscriminator). The shipped run used
        # two calls (its card's step block); without batch norm the two differ only in the number of
        # power iterations per step and in the dropout masks.
        step_config=dict(joint_batch=True),
        # bfloat16, EMA half-life 10k images with ramp-up; the shipped run stopped at 6.5M images
        # (108.4 epochs of 60,000 images; fid flat at 54-57 from 4.5M on), best snapshot at 5.05M.
        recipe=TrainRecipe(batch_size=64, epochs=109, g_learning_rate=2e-4, d_learning_rate=2e-4, beta_1=0.5,
                           ema_decay=None, ema_kimg=10.0, ema_rampup=0.05, precision="bfloat16",
                           eval_every_kimg=EVAL_KIMG),
        weights_dir=WEIGHTS_DIR,
        generator_weights=WeightsFile("mlpgan-fashion-mnist.generator.weights.h5", "adc617377cb38277f4adb35f281386f31f192c76b18fcada8ea05e0c80e0e2d6"),
        discriminator_weights=WeightsFile("mlpgan-fashion-mnist.discriminator.weights.h5", "13e2ceea78b184c90d4bab3ec0b6d597618a8991bb25469a7aa960e8b34b241f"),
    )
)
