"""StyleGAN zoo entries (plain data)."""

from pathlib import Path

from zoo.families.stylegan.discriminator import StyleGANDiscriminator
from zoo.families.stylegan.generator import StyleGANGenerator
from zoo.families.stylegan.model import StyleGANModel
from zoo.families.stylegan.step import StyleGANStep
from zoo.registry import Preset, TrainRecipe, WeightsFile, register

WEIGHTS_DIR = Path(__file__).parent / "weights"

# Channels at 4, 8, 16, 32 for the synthesis network and the discriminator. Sized for
# about two hours on 2 CPU cores: this config's float32 train step ran at 75-170 img/s on
# two shared cores (the recipe below, bfloat16 with lazy R1, at about 400), ProGAN's widths
# (128, 128, 64, 32) cost 2.3x as much per image.
FILTERS = (128, 64, 32, 16)

register(
    Preset(
        name="stylegan-fashion-mnist",
        family="stylegan",
        dataset="fashion-mnist",
        description="StyleGAN (mapping network, AdaIN styles, per-layer noise, style mixing, truncation; "
        "NS loss + R1) on Fashion-MNIST padded to 32x32",
        generator=StyleGANGenerator,
        generator_config=dict(
            # Mapping 4 x 128 (z, w 128): between the paper's 8 x 512 and the authors' 2-layer CIFAR
            # config. Depth costs almost nothing here (4 * 128**2 multiply-adds per sample, against
            # millions in the convolutions) and gives w room to disentangle; with the 0.01 lr
            # multiplier a deeper mapping would barely move in a run this short.
            latent_dim=128, w_dim=128, mapping_layers=4, resolution=32, filters=FILTERS, image_channels=1,
            # The authors truncate the first 8 styles, those of 4x4 to 32x32, at every output size:
            # at 32x32 that is every style (8 = num_ws), so psi = 0 gives the average image.
            truncation_cutoff=8,
        ),
        discriminator=StyleGANDiscriminator,
        discriminator_config=dict(image_shape=(32, 32, 1), filters=FILTERS, mbstd_group_size=4),
        step=StyleGANStep,
        # R1 gamma 10, measured (docs/recipes.md): with the authors' 32x32 value 0.01 (their gamma 10
        # at 1024x1024 scaled by resolution**2, and their CIFAR config) and with 0.1, every variant
        # collapsed to one garment shape by 25k-50k images (3-5 classes, recall < 0.01); gamma 1
        # and 10 did not (10/10 classes at 50k-100k; gamma 10 ahead at equal images). Our D is
        # far narrower than the authors' (16-128 channels, not 512) and overpowers G without it.
        # Lazy R1 every 4 steps (StyleGAN2): 1.25x fewer D passes per step. Mixing 0.9 and the
        # w average decay 0.995 are the authors' values.
        step_config=dict(r1_gamma=10.0, r1_every=4, style_mixing_prob=0.9, w_avg_decay=0.995),
        # Authors' optimiser: Adam lr 1e-3 (their rate below 128x128), betas (0, 0.99), eps 1e-8.
        # Batch 32 (their CIFAR config: 64) for more updates per CPU-hour. Generator EMA: the
        # authors' half-life of 10k images with their ramp-up (0.05: the half-life is at most 5%
        # of the images seen). mixed_bfloat16 with float32 losses, R1 and EMA. The previously
        # shipped weights: float32, per-step EMA 0.9978 (the same half-life at batch 32), R1 on
        # every step, 8 epochs. See docs/recipes.md for the comparison.
        recipe=TrainRecipe(
            batch_size=32, epochs=20, g_learning_rate=1e-3, d_learning_rate=1e-3, beta_1=0.0, beta_2=0.99,
            adam_epsilon=1e-8, ema_decay=None, ema_kimg=10.0, ema_rampup=0.05, precision="bfloat16",
            eval_every_kimg=50,
        ),
        weights_dir=WEIGHTS_DIR,
        generator_weights=WeightsFile("stylegan-fashion-mnist.generator.weights.h5", "5f62a20b83f5b415522cd16605e1b0cd182d62e7246a7017a50928a87124011f"),
        discriminator_weights=WeightsFile("stylegan-fashion-mnist.discriminator.weights.h5", "187de343b80a5e5625a02c37f9e81fa939a447cfc9d42944968334d430d26557"),
        pad_to=32,
        model_class=StyleGANModel,
        # The family's tiny test configuration (see zoo.registry.tiny_preset).
        tiny=dict(
            generator_config=dict(latent_dim=8, w_dim=8, mapping_layers=2, resolution=8, filters=(8, 4),
                                  image_channels=1, truncation_cutoff=2),
            discriminator_config=dict(image_shape=(8, 8, 1), filters=(8, 4), mbstd_group_size=4),
        ),
    )
)
