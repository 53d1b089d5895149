"""ProGAN zoo entries (plain data)."""

from pathlib import Path

from zoo.families.progan.discriminator import ProGANDiscriminator
from zoo.families.progan.generator import ProGANGenerator
from zoo.families.progan.model import ProGANModel
from zoo.families.progan.recipe import ProGANRecipe
from zoo.families.progan.schedule import GrowthSchedule
from zoo.families.progan.step import ProGANStep
from zoo.registry import Preset, WeightsFile, register

WEIGHTS_DIR = Path(__file__).parent / "weights"

# Scaled down from the authors' 600k-800k images per phase (1024x1024, 8 phases
# of growth) for 32x32 on CPU: 30k images (half a Fashion-MNIST epoch) per
# fade-in and per stabilisation phase, so the network reaches 32x32 after
# 180k images and then trains at 32x32 for the rest of the epochs.
SCHEDULE = GrowthSchedule(resolutions=(4, 8, 16, 32), fade_images=30_000, stabilise_images=30_000)

register(
    Preset(
        name="progan-fashion-mnist",
        family="progan",
        dataset="fashion-mnist",
        description="Progressive GAN (growing 4->32, fade-in, equalized LR, pixel norm, minibatch stddev, "
        "WGAN-GP + drift) on Fashion-MNIST padded to 32x32",
        generator=ProGANGenerator,
        generator_config=dict(latent_dim=128, resolution=32, filters=(128, 128, 64, 32), image_channels=1),
        discriminator=ProGANDiscriminator,
        discriminator_config=dict(image_shape=(32, 32, 1), filters=(128, 128, 64, 32), mbstd_group_size=4),
        step=ProGANStep,
        # Authors' optimiser: Adam lr 1e-3, betas (0, 0.99), eps 1e-8, WGAN-GP on every step, float32
        # (bfloat16 and a lazy penalty were cheaper and worse at equal images: docs/recipes.md).
        # The authors' EMA 0.999 per step is a 44k-image half-life at batch 64, longer than a
        # 30k-image phase; here a 10k-image half-life (their batch 16 gives 11k) with ramp-up.
        # One batch size for every resolution: the trainer's batch is fixed per run. 10 epochs of
        # 60,000 images = 600k: the growth schedule (480k) plus 120k more at 32x32, where fid was
        # still falling (docs/recipes.md).
        recipe=ProGANRecipe(
            batch_size=64,
            epochs=10,
            g_learning_rate=1e-3,
            d_learning_rate=1e-3,
            beta_1=0.0,
            beta_2=0.99,
            ema_decay=None,
            ema_kimg=10.0,
            ema_rampup=0.05,
            schedule=SCHEDULE,
            gp_weight=10.0,
            drift_weight=1e-3,
            adam_epsilon=1e-8,
            eval_every_kimg=50,
        ),
        weights_dir=WEIGHTS_DIR,
        generator_weights=WeightsFile("progan-fashion-mnist.generator.weights.h5", "f158aa9d561285bd1253a39e837cd6402bac486badba28c8c05449582b3a18c1"),
        discriminator_weights=WeightsFile("progan-fashion-mnist.discriminator.weights.h5", "4de0223d9baa54bcaeb53d3690f0c9a5c2c5caecf0fccf62f5539db9e2d35fbd"),
        pad_to=32,
        model_class=ProGANModel,
        # The family's tiny test configuration (see zoo.registry.tiny_preset): grows 4 -> 8
        # in 16 + 16 images, two steps of batch 8 per phase, so a few steps cross a fade-in.
        tiny=dict(
            generator_config=dict(latent_dim=8, resolution=8, filters=(8, 4)),
            discriminator_config=dict(image_shape=(8, 8, 1), filters=(8, 4), mbstd_group_size=4),
            recipe=dict(schedule=GrowthSchedule(resolutions=(4, 8), fade_images=16, stabilise_images=16)),
        ),
    )
)
