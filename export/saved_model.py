"""TensorFlow SavedModel export (the TF Serving / TF Hub format).

One SavedModel serves both conventions: the ``serving_default`` signature
(TF Serving, ``signatures[...]``, TF-Lite conversion) and a default callable,
the object's ``__call__``, a ``tf.function`` with a traced input signature, so
``tf.saved_model.load(path)(z)`` and ``hub.KerasLayer(path)`` (no arguments)
work as TF Hub users expect. With ``serving_version=N`` the folder is written
in TF Serving's numbered layout, ``BASE/N/saved_model.pb``.
"""

from __future__ import annotations

import json
from pathlib import Path

from export import card as card_lib, common, pipeline, verify

DEFAULT_CALLABLE = "__call__"


def default_callable(fn, specs):
    """The SavedModel's ``__call__``: the generator's input (one tensor, or a dict by input name
    when the generator has several) -> the image tensor, traced for ``specs``.

    Examples:
    >>> import tensorflow as tf, zoo
    >>> fn, specs = common.serving_function(zoo.load("infogan-mnist", weights=None))
    >>> call = default_callable(fn, specs)
    >>> call({"z": tf.zeros((2, 62)), "c_cat": tf.zeros((2, 10)), "c_cont": tf.zeros((2, 2))}).shape.as_list()
    [2, 28, 28, 1]
    """
    import tensorflow as tf

    if len(specs) == 1:
        def call(x):
            return fn(x)[common.OUTPUT_NAME]

        return tf.function(call, input_signature=list(specs), autograph=False)
    names = [s.name for s in specs]

    def call_dict(inputs):
        return fn(*[inputs[n] for n in names])[common.OUTPUT_NAME]

    return tf.function(call_dict, input_signature=[{s.name: s for s in specs}], autograph=False)


def write_saved_model(model, fn, specs, path) -> None:
    """Writes the serving function as a SavedModel: a ``serving_default`` signature and a default callable.

    The root also carries TF Hub's reusable-SavedModel attributes (``variables``,
    ``trainable_variables``, ``regularization_losses``), so ``hub.KerasLayer``
    lists the generator's weights. A plain trackable root rather than
    ``keras.export.ExportArchive``: in Keras 3.15 the archive stores every
    variable twice (``variables`` and ``_all_variables``), doubling the folder.
    """
    import tensorflow as tf

    # tf.train.Checkpoint rather than tf.Module: tf.Module's `variables` is a read-only property.
    root = tf.train.Checkpoint()
    # The backing tf.Variables, so the saved functions' captures are tracked.
    root.generator_variables = [w.value for w in model.generator.weights]
    root.variables = list(root.generator_variables)
    root.trainable_variables = [w.value for w in model.generator.trainable_weights]
    root.regularization_losses = []
    root.serve = fn
    setattr(root, DEFAULT_CALLABLE, default_callable(fn, specs))
    tf.saved_model.save(root, str(path), signatures={common.SIGNATURE_KEY: fn.get_concrete_function(*specs)})


def serving_base_name(name: str, uint8_output: bool = False) -> str:
    """The base folder TF Serving's ``--model_base_path`` names, for ``--serving-version``.

    Examples:
    >>> serving_base_name("dcgan-mnist"), serving_base_name("dcgan-mnist", uint8_output=True)
    ('dcgan-mnist', 'dcgan-mnist_uint8')
    """
    return common.artifact_filename(name, "saved_model", uint8_output=uint8_output).removesuffix("_savedmodel")


def serving_path(base, serving_version: int | None) -> Path:
    """``base`` itself, or ``base/N`` for TF Serving's numbered layout; N is a non-negative integer.

    Examples:
    >>> serving_path("models/dcgan-mnist", 3).as_posix()
    'models/dcgan-mnist/3'
    >>> serving_path("models/dcgan-mnist", -1)
    Traceback (most recent call last):
    ...
    ValueError: the serving version must be a non-negative integer (TF Serving's folder names), got -1
    """
    if serving_version is None:
        return Path(base)
    if isinstance(serving_version, bool) or not isinstance(serving_version, int) or serving_version < 0:
        raise ValueError(f"the serving version must be a non-negative integer (TF Serving's folder names), "
                         f"got {serving_version!r}")
    return Path(base) / str(serving_version)


def to_saved_model(model, path, *, uint8_output: bool = False, force: bool = False,
                   weights_sha256=card_lib.AUTO, serving_version: int | None = None) -> pipeline.ExportResult:
    """Exports a zoo generator as a verified SavedModel folder.

    The ``serving_default`` signature takes the generator's named inputs
    (``z``, with a dynamic batch) and returns ``{"image": (N, H, W, C)}``:
    float32 in [-1, 1], or uint8 0..255 with ``uint8_output``. The default
    callable (``__call__``) takes the input tensor (a dict by name for
    generators with several inputs) and returns the image tensor, so
    ``hub.KerasLayer(path)`` needs no signature. It is checked through the
    signature and the callable of ``tf.saved_model.load`` and as a
    ``tensorflow_hub.KerasLayer`` in a ``tf_keras`` model; the card goes
    beside the folder and into its ``assets.extra/``.

    Args:
        model: a :class:`zoo.ZooModel`.
        path: the folder to create; with ``serving_version`` the model's
            base folder, and the SavedModel goes into ``path/N`` (TF Serving's
            layout; other versions already there are kept).
        uint8_output: scale to uint8 inside the graph.
        force: replace an existing folder (only once the new one verifies).
        weights_sha256: sha256 of the source weights for the card; ``"auto"``
            works it out, None says fresh weights.
        serving_version: N, a non-negative integer, or None for ``path`` itself.

    Returns:
        An :class:`ExportResult`.

    Raises:
        VerificationError: the SavedModel disagrees with the generator.
        FileExistsError: the target exists and ``force`` is False.

    Examples:
    >>> import export, zoo
    >>> m = zoo.load("dcgan-mnist", weights=None)
    >>> r = export.to_saved_model(m, "out/dcgan-mnist_savedmodel")
    >>> r.card["verification"]["passed"], r.card_path.name, (r.path / "assets.extra" / "card.json").is_file()
    (True, 'dcgan-mnist_savedmodel.card.json', True)
    >>> r = export.to_saved_model(m, "models/dcgan-mnist", serving_version=1)   # TF Serving's layout
    >>> (r.path / "saved_model.pb").as_posix(), r.card["default_callable"]
    ('models/dcgan-mnist/1/saved_model.pb', '__call__')
    """
    path = serving_path(path, serving_version)
    infos = common.input_infos(model)

    def runners(tmp):
        return {
            "tf.saved_model.load serving_default": verify.saved_model_runner(tmp),
            "tf.saved_model.load default callable": verify.saved_model_call_runner(tmp, infos),
            "tensorflow_hub.KerasLayer(path) in a tf_keras model": verify.hub_keras_layer_runner(tmp, infos),
        }

    def finalize(tmp, card):
        # TF Serving's convention for files that travel with a SavedModel.
        extra = Path(tmp) / "assets.extra"
        extra.mkdir(exist_ok=True)
        (extra / "card.json").write_text(json.dumps(card, indent=2) + "\n")

    card_extra = {"default_callable": DEFAULT_CALLABLE,
                  "default_callable_input": "tensor" if len(infos) == 1 else "dict by input name",
                  "serving_version": serving_version}
    return pipeline.run_export(
        model, path, fmt="saved_model", quantization=None, uint8_output=uint8_output, force=force,
        weights_sha256=weights_sha256, is_dir=True,
        write=lambda fn, specs, tmp: write_saved_model(model, fn, specs, tmp),
        runners=runners, finalize=finalize, extra_card=card_extra,
    )

