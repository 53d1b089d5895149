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
  ``fn_args.train_steps`` when set, else the recipe's epochs),
  ``"strategy"`` (see ``zoo.training.distribute``) and
  ``"eval_every_images"`` (evaluation while training against the entry's
  own test split, ``zoo.training.evaluation``; default 0: off, since the
  pipeline trains on its own data).
* ``train_files`` (list of str): paths or glob patterns of ``.npy`` / ``.npz``
  files of grayscale images, ``(N, H, W)`` or ``(N, H, W, 1)``, either
  uint8 0..255 or float in [-1, 1]. An ``.npz`` holds them under ``images``
  (or as its only array). They are concatenated in the order given (globs
  sorted) and padded with -1 to the entry's size where the entry pads (28 ->
  32 for ProGAN/StyleGAN); ``zoo.data.load_image_files`` reads them.
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

from pathlib import Path

REQUIRED_FIELDS = ("custom_config", "train_files", "serving_model_dir", "model_run_dir")


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
    >>> from types import SimpleNamespace
    >>> np.save("digits.npy", np.zeros((128, 28, 28), np.uint8))
    >>> run_fn(SimpleNamespace(custom_config={"model": "mlpgan-mnist", "max_steps": 2}, train_steps=None,
    ...                        train_files=["digits.npy"], model_run_dir="runs/tfx",
    ...                        serving_model_dir="serving/mlpgan-mnist"))
    >>> sorted(p.name for p in Path("serving/mlpgan-mnist").iterdir())
    ['assets', 'assets.extra', 'fingerprint.pb', 'saved_model.pb', 'variables']
    """
    from export.saved_model import to_saved_model
    from zoo.data import load_image_files
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
    images = load_image_files(fn_args.train_files, preset.pad_to)

    run_dir = Path(fn_args.model_run_dir)
    max_steps = config.get("max_steps", getattr(fn_args, "train_steps", None))
    trainer = Trainer(preset, TrainConfig(
        out_dir=run_dir,
        epochs=config.get("epochs"),
        batch_size=config.get("batch_size"),
        max_steps=max_steps,
        resume=(run_dir / ckpt_lib.CHECKPOINT_NAME).exists(),  # a retried attempt continues
        progress=False,
        # The pipeline's own data, not the entry's dataset: no evaluation against the entry's test split
        # unless custom_config asks for it ("eval_every_images").
        eval_every_images=config.get("eval_every_images", 0),
        strategy=config.get("strategy"),
    ), images=images)
    want = tuple(int(d) for d in trainer.state.generator.output_shape[1:])
    if images.shape[1:] != want:
        trainer.close()  # releases the run folder's lock
        raise ZooError(f"{preset.name} trains on {want} images; train_files hold {images.shape[1:]}")
    trainer.fit()
    if not distribute.is_chief(trainer.strategy):
        return  # a multi-worker cluster's other workers: the chief exports

    weights = trainer.out_dir / "final" / "generator.weights.h5"  # what the card's sha256 names
    model = (preset.model_class or ZooModel)(preset, trainer.state.shipped_generator)
    to_saved_model(model, fn_args.serving_model_dir, force=True,
                   weights_sha256=sha256_file(weights) if weights.exists() else None)
