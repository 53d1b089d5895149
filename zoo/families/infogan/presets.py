"""InfoGAN zoo entries (plain data)."""

from pathlib import Path

from zoo.families.infogan.discriminator import InfoGANDiscriminator
from zoo.families.infogan.generator import InfoGANGenerator
from zoo.families.infogan.model import InfoGANModel
from zoo.families.infogan.step import InfoGANStep
from zoo.registry import Preset, TrainRecipe, WeightsFile, register

WEIGHTS_DIR = Path(__file__).parent / "weights"

register(
    Preset(
        name="infogan-mnist",
        family="infogan",
        dataset="mnist",
        description="InfoGAN (Chen et al., 2016) MNIST setup: 62 noise dims, one 10-way categorical and "
                    "two U(-1, 1) continuous codes; Q shares the discriminator's body; lambda = 1 "
                    "(continuous NLL weighted 0.1)",
        generator=InfoGANGenerator,
        generator_config=dict(
            latent_dim=62, num_categories=10, num_continuous=2, dense_units=1024, base_shape=(7, 7, 128),
            filters=(64,), kernel_size=4,
        ),
        discriminator=InfoGANDiscriminator,
        discriminator_config=dict(
            image_shape=(28, 28, 1), filters=(64, 128), kernel_size=4, dense_units=1024, q_units=128,
            num_categories=10, num_continuous=2, leaky_slope=0.1,
        ),
        step=InfoGANStep,  # info_weight (lambda) 1.0, continuous_weight 0.1: InfoGANStep's defaults
        # Paper: Adam lr 2e-4 (D) / 1e-3 (G); released launcher: batch 128, beta1 0.5, ~5,000
        # iterations. 9,000 images // 128 = 70 steps per epoch, so 72 epochs = 5,040 steps.
        recipe=TrainRecipe(batch_size=128, epochs=72, g_learning_rate=1e-3, d_learning_rate=2e-4, beta_1=0.5,
                           eval_every_kimg=50),
        weights_dir=WEIGHTS_DIR,
        generator_weights=WeightsFile("infogan-mnist.generator.weights.h5", "d206dc7a8291dc06cf96f8197000b2aa93fce4763abd7e39c2e668a9701b21c8"),
        discriminator_weights=WeightsFile("infogan-mnist.discriminator.weights.h5", "62e67f920e1c7fa7f240704f5f6c5301191573f2c799410708b63305078afd24"),
        model_class=InfoGANModel,
        # The family's tiny test configuration (see zoo.registry.tiny_preset).
        tiny=dict(
            generator_config=dict(latent_dim=6, num_categories=10, num_continuous=2, dense_units=16,
                                  base_shape=(7, 7, 4), filters=(4,)),
            discriminator_config=dict(image_shape=(28, 28, 1), filters=(4, 8), dense_units=16, q_units=8,
                                      num_categories=10, num_continuous=2),
        ),
    )
)
