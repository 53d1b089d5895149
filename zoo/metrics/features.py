"""Feature extractors: the domain classifiers and Inception-v3.

Both map float32 NHWC images in [-1, 1] to ``(features, probabilities)``,
in batches: features for FID/KID/precision/recall, probabilities for the
Inception Score and class coverage.
"""

from __future__ import annotations

import keras
import numpy as np

from zoo.errors import ZooError

RANGE_TOLERANCE = 1e-4  # float round-off around tanh's [-1, 1], nothing more
INCEPTION_FEATURE_DIM = 2048  # the avg_pool layer


class FeatureNetworkError(ZooError):
    """A feature network could not be built (e.g. weights cannot be fetched)."""


def check_images(images, name: str = "samples", channels: tuple = (1, 3)) -> np.ndarray:
    """Validates generator-convention images before any computation.

    Args:
        images: float (N, H, W, C) in [-1, 1].
        name: what the images are, for the message.
        channels: accepted channel counts.

    Returns:
        The images as float32.

    Raises:
        ValueError: wrong rank or dtype, NaN/Inf values, or values outside
            [-1, 1]; the message says which and how many.

    Examples:
    >>> check_images(np.zeros((2, 28, 28, 1))).dtype
    dtype('float32')
    """
    x = np.asarray(images)
    if x.ndim != 4 or x.shape[-1] not in channels:
        raise ValueError(
            f"{name} must be float images of shape (N, H, W, C) with C in {channels}, got shape {x.shape}"
        )
    if len(x) == 0:
        raise ValueError(f"{name} are empty")
    if not np.issubdtype(x.dtype, np.floating):
        raise ValueError(f"{name} must be float in [-1, 1], got dtype {x.dtype} (convert uint8 with x / 127.5 - 1)")
    bad = ~np.isfinite(x)
    if bad.any():
        n_img = int(bad.reshape(len(x), -1).any(axis=1).sum())
        raise ValueError(f"{name} contain NaN/Inf values in {n_img} of {len(x)} images")
    lo, hi = float(x.min()), float(x.max())
    if lo < -1 - RANGE_TOLERANCE or hi > 1 + RANGE_TOLERANCE:
        raise ValueError(f"{name} must lie in [-1, 1], got values in [{lo:.4g}, {hi:.4g}]")
    return x.astype(np.float32, copy=False)


def center_crop(images: np.ndarray, size: int) -> np.ndarray:
    """Centre crop to ``size`` x ``size`` (32x32 zoo entries are 28x28 data padded 2 px per side)."""
    h, w = images.shape[1:3]
    if h < size or w < size or (h - size) % 2 or (w - size) % 2:
        raise ValueError(f"cannot centre-crop {h}x{w} images to {size}x{size}")
    t, l = (h - size) // 2, (w - size) // 2
    return images[:, t : t + size, l : l + size]


def softmax(logits: np.ndarray) -> np.ndarray:
    z = np.asarray(logits, np.float64)
    z = np.exp(z - z.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


def _run_batched(model, x: np.ndarray, batch_size: int, prepare=None):
    feats, logits = [], []
    for i in range(0, len(x), batch_size):
        batch = x[i : i + batch_size]
        f, lg = model(prepare(batch) if prepare else batch, training=False)
        feats.append(keras.ops.convert_to_numpy(f).astype(np.float32))
        logits.append(keras.ops.convert_to_numpy(lg).astype(np.float32))
    return np.concatenate(feats), softmax(np.concatenate(logits))


class DomainExtractor:
    """Penultimate features and softmax of a dataset's shipped domain classifier.

    Accepts 28x28 or 32x32 single-channel images (32x32 are centre-cropped).

    Args:
        dataset: ``"mnist"`` or ``"fashion-mnist"``.
        batch_size: images per forward pass.

    Examples:
    >>> ext = DomainExtractor("mnist")
    >>> feats, probs = ext(np.zeros((4, 28, 28, 1), "float32"))
    >>> feats.shape, probs.shape
    ((4, 128), (4, 10))
    """

    kind = "domain"

    def __init__(self, dataset: str, batch_size: int = 1000):
        import keras

        from zoo.metrics.classifier import FEATURE_LAYER, IMAGE_SIZE, load_classifier

        net, self.card = load_classifier(dataset)
        # inputs[0], not the list: a one-tensor model takes a bare array without Keras' structure warning.
        self.model = keras.Model(net.inputs[0], [net.get_layer(FEATURE_LAYER).output, net.outputs[0]])
        self.dataset = dataset
        self.batch_size = batch_size
        self.image_size = IMAGE_SIZE
        self.feature_dim = int(self.card["feature_dim"])
        self.sha256 = self.card["weights"]["sha256"]
        self.id = f"domain-{dataset}-{self.sha256[:16]}"  # cache key: changes with the weights
        self.description = f"{self.card['name']} (sha256 {self.sha256[:12]}, test accuracy {self.card['test_accuracy']})"

    def input_size(self, size: int) -> int:
        """The image size real data is presented at (always 28: inputs are cropped)."""
        return self.image_size

    def __call__(self, images: np.ndarray):
        x = check_images(images, channels=(1,))
        if x.shape[1:3] != (self.image_size, self.image_size):
            x = center_crop(x, self.image_size)
        return _run_batched(self.model, x, self.batch_size)


class InceptionExtractor:
    """Inception-v3 pool features (2048-d) and ImageNet softmax, as in FID/IS.

    Images are resized to 299x299 (bilinear) and grey is replicated to three
    channels; [-1, 1] is already Inception's input range.

    Args:
        weights: ``"imagenet"`` (downloaded once by Keras), ``None`` (random:
            the tests' path) or a path to a Keras weights file.
        batch_size: images per forward pass.

    Raises:
        FeatureNetworkError: the ImageNet weights cannot be fetched.

    Examples:
    >>> ext = InceptionExtractor(weights=None)
    >>> ext(np.zeros((2, 28, 28, 1), "float32"))[0].shape
    (2, 2048)
    """

    kind = "inception"
    SIZE = 299

    def __init__(self, weights="imagenet", batch_size: int = 64):
        import keras

        try:
            net = keras.applications.InceptionV3(
                include_top=True, weights=weights, classifier_activation=None
            )
        except Exception as e:  # get_file raises bare Exceptions for network failures
            if weights != "imagenet":
                raise
            raise FeatureNetworkError(
                "could not fetch the Inception-v3 ImageNet weights "
                f"({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}). "
                "Keras downloads inception_v3_weights_tf_dim_ordering_tf_kernels.h5 once into "
                "~/.keras/models/; on an offline machine copy that file there, or use --features domain."
            ) from e
        self.model = keras.Model(net.inputs[0], [net.get_layer("avg_pool").output, net.outputs[0]])
        self.batch_size = batch_size
        self.feature_dim = INCEPTION_FEATURE_DIM
        # Random weights differ per build, so only the ImageNet network gets a cache key.
        self.id = "inception_v3-imagenet-keras" if weights == "imagenet" else None
        self.description = f"Inception-v3 (keras.applications, weights={weights if isinstance(weights, str) or weights is None else 'file'})"

    def input_size(self, size: int) -> int:
        """Real data is presented at the generator's size (padding changes the resize)."""
        return size

    def _prepare(self, batch: np.ndarray):
        from keras import ops

        x = ops.image.resize(batch, (self.SIZE, self.SIZE), interpolation="bilinear")
        return ops.repeat(x, 3, axis=-1) if batch.shape[-1] == 1 else x

    def __call__(self, images: np.ndarray):
        x = check_images(images)
        return _run_batched(self.model, x, self.batch_size, self._prepare)


def feature_dim(kind: str, dataset: str) -> int:
    """Feature size of an extractor, known without building it (read from the card for domain).

    Examples:
    >>> feature_dim("inception", "mnist"), feature_dim("domain", "mnist")
    (2048, 128)
    """
    if kind == "domain":
        from zoo.metrics.classifier import load_card

        return int(load_card(dataset)["feature_dim"])
    if kind == "inception":
        return INCEPTION_FEATURE_DIM
    raise ValueError(f"unknown features {kind!r}; choose domain or inception")


def make_extractor(kind: str, dataset: str, **kwargs):
    """``"domain"`` or ``"inception"`` extractor for ``dataset``.

    Examples:
    >>> make_extractor("domain", "fashion-mnist").feature_dim
    128
    """
    if kind == "domain":
        return DomainExtractor(dataset, **kwargs)
    if kind == "inception":
        return InceptionExtractor(**kwargs)
    raise ValueError(f"unknown features {kind!r}; choose domain or inception")
