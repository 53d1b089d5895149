"""DCGAN zoo entries (plain data)."""

from pathlib import Path

from zoo.families.dcgan.discriminator import DCGANDiscriminator
from zoo.families.dcgan.generator import DCGANGenerator
from zoo.registry import Preset, TrainRecipe, WeightsFile, register
from zoo.training.step import NonSaturatingStep

WEIGHTS_DIR = Path(__file__).parent / "weights"
# Evaluation while training every 50k images: about 5 s of a 5,000-sample evaluation per ~150 s of
# training at this family's CPU speed, under 5% of the run.
EVAL_KIMG = 50


def _tiny(activation: str) -> dict:
    """The family's tiny test configuration (see zoo.registry.tiny_preset); dropout off so
    that every backend draws the same step."""
    return dict(
        generator_config=dict(latent_dim=8, base_shape=(7, 7, 8), filters=(4,), strides=(2,), activation=activation),
        discriminator_config=dict(image_shape=(28, 28, 1), filters=(4, 8), dropout=0.0),
    )


register(
    Preset(
        name="dcgan-mnist",
        family="dcgan",
        dataset="mnist",
        description="TensorFlow-tutorial DCGAN (seed 000) on the 9,000-image offline MNIST subset",
        generator=DCGANGenerator,
        generator_config=dict(
            latent_dim=100, base_shape=(7, 7, 256), filters=(128, 64), strides=(1, 2), activation="leaky_relu"
        ),
        discriminator=DCGANDiscriminator,
        discriminator_config=dict(image_shape=(28, 28, 1), filters=(64, 128), leaky_slope=0.3, dropout=0.3),
        step=NonSaturatingStep,
        # DCGAN paper optimiser (Adam 2e-4, beta1 0.5) at batch 64. The rest is the winner of the
        # ablation in docs/recipes.md (best fid_domain_5k at 300k images of seven variants):
        # mixed_bfloat16, an EMA generator with a 10k-image half-life, lazy R1 (gamma 0.05 every 4 steps).
        recipe=TrainRecipe(batch_size=64, epochs=134, g_learning_rate=2e-4, d_learning_rate=2e-4, beta_1=0.5,
                           precision="bfloat16", ema_kimg=10.0, ema_rampup=0.05, eval_every_kimg=EVAL_KIMG),
        step_config=dict(r1_gamma=0.05, r1_every=4),
        weights_dir=WEIGHTS_DIR,
        generator_weights=WeightsFile("dcgan-mnist.generator.weights.h5", "bd64c9d40de9626d9d881097d46f1af1b8b302569f249b5e756d642a505ee7ec"),
        discriminator_weights=WeightsFile("dcgan-mnist.discriminator.weights.h5", "00adea23f4247a7cf5349f20fbfb6a27e8d006233ac8ec2caaa881e170efd115"),
        tiny=_tiny("leaky_relu"),
    )
)

register(
    Preset(
        name="dcgan-fashion-mnist",
        family="dcgan",
        dataset="fashion-mnist",
        description="Small Fashion-MNIST DCGAN of seed 002 (Dense 7x7x128, one hidden ConvT 64)",
        generator=DCGANGenerator,
        generator_config=dict(
            latent_dim=100, base_shape=(7, 7, 128), filters=(64,), strides=(2,), activation="relu"
        ),
        discriminator=DCGANDiscriminator,
        # The seed's D had dropout 0.4; the recipe ablation (docs/recipes.md) found R1 without it best.
        discriminator_config=dict(image_shape=(28, 28, 1), filters=(64, 128), leaky_slope=0.2, dropout=0.0),
        step=NonSaturatingStep,
        # Adam 2e-4 / beta1 0.5 at batch 64, and the ablation's winner: mixed_bfloat16, an EMA generator
        # with a 10k-image half-life, lazy R1 (gamma 0.05 every 4 steps), no dropout in D.
        recipe=TrainRecipe(batch_size=64, epochs=34, g_learning_rate=2e-4, d_learning_rate=2e-4, beta_1=0.5,
                           precision="bfloat16", ema_kimg=10.0, ema_rampup=0.05, eval_every_kimg=EVAL_KIMG),
        step_config=dict(r1_gamma=0.05, r1_every=4),
        weights_dir=WEIGHTS_DIR,
        generator_weights=WeightsFile("dcgan-fashion-mnist.generator.weights.h5", "ac537d5f029b73498b940b22f5f0a0f0dcacf5518c9161de6475ff797182c47f"),
        discriminator_weights=WeightsFile("dcgan-fashion-mnist.discriminator.weights.h5", "edd41a1dc617841a6a36d215e330f66ca0132d63530033f0e458cf62e2414bb0"),
        tiny=_tiny("relu"),
    )
)
