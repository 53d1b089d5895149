"""The domain classifiers: one small CNN per dataset, shipped with a card.

Their penultimate layer (128-d) gives the offline FID/KID/precision/recall
features and their softmax the Inception-Score analogue and class coverage.
The recipe lives here so ``python -m zoo.metrics.train_classifier DATASET``
rebuilds the shipped weights.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import keras
import numpy as np

from zoo.errors import WeightsIntegrityError

WEIGHTS_DIR = Path(__file__).parent / "weights"
FEATURE_LAYER = "features"
LOGITS_LAYER = "logits"
IMAGE_SIZE = 28
NUM_CLASSES = 10
ARCHITECTURE = {"widths": [32, 64, 128], "feature_dim": 128, "dropout": 0.3}  # build_classifier's defaults


@dataclasses.dataclass(frozen=True)
class ClassifierRecipe:
    """Optimiser and schedule of a domain classifier (plain data, recorded in the card)."""

    epochs: int = 10
    batch_size: int = 128
    learning_rate: float = 1e-3  # Adam, cosine-decayed to 0 over the run
    max_shift: int = 2  # random translation in pixels, both axes (background-filled)
    seed: int = 0

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


RECIPES = {
    "mnist": ClassifierRecipe(epochs=15),  # 9,000 images: more epochs are cheap
    "fashion-mnist": ClassifierRecipe(epochs=10),
}


def build_classifier(widths=(32, 64, 128), feature_dim: int = 128, dropout: float = 0.3):
    """The domain CNN: three conv/BN/ReLU/max-pool stages, a dense feature layer, logits.

    Args:
        widths: channels of the three 3x3 convolutions.
        feature_dim: size of the penultimate ``features`` layer (post-ReLU).
        dropout: dropout before the logits (training only).

    Returns:
        A functional ``keras.Model`` from (N, 28, 28, 1) images in [-1, 1] to
        (N, 10) logits, with layers named ``features`` and ``logits``.

    Examples:
    >>> m = build_classifier()
    >>> tuple(m(np.zeros((2, 28, 28, 1), "float32")).shape), tuple(m.get_layer("features").output.shape)
    ((2, 10), (None, 128))
    """
    import keras
    from keras import layers

    x = inputs = keras.Input((IMAGE_SIZE, IMAGE_SIZE, 1), name="image")
    for i, w in enumerate(widths):
        x = layers.Conv2D(w, 3, padding="same", use_bias=False, name=f"conv{i}")(x)
        x = layers.BatchNormalization(name=f"bn{i}")(x)
        x = layers.ReLU(name=f"relu{i}")(x)
        x = layers.MaxPooling2D(2, name=f"pool{i}")(x)  # 28 -> 14 -> 7 -> 3
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(feature_dim, activation="relu", name=FEATURE_LAYER)(x)
    x = layers.Dropout(dropout, name="dropout")(x)
    logits = layers.Dense(NUM_CLASSES, name=LOGITS_LAYER)(x)
    return keras.Model(inputs, logits, name="domain_classifier")


def weights_path(dataset: str, weights_dir: Path = WEIGHTS_DIR) -> Path:
    return Path(weights_dir) / f"{dataset}-classifier.weights.h5"


def card_path(dataset: str, weights_dir: Path = WEIGHTS_DIR) -> Path:
    return Path(weights_dir) / f"{dataset}-classifier.card.json"


def load_card(dataset: str, weights_dir: Path = WEIGHTS_DIR) -> dict:
    """The classifier card of ``dataset``; a missing one says how to build it."""
    path = card_path(dataset, weights_dir)
    if not path.exists():
        raise WeightsIntegrityError(
            f"no domain classifier for {dataset!r} ({path} is missing); "
            f"build it with: python -m zoo.metrics.train_classifier {dataset}"
        )
    return json.loads(path.read_text())


def load_classifier(dataset: str, weights_dir: Path = WEIGHTS_DIR):
    """The shipped classifier of ``dataset``, sha256-checked against its card.

    Returns:
        ``(model, card)``.

    Examples:
    >>> from zoo.data import load_arrays, to_float_images
    >>> model, card = load_classifier("mnist")
    >>> x, y = load_arrays("mnist", "test")
    >>> round(accuracy(model, to_float_images(x), y), 4) == card["test_accuracy"]  # the card's number reproduces
    True
    """
    from zoo.weights import verify

    card = load_card(dataset, weights_dir)
    path = weights_path(dataset, weights_dir)
    if not path.exists():
        raise WeightsIntegrityError(f"classifier weights {path} are missing (the card names them)")
    verify(path, card["weights"]["sha256"], source=f"its card {card_path(dataset, weights_dir)}")
    model = build_classifier(**card["architecture"])
    model.load_weights(path)
    return model, card


def shift_images(x: np.ndarray, max_shift: int, rng: np.random.Generator) -> np.ndarray:
    """Random integer translation per image, filling with the background (-1)."""
    if max_shift == 0:
        return x
    n, h, w, _ = x.shape
    s = max_shift
    padded = np.pad(x, ((0, 0), (s, s), (s, s), (0, 0)), constant_values=-1.0)
    dy, dx = rng.integers(0, 2 * s + 1, size=(2, n))
    out = np.empty_like(x)
    for a in range(2 * s + 1):  # group by offset: 25 vectorised copies, not n slices
        for b in range(2 * s + 1):
            idx = np.flatnonzero((dy == a) & (dx == b))
            out[idx] = padded[idx, a : a + h, b : b + w]
    return out


def accuracy(model, x: np.ndarray, y: np.ndarray, batch_size: int = 1000) -> float:
    """Top-1 accuracy in inference mode."""
    pred = np.concatenate(
        [keras.ops.convert_to_numpy(model(x[i : i + batch_size], training=False)).argmax(1) for i in range(0, len(x), batch_size)]
    )
    return float((pred == y).mean())


def train(dataset: str, recipe: ClassifierRecipe | None = None, data_dir=None, log=print):
    """Trains a domain classifier by its recipe on the train split.

    The test split is never seen during training (fixed epochs, no early
    stopping), so the reported test accuracy is held out.

    Returns:
        ``(model, info)`` where ``info`` holds the accuracies and timing.

    Examples:
    >>> RECIPES["mnist"]  # python -m zoo.metrics.train_classifier mnist: train("mnist") with this recipe
    ClassifierRecipe(epochs=15, batch_size=128, learning_rate=0.001, max_shift=2, seed=0)
    """
    import time

    import keras

    from zoo.data import load_arrays, to_float_images

    recipe = recipe or RECIPES[dataset]
    keras.utils.set_random_seed(recipe.seed)
    x_tr, y_tr = load_arrays(dataset, "train", data_dir)
    x_te, y_te = load_arrays(dataset, "test", data_dir)
    x_tr, x_te = to_float_images(x_tr), to_float_images(x_te)
    y_tr, y_te = y_tr.astype(np.int64), y_te.astype(np.int64)

    model = build_classifier(**ARCHITECTURE)
    steps = recipe.epochs * (len(x_tr) // recipe.batch_size)
    schedule = keras.optimizers.schedules.CosineDecay(recipe.learning_rate, steps)
    model.compile(
        optimizer=keras.optimizers.Adam(schedule),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    rng = np.random.default_rng(recipe.seed)
    start = time.perf_counter()
    for epoch in range(recipe.epochs):
        # Whole batches only, so every epoch has the same step count as the schedule.
        order = rng.permutation(len(x_tr))[: (len(x_tr) // recipe.batch_size) * recipe.batch_size]
        xb = shift_images(x_tr[order], recipe.max_shift, rng)
        hist = model.fit(xb, y_tr[order], batch_size=recipe.batch_size, epochs=1, shuffle=False, verbose=0)
        log(f"epoch {epoch + 1}/{recipe.epochs}: loss {hist.history['loss'][-1]:.4f} "
            f"train acc {hist.history['accuracy'][-1]:.4f} ({time.perf_counter() - start:.0f}s)")
    elapsed = time.perf_counter() - start
    info = {
        "train_images": int(len(x_tr)),
        "test_images": int(len(x_te)),
        "train_accuracy": round(accuracy(model, x_tr, y_tr), 4),
        "test_accuracy": round(accuracy(model, x_te, y_te), 4),
        "training_time_s": round(elapsed, 1),
    }
    return model, info
