"""StyleGAN zoo entries (plain data)."""

from pathlib import Path

from zoo.families.stylegan.discriminator import StyleGANDiscriminator
from zoo.families.stylegan.generator import StyleGANGenerator
from zoo.families.stylegan.model import StyleGANModel
from zoo.families.stylegan.step import StyleGANStep
from zoo.registry import Preset, TrainRecipe, WeightsFile, register

WEIGHTS_DIR = Path(__file__).parent / "weights"

# Channels at 4, 8, 16, 32 for the synthesis network and the discriminator. Sized for
# about two hours on 2 CPU cores: this config's train step costs 25 CPU-ms per image
# (about 75 img/s on two free cores), ProGAN's widths (128, 128, 64, 32) cost 57
# (about 34 img/s), which would buy only 4 epochs in the same time.
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
        # R1 gamma 0.01: the penalty is a sum over pixels, so the authors' gamma 10 at 1024x1024
        # scales with resolution**2 to 10 * (32 / 1024)**2 = 0.0098 here, and their CIFAR (32x32)
        # config uses 0.01. Mixing 0.9 and the w average decay 0.995 are the authors' values.
        step_config=dict(r1_gamma=0.01, style_mixing_prob=0.9, w_avg_decay=0.995),
        # Authors' optimiser: Adam lr 1e-3 (their rate below 128x128), betas (0, 0.99), eps 1e-8.
        # Batch 32 (their CIFAR config: 64) for more updates per CPU-hour; 8 epochs = 480k images,
        # about 1.8 h at 75 img/s. Generator EMA: the authors' half-life of 10k images,
        # 0.5 ** (32 / 10_000) = 0.9978 per step of 32. (0.999, a 22k-image half-life, averaged
        # a generator still changing fast into one mean shape for every z at 160k images.)
        recipe=TrainRecipe(
            batch_size=32, epochs=8, g_learning_rate=1e-3, d_learning_rate=1e-3, beta_1=0.0, beta_2=0.99,
            adam_epsilon=1e-8, ema_decay=0.9978, eval_every_kimg=50,
        ),
        weights_dir=WEIGHTS_DIR,
        generator_weights=WeightsFile("stylegan-fashion-mnist.generator.weights.h5", "e42c6aea5daadd9c50abb49e3e5a3d30b7570337f35f93933eedb80fa76ff43b"),
        discriminator_weights=WeightsFile("stylegan-fashion-mnist.discriminator.weights.h5", "f9fbdd21ff6d33030eeb613a68c625a13dc0f125924865c409c22fc8319205a5"),
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
