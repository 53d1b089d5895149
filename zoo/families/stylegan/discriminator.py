"""StyleGAN's discriminator: ProGAN's, fixed at the final resolution."""

from __future__ import annotations

import keras

from zoo.families.progan.discriminator import ProGANDiscriminator


@keras.saving.register_keras_serializable(package="zoo")
class StyleGANDiscriminator(ProGANDiscriminator):
    """:class:`ProGANDiscriminator` that never grows: image -> one logit.

    StyleGAN changed only the generator (Karras et al., 2019, Sec. 2: the
    discriminator and losses are ProGAN's, with the non-saturating loss and
    R1 in their FFHQ runs), so this reuses ProGAN's equalized-LR critic with
    minibatch stddev as it is. A fresh ProGAN discriminator is already the
    final-resolution graph; this class only marks the lower resolutions'
    fromRGB layers, which that graph never uses, non-trainable, so the
    optimiser gets no variables without gradients. They stay (a few hundred
    weights) so that the weights layout is the ProGAN one. The output is
    read as a logit by the non-saturating loss.

    Args: as :class:`ProGANDiscriminator`.

    Examples:
    >>> d = StyleGANDiscriminator(image_shape=(32, 32, 1), filters=(64, 64, 32, 16))
    >>> tuple(d(np.zeros((4, 32, 32, 1), "float32")).shape)
    (4, 1)
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.set_growth(self.final_resolution)
