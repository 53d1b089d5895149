"""A TFX Trainer module: ``run_fn(fn_args)`` trains a zoo entry and pushes its generator.

Point a TFX ``Trainer`` component at this module (``module_file`` or
``run_fn="export.tfx.run_fn"``). It lives in ``export/`` rather than
``zoo/`` because it writes the served SavedModel through
:func:`export.to_saved_model`, and the model core never imports the export
layer.

``fn_args`` is TFX's ``FnArgs``; only these fields are read (any object
carrying them works, e.g. a ``types.SimpleNamespace``):

* ``custom_config`` (dict): ``"model"``, a registry name (required);
  optionally ``"epochs"``, ``"batch_size"``, ``"max_steps"`` (default:
  ``fn_args.train_steps`` when set, else the recipe's epochs) and
  ``"strategy"`` (see ``zoo.training.distribute``).
* ``train_files`` (list of str): paths or glob patterns of ``.npy`` / ``.npz``
  files of grayscale images, ``(N, H, W)`` or ``(N, H, W, 1)``, either
  uint8 0..255 or float in [-1, 1]. An ``.npz`` holds them under ``images``
  (or as its only array). They are concatenated in the order given (globs
  sorted) and padded with -1 to the entry's size where the entry pads (28 ->
  32 for ProGAN/StyleGAN), like ``zoo.data.to_float_images``.
* ``model_run_dir`` (str): the run folder: checkpoints, TensorBoard logs,
  sample grids and ``final/`` (as ``gan-zoo train --out``). A checkpoint left
  there by an interrupted attempt is resumed.
* ``serving_model_dir`` (str): the shipped generator (the EMA copy where the
  recipe keeps one) is written here as a verified SavedModel, signature
  ``serving_default``: ``z`` (and the family's other inputs) -> ``image``
  (N, H, W, C) in [-1, 1]. Its card goes into ``assets.extra/card.json`` and
  beside the folder as ``<serving_model_dir>.card.json``.

TFX itself is not a dependency (it does not install on Python 3.11 here);
the tests drive ``run_fn`` with a plain object carrying these fields.
"""

from __future__ import annotations

import glob
from pathlib import Path

import numpy as np

REQUIRED_FIELDS = ("custom_config", "train_files", "serving_model_dir", "model_run_dir")


def load_images(train_files, pad_to: int | None = None) -> np.ndarray:
    """The images of ``train_files`` as float32 (N, H, W, 1) in [-1, 1].

    Args:
        train_files: paths or glob patterns of ``.npy`` / ``.npz`` files (see
            the module docstring for their format).
        pad_to: pad to this square size with -1 (the entry's ``pad_to``).

    Raises:
        ZooError: no file matches, an unknown suffix, an ``.npz`` with several
            arrays but no ``images``, or images of another shape or range.
    """
    from zoo.data import to_float_images
    from zoo.errors import ZooError

    if isinstance(train_files, (str, Path)):
        train_files = [train_files]
    paths = []
    for pattern in train_files:
        matches = sorted(glob.glob(str(pattern)))
        if not matches:
            raise ZooError(f"train_files: nothing matches {pattern}")
        paths += matches
    parts = []
    for path in paths:
        if path.endswith(".npy"):
            a = np.load(path, allow_pickle=False)
        elif path.endswith(".npz"):
            with np.load(path, allow_pickle=False) as f:
                if "images" in f.files:
                    a = f["images"]
                elif len(f.files) == 1:
                    a = f[f.files[0]]
                else:
                    raise ZooError(f"{path} holds {f.files}; name the images array 'images'")
        else:
            raise ZooError(f"{path}: train_files must be .npy or .npz files of images")
        if a.ndim == 4 and a.shape[-1] == 1:
            a = a[..., 0]
        if a.ndim != 3:
            raise ZooError(f"{path}: expected grayscale images (N, H, W) or (N, H, W, 1), got shape {a.shape}")
        if a.dtype == np.uint8:
            a = a.astype(np.float32)
        elif a.dtype.kind == "f":
            if a.size and (a.min() < -1.0 or a.max() > 1.0):
                raise ZooError(f"{path}: float images must lie in [-1, 1], got [{a.min()}, {a.max()}]")
            a = (a.astype(np.float32) + 1.0) * 127.5  # to_float_images' 0..255 scale
        else:
            raise ZooError(f"{path}: images must be uint8 or float, got {a.dtype}")
        parts.append(a)
    shapes = {p.shape[1:] for p in parts}
    if len(shapes) != 1:
        raise ZooError(f"train_files hold images of different sizes: {sorted(shapes)}")
    return to_float_images(np.concatenate(parts), pad_to)


def run_fn(fn_args) -> None:
    """TFX Trainer entry point: trains ``custom_config["model"]`` on ``train_files``
    and writes the shipped generator to ``serving_model_dir`` as a SavedModel.

    Args:
        fn_args: TFX ``FnArgs``, or any object with the fields listed in the
            module docstring.

    Raises:
        ZooError: a missing field or ``model``, unreadable images, or images
            whose size is not the entry's.
        VerificationError: the SavedModel disagrees with the generator.

    Examples:
    >>> run_fn(SimpleNamespace(custom_config={"model": "mlpgan-mnist", "max_steps": 100},
    ...                        train_files=["data/train/*.npy"], model_run_dir="runs/tfx",
    ...                        serving_model_dir="serving/mlpgan-mnist"))
    """
    from export.saved_model import to_saved_model
    from zoo.errors import ZooError
    from zoo.model import ZooModel
    from zoo.registry import get_preset
    from zoo.training import checkpoint as ckpt_lib
    from zoo.training import distribute
    from zoo.training.trainer import TrainConfig, Trainer
    from zoo.weights import sha256_file

    missing = [f for f in REQUIRED_FIELDS if getattr(fn_args, f, None) is None]
    if missing:
        raise ZooError(f"fn_args lacks {', '.join(missing)}")
    config = dict(fn_args.custom_config or {})
    if "model" not in config:
        raise ZooError('custom_config must name the zoo entry to train: {"model": "dcgan-mnist", ...}')
    preset = get_preset(config["model"])
    images = load_images(fn_args.train_files, preset.pad_to)

    run_dir = Path(fn_args.model_run_dir)
    max_steps = config.get("max_steps", getattr(fn_args, "train_steps", None))
    trainer = Trainer(preset, TrainConfig(
        out_dir=run_dir,
        epochs=config.get("epochs"),
        batch_size=config.get("batch_size"),
        max_steps=max_steps,
        resume=(run_dir / ckpt_lib.CHECKPOINT_NAME).exists(),  # a retried attempt continues
        progress=False,
        strategy=config.get("strategy"),
    ), images=images)
    want = tuple(int(d) for d in trainer.generator.output_shape[1:])
    if images.shape[1:] != want:
        raise ZooError(f"{preset.name} trains on {want} images; train_files hold {images.shape[1:]}")
    trainer.fit()
    if not distribute.is_chief(trainer.strategy):
        return  # a multi-worker cluster's other workers: the chief exports

    weights = trainer.out_dir / "final" / "generator.weights.h5"  # what the card's sha256 names
    model = (preset.model_class or ZooModel)(preset, trainer.shipped_generator())
    to_saved_model(model, fn_args.serving_model_dir, force=True,
                   weights_sha256=sha256_file(weights) if weights.exists() else None)
