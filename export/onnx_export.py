"""ONNX export through tf2onnx, verified with ``onnx.checker`` and onnxruntime.

(Named ``onnx_export`` so it never shadows the ``onnx`` package.)
"""

from __future__ import annotations

import json
import logging

from export import card as card_lib, common, pipeline, verify


def _erfc_as_one_minus_erf(ctx, node, name, args):
    """tf2onnx handler for ``Erfc``, which ONNX lacks: ``1 - Erf(x)``.

    Keras' exact GELU lowers to ``Erfc`` in TensorFlow; the absolute error of
    ``1 - erf`` is float32 rounding, which is what image outputs are judged on.
    """
    import numpy as np
    from tf2onnx import utils

    x = node.input[0]
    dtype = ctx.get_dtype(x)
    erf = ctx.make_node("Erf", [x], op_name_scope=name, shapes=[ctx.get_shape(x)], dtypes=[dtype])
    one = ctx.make_const(utils.make_name(f"{name}_one"), np.array(1, utils.map_onnx_to_numpy_type(dtype)))
    node.type = "Sub"
    ctx.replace_inputs(node, [one.output[0], erf.output[0]])
    return node


CUSTOM_OP_HANDLERS = {"Erfc": (_erfc_as_one_minus_erf, [])}


def unsupported_ops(proto) -> list[str]:
    """Op types in ``proto`` that no ONNX opset defines (tf2onnx leaves ops it cannot map as they are)."""
    import onnx

    bad = set()
    for n in proto.graph.node:
        try:
            onnx.defs.get_schema(n.op_type, max_inclusive_version=10**4, domain=n.domain)
        except onnx.defs.SchemaError:
            bad.add(n.op_type if not n.domain else f"{n.domain}.{n.op_type}")
    return sorted(bad)


def convert(model, fn, specs, opset: int | None):
    """The ONNX ModelProto of the serving function, with a batch axis named ``batch``.

    Raises:
        ExportError: the graph has TensorFlow ops tf2onnx cannot map; the
            message names them.
    """
    import tf2onnx

    tf2onnx.logging.set_level(logging.CRITICAL)  # its INFO lines bury the CLI's own output; we report errors
    # custom_op_handlers is mutated by tf2onnx, hence the copy.
    proto, _ = tf2onnx.convert.from_function(fn, input_signature=specs, opset=opset,
                                            custom_op_handlers=dict(CUSTOM_OP_HANDLERS))
    bad = unsupported_ops(proto)
    if bad:
        raise common.ExportError(f"{model.name}: ONNX conversion left ops with no ONNX definition "
                                 f"({', '.join(bad)}); replace them in the generator")
    for value in list(proto.graph.input) + list(proto.graph.output):
        dims = value.type.tensor_type.shape.dim
        if dims and not dims[0].HasField("dim_value"):
            dims[0].dim_param = "batch"
    return proto


def metadata(card: dict) -> dict[str, str]:
    """The card as ONNX ``metadata_props``: strings as they are, everything else as JSON."""
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in card.items()}


def to_onnx(model, path, opset: int | None = None, *, uint8_output: bool = False, force: bool = False,
            weights_sha256=card_lib.AUTO) -> pipeline.ExportResult:
    """Exports a zoo generator as a verified ONNX file.

    Inputs are the generator's named inputs (``z``) and the output is
    ``image``, NHWC like the Keras model, with a symbolic ``batch`` axis. The
    card is written beside the file and into its ``metadata_props``.

    Args:
        model: a :class:`zoo.ZooModel`.
        path: the ``.onnx`` file to create.
        opset: ONNX opset; None takes tf2onnx's default (recorded in the card).
        uint8_output: scale to uint8 inside the graph.
        force: replace an existing file (only once the new one verifies).
        weights_sha256: sha256 of the source weights for the card; ``"auto"``
            works it out, None says fresh weights.

    Returns:
        An :class:`ExportResult`.

    Raises:
        VerificationError: the file fails ``onnx.checker`` or disagrees
            with the generator.

    Examples:
    >>> import export, zoo
    >>> m = zoo.load("dcgan-mnist", weights=None)
    >>> r = export.to_onnx(m, "out/dcgan-mnist.onnx")
    >>> r.card["onnx_opset"], r.card["inputs"], r.card["verification"]["batch_sizes"]
    (15, [{'name': 'z', 'shape': [None, 100], 'dtype': 'float32'}], [64, 1])
    """
    import onnx

    def write(fn, specs, tmp):
        proto = convert(model, fn, specs, opset)
        onnx.save(proto, str(tmp))
        used = next(o.version for o in proto.opset_import if o.domain in ("", "ai.onnx"))
        return {"onnx_opset": int(used)}

    def runners(tmp):
        import onnxruntime

        return {f"onnxruntime {onnxruntime.__version__} CPUExecutionProvider": verify.onnxruntime_runner(tmp)}

    def finalize(tmp, card):
        proto = onnx.load(str(tmp))
        del proto.metadata_props[:]
        onnx.helper.set_model_props(proto, metadata(card))
        proto.doc_string = f"gan-zoo {card['zoo_name']}: z -> image; see metadata_props"
        onnx.checker.check_model(proto, full_check=True)  # metadata only, but check what is shipped
        onnx.save(proto, str(tmp))

    return pipeline.run_export(
        model, path, fmt="onnx", quantization=None, uint8_output=uint8_output, force=force,
        weights_sha256=weights_sha256, is_dir=False, write=write, runners=runners, finalize=finalize,
    )
