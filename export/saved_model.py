"""TensorFlow SavedModel export (the TF Serving / TF Hub format)."""

from __future__ import annotations

import json
from pathlib import Path

from export import card as card_lib, common, pipeline, verify


def write_saved_model(model, fn, specs, path) -> None:
    """Writes the serving function as a SavedModel with a ``serving_default`` signature.

    A plain ``tf.Module`` rather than ``keras.export.ExportArchive``: in Keras
    3.15 the archive stores every variable twice (``variables`` and
    ``_all_variables``), doubling the folder.
    """
    import tensorflow as tf

    root = tf.Module()
    # The backing tf.Variables, so the saved function's captures are tracked.
    root.generator_variables = [w.value for w in model.generator.weights]
    root.serve = fn
    tf.saved_model.save(root, str(path), signatures={common.SIGNATURE_KEY: fn.get_concrete_function(*specs)})


def to_saved_model(model, path, *, uint8_output: bool = False, force: bool = False,
                   weights_sha256=card_lib.AUTO) -> pipeline.ExportResult:
    """Exports a zoo generator as a verified SavedModel folder.

    The ``serving_default`` signature takes the generator's named inputs
    (``z``, with a dynamic batch) and returns ``{"image": (N, H, W, C)}``:
    float32 in [-1, 1], or uint8 0..255 with ``uint8_output``. It is checked
    with ``tf.saved_model.load`` and as a ``tensorflow_hub.KerasLayer``;
    the card goes beside the folder and into its ``assets.extra/``.

    Args:
        model: a :class:`zoo.ZooModel`.
        path: the folder to create.
        uint8_output: scale to uint8 inside the graph.
        force: replace an existing folder (only once the new one verifies).
        weights_sha256: sha256 of the source weights for the card; ``"auto"``
            works it out, None says fresh weights.

    Returns:
        An :class:`ExportResult`.

    Raises:
        VerificationError: the SavedModel disagrees with the generator.
        FileExistsError: ``path`` exists and ``force`` is False.

    Examples:
    >>> import export, zoo
    >>> m = zoo.load("dcgan-mnist", weights=None)
    >>> r = export.to_saved_model(m, "out/dcgan-mnist_savedmodel")
    >>> r.card["verification"]["passed"], r.card_path.name, (r.path / "assets.extra" / "card.json").is_file()
    (True, 'dcgan-mnist_savedmodel.card.json', True)
    """
    infos = common.input_infos(model)

    def runners(tmp):
        return {
            "tf.saved_model.load serving_default": verify.saved_model_runner(tmp),
            "tensorflow_hub.KerasLayer in a tf_keras Model": verify.hub_keras_layer_runner(tmp, infos),
        }

    def finalize(tmp, card):
        # TF Serving's convention for files that travel with a SavedModel.
        extra = Path(tmp) / "assets.extra"
        extra.mkdir(exist_ok=True)
        (extra / "card.json").write_text(json.dumps(card, indent=2) + "\n")

    return pipeline.run_export(
        model, path, fmt="saved_model", quantization=None, uint8_output=uint8_output, force=force,
        weights_sha256=weights_sha256, is_dir=True,
        write=lambda fn, specs, tmp: write_saved_model(model, fn, specs, tmp),
        runners=runners, finalize=finalize,
    )
