"""Per-layer error of TF-Lite artifacts against the Keras generator: where quantisation error enters and grows.

Every intermediate tensor of a TF-Lite file is read back from the LiteRT
interpreter (``experimental_preserve_all_tensors``, no delegates, so each op's
own kernel wrote it) and compared with the same tensor of the Keras generator,
computed by TensorFlow from the traced serving graph (the converter names each
TF-Lite tensor after the TF ops it came from, so the two line up by name). Int8
tensors are dequantised with their own scale and zero point.

A row is one Keras layer (its TF name scope): its output, the last of its
tensors the TF-Lite graph computes. ``rel`` = RMS(artifact - Keras) /
RMS(Keras), scale-free so layers of different magnitude compare; ``gain`` =
``rel`` over the largest ``rel`` of the tensors the layer reads (weights count
as exact): about 1 for a layer that passes its input's error on, above 1 where
it adds error (quantised weights) or amplifies it, and ``new`` where its inputs
were exact (below :data:`ERROR_FLOOR`). The first row above the floor is where
the error *enters*; a row whose gain, or an inner op's, is at least
:data:`JUMP_FACTOR` is a *jump*: a layer that multiplies the error it was given.

Run ``python -m export.layer_diff NAME [--quantize float32,float16,int8] [--ops] [--plain]``
(``--plain``: without the layers the generator keeps in float32, see :mod:`export.tflite_precision`).
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import re

import numpy as np

from export import common, tflite_precision

ERROR_FLOOR = 1e-5  # relative RMS error of float32 rounding is ~1e-7; float16 weights give ~1e-4
JUMP_FACTOR = 3.0


@dataclasses.dataclass
class Row:
    """One Keras layer (or, with ``by_layer=False``, one TF-Lite tensor) and its error per artifact.

    ``errors[label]`` holds ``op`` (the TF-Lite op writing the row's tensor), ``max_abs``, ``rel``,
    ``gain``, and ``top_op`` / ``top_gain``: the layer's inner op with the largest gain.
    """

    layer: str
    shape: tuple
    ref_rms: float
    errors: dict = dataclasses.field(default_factory=dict)

    def jump(self, label: str) -> float:
        """The larger of the layer's gain and its top inner op's, for artifact ``label``; 0 where the
        layer was given no error (its error, if any, enters there: it amplifies nothing)."""
        e = self.errors.get(label)
        return 0.0 if e is None or e["gain"] is None else max(e["gain"], e["top_gain"] or 0.0)


def layer_name(tf_op_name: str) -> str:
    """The Keras layer path of a traced TF op (``(serving function)`` for the serving function's own ops).

    Examples:
    >>> layer_name("generator_1/synthesis_1/layer1_4x4_1/adain_1/Rsqrt")
    'generator/synthesis/layer1_4x4/adain'
    >>> layer_name("clip_by_value")
    '(serving function)'
    """
    return tflite_precision.layer_path(tf_op_name) or "(serving function)"


def tflite_ops(data: bytes, inputs: dict) -> list[dict]:
    """Every op of a TF-Lite file after one run, in execution order: ``{"type", "inputs", "outputs"}``.

    ``inputs`` lists the op's non-constant input tensor indices; ``outputs`` holds
    ``(tensor index, tensor name, float64 value)``. Integer tensors with one scale are
    dequantised; other integer tensors (shapes, indices) have the value None. Ops computing
    constants only (a weight's DEQUANTIZE) are left out; the signature's output tensor is
    named ``common.OUTPUT_NAME``.
    """
    from ai_edge_litert import schema_py_generated as schema
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    fb = schema.Model.GetRootAsModel(data, 0)
    signature = fb.SignatureDefs(0)
    graph = fb.Subgraphs(signature.SubgraphIndex())
    outputs = {signature.Outputs(i).TensorIndex(): signature.Outputs(i).Name().decode()
               for i in range(signature.OutputsLength())}
    builtin_names = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
    interpreter = Interpreter(model_content=data, experimental_preserve_all_tensors=True,
                              experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
    interpreter.get_signature_runner(common.SIGNATURE_KEY)(**inputs)
    details = {d["index"]: d for d in interpreter.get_tensor_details()}
    constant = {t for t in range(graph.TensorsLength()) if fb.Buffers(graph.Tensors(t).Buffer()).DataLength() > 0}
    found = []
    for i in range(graph.OperatorsLength()):
        op = graph.Operators(i)
        ins = [int(t) for t in op.InputsAsNumpy() if t >= 0 and int(t) not in constant]
        outs = [int(t) for t in op.OutputsAsNumpy()]
        if not ins:
            constant.update(outs)
            continue
        code = fb.OperatorCodes(op.OpcodeIndex())
        found.append({
            "type": builtin_names.get(max(code.BuiltinCode(), code.DeprecatedBuiltinCode()), "CUSTOM"),
            "inputs": ins,
            "outputs": [(t, outputs.get(t) or graph.Tensors(t).Name().decode(),
                         _as_float(interpreter.get_tensor(t), details[t]["quantization_parameters"])) for t in outs],
        })
    return found


def _as_float(value: np.ndarray, quantization: dict) -> np.ndarray | None:
    if np.issubdtype(value.dtype, np.floating):
        return value.astype(np.float64)
    if value.dtype in (np.int8, np.uint8, np.int16) and len(quantization["scales"]) == 1:
        return (value.astype(np.float64) - quantization["zero_points"][0]) * quantization["scales"][0]
    return None


class KerasTensors:
    """The Keras generator's intermediate tensors, by TF op name, from its traced serving graph.

    ``tensor_for(tflite_name, shape)`` finds the TF op a TF-Lite tensor came from: of the
    ``;``-separated op names the converter gives a fused tensor, the last in graph order
    whose shape matches (e.g. ``MatMul;add`` -> the ``add`` that includes the bias).
    """

    def __init__(self, model, inputs: dict):
        import tensorflow as tf

        fn, specs = common.serving_function(model)
        self._wrapped = tf.compat.v1.wrap_function(fn.python_function, specs)
        graph = self._wrapped.graph
        self._feeds = [graph.get_tensor_by_name(f"{s.name}:0") for s in specs]
        self._args = [tf.constant(inputs[s.name]) for s in specs]
        self._batch = len(next(iter(inputs.values())))
        self._order = {op.name: i for i, op in enumerate(graph.get_operations())}
        self._ops = {op.name: op for op in graph.get_operations()}
        self._output = self._wrapped.structured_outputs[common.OUTPUT_NAME]

    def tensor_for(self, tflite_name: str, shape: tuple):
        """The TF op name of a TF-Lite tensor of ``shape``, or None (a weight, or fused away)."""
        if tflite_name == common.OUTPUT_NAME:
            return common.OUTPUT_NAME
        best = None
        for name in tflite_name.split(";"):
            if name not in self._ops:  # the converter may append a digit: "conv/convolution" -> "...convolution4"
                name = re.sub(r"\d+$", "", name)
            op = self._ops.get(name)
            if op is None or len(op.outputs) != 1 or not op.outputs[0].dtype.is_floating:
                continue
            static = op.outputs[0].shape
            if static.rank != len(shape) or any(s != (self._batch if d is None else d)
                                                for d, s in zip(static.as_list(), shape)):
                continue  # an unknown dimension is the batch: a (1, H, W, C) constant is not an activation
            if best is None or self._order[name] > self._order[best]:
                best = name
        return best

    def values(self, names) -> dict:
        """``{name: float64 value}`` for TF op names (and ``common.OUTPUT_NAME``, the clipped image)."""
        names = list(dict.fromkeys(names))
        fetches = [self._output if n == common.OUTPUT_NAME else self._ops[n].outputs[0] for n in names]
        results = self._wrapped.prune(self._feeds, fetches)(*self._args)
        return {n: np.asarray(v, np.float64) for n, v in zip(names, results)}


def compare(keras: KerasTensors, data: bytes, inputs: dict, by_layer: bool = True) -> list[dict]:
    """One artifact against Keras, per layer (or per tensor) in execution order: ``{"layer", "op", "shape",
    "ref_rms", "max_abs", "rel", "gain", "top_op", "top_gain"}``.

    ``gain`` is ``rel`` over the largest ``rel`` of the row's inputs (tensors from other layers;
    weights count as exact, a tensor without a Keras counterpart carries its inputs' error), None
    when that is below :data:`ERROR_FLOOR`. ``top_op`` is the layer's inner op with the largest gain.
    """
    ops = tflite_ops(data, inputs)
    for op in ops:
        op["outputs"] = [(t, keras.tensor_for(name, value.shape) if value is not None else None, value)
                         for t, name, value in op["outputs"]]
    reference = keras.values(n for op in ops for _, n, _ in op["outputs"] if n is not None)
    rel_of, entries = {}, []
    for op in ops:
        carried = max((rel_of.get(t, 0.0) for t in op["inputs"]), default=0.0)
        for t, tf_name, value in op["outputs"]:
            if tf_name is None:
                rel_of[t] = carried
                continue
            ref = reference[tf_name]
            ref_rms = math.sqrt(float(np.mean(ref ** 2)))
            rel_of[t] = math.sqrt(float(np.mean((value - ref) ** 2))) / max(ref_rms, 1e-30) if ref_rms else 0.0
            key = ("(output)" if tf_name == common.OUTPUT_NAME else layer_name(tf_name)) if by_layer else tf_name
            entries.append({"layer": key, "tensor": t, "inputs": op["inputs"], "op": op["type"],
                            "name": tf_name.rsplit("/", 1)[-1], "shape": tuple(ref.shape), "ref_rms": ref_rms,
                            "max_abs": float(np.max(np.abs(value - ref))), "rel": rel_of[t],
                            "gain": _gain(rel_of[t], carried)})
    groups: dict[str, list] = {}
    for e in entries:
        groups.setdefault(e["layer"], []).append(e)
    rows = []
    for e in entries:
        group = groups[e["layer"]]
        if e is not group[-1]:
            continue  # a layer's row is its last tensor, placed where that tensor is computed
        inside = {g["tensor"] for g in group}
        in_rel = max((rel_of.get(t, 0.0) for g in group for t in g["inputs"] if t not in inside), default=0.0)
        top = max(group, key=lambda g: g["gain"] or 0.0)
        rows.append({**{k: e[k] for k in ("layer", "op", "shape", "ref_rms", "max_abs", "rel")},
                     "gain": _gain(e["rel"], in_rel),
                     "top_op": f"{top['op']} {top['name']}", "top_gain": top["gain"]})
    return rows


def _gain(rel: float, in_rel: float) -> float | None:
    """How much a row amplified the error it was given; None when it was given none (its error, if any, is new)."""
    return rel / in_rel if in_rel > ERROR_FLOOR else None


def layer_diff(model, artifacts: dict | None = None, quantizations=(None, "float16", "int8"), n: int = 16,
               seed: int = common.VERIFY_SEED, by_layer: bool = True, plain: bool = False) -> list[Row]:
    """Per-layer (or per-tensor) errors of TF-Lite artifacts of ``model`` against its Keras generator.

    Args:
        model: a :class:`zoo.ZooModel`.
        artifacts: ``{label: flatbuffer bytes}``; None converts ``quantizations`` with the exporter's
            own converter (:func:`export.tflite.convert`), labelled ``float32``, ``float16``, ...
        n: latents per run (drawn as the exporter's verification draws them, from ``seed``).
        by_layer: one row per Keras layer (False: one per TF-Lite tensor).
        plain: convert without the layers the generator keeps in float32 (:mod:`export.tflite_precision`),
            to see what the converter's own quantization does.

    Returns:
        :class:`Row` s in execution order (see the module doc for ``rel`` and ``gain``).

    Examples:
    >>> from zoo.model import build
    >>> from zoo.registry import tiny_preset
    >>> tiny = tiny_preset("stylegan-fashion-mnist")  # a few thousand parameters
    >>> rows = layer_diff(tiny.model_class(tiny, build(tiny)[0]), quantizations=(None,), n=4)
    >>> [r.layer for r in rows if r.layer.endswith("adain")][:2]
    ['generator/synthesis/layer0_4x4/adain', 'generator/synthesis/layer1_4x4/adain']
    >>> rows[-1].layer, rows[-1].errors["float32"]["rel"] < 1e-5   # the float32 file matches Keras
    ('(output)', True)
    """
    from export import tflite

    inputs = common.sample_inputs(model, n, seed)
    if artifacts is None:
        fn, specs = common.serving_function(model)
        keep = () if plain else None
        artifacts = {q or "float32": tflite.convert_with_info(model, fn, specs, q, keep)[0] for q in quantizations}
    keras = KerasTensors(model, inputs)
    rows: dict[str, Row] = {}
    for label, data in artifacts.items():
        for r in compare(keras, data, inputs, by_layer):
            row = rows.setdefault(r["layer"], Row(r["layer"], r["shape"], r["ref_rms"]))
            row.errors[label] = {k: r[k] for k in ("op", "max_abs", "rel", "gain", "top_op", "top_gain")}
    return list(rows.values())


def summary(rows: list[Row], label: str) -> str:
    """Where the error of artifact ``label`` enters, its first jump and its largest gains (three lines).

    Examples:
    >>> new = {"op": "MUL", "max_abs": 1e-3, "rel": 1e-3, "gain": None, "top_op": "MUL mul", "top_gain": None}
    >>> amplified = {"op": "ADD", "max_abs": 0.1, "rel": 0.05, "gain": 5.0, "top_op": "RSQRT Rsqrt", "top_gain": 20.0}
    >>> print(summary([Row("a", (1, 2), 1.0, {"x": new}), Row("b", (1, 2), 1.0, {"x": amplified})], "x"))
    x: error enters at a (rel 1.00e-03)
      first jump: b (rel 5.00e-02, gain x5.0, inner RSQRT Rsqrt x20.0)
      largest gains: b x20.0
    """
    seen = [r for r in rows if label in r.errors]
    entry = next((r for r in seen if r.errors[label]["rel"] > ERROR_FLOOR), None)
    if entry is None:
        return f"{label}: no layer above the {ERROR_FLOOR:g} relative error floor"
    lines = [f"{label}: error enters at {entry.layer} (rel {entry.errors[label]['rel']:.2e})"]
    first = next((r for r in seen if r.jump(label) >= JUMP_FACTOR), None)
    if first is None:
        lines.append(f"  no layer amplifies it {JUMP_FACTOR:g}x or more")
    else:
        e = first.errors[label]
        lines.append(f"  first jump: {first.layer} (rel {e['rel']:.2e}, gain {_gain_text(e['gain'], e['rel'])}, "
                     f"inner {e['top_op']} {_gain_text(e['top_gain'], e['rel'])})")
    top = sorted((r for r in seen if r.jump(label) > 0), key=lambda r: -r.jump(label))[:3]
    lines.append("  largest gains: " + ", ".join(f"{r.layer} x{r.jump(label):.1f}" for r in top))
    return "\n".join(lines)


def format_table(rows: list[Row], labels=None) -> str:
    """A Markdown table, one row per layer: per artifact ``rel`` (gain), max-abs error and the top inner op."""
    labels = list(labels or dict.fromkeys(k for r in rows for k in r.errors))
    head = ["layer", "shape", "Keras RMS"]
    for label in labels:
        head += [f"{label} rel (gain)", f"{label} max-abs", f"{label} top inner op"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [r.layer, "x".join(str(d) for d in r.shape[1:]) or "-", f"{r.ref_rms:.3g}"]
        for label in labels:
            e = r.errors.get(label)
            if e is None:
                cells += ["-", "-", "-"]
                continue
            bold = "**" if r.jump(label) >= JUMP_FACTOR else ""
            cells += [f"{bold}{e['rel']:.2e} ({_gain_text(e['gain'], e['rel'])}){bold}", f"{e['max_abs']:.2e}",
                      f"{e['top_op']} {_gain_text(e['top_gain'], e['rel'])}" if e["top_gain"] else "-"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _gain_text(gain, rel) -> str:
    if gain is not None:
        return f"x{gain:.1f}"
    return "new" if rel > ERROR_FLOOR else "-"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m export.layer_diff", description=__doc__.split("\n\n")[0])
    p.add_argument("name", help="a registered model or a preset folder")
    p.add_argument("--quantize", default="float32,float16,int8",
                   help="comma-separated TF-Lite quantizations to compare (default: float32,float16,int8)")
    p.add_argument("-n", type=int, default=16, help="latents per run (default 16)")
    p.add_argument("--seed", type=int, default=common.VERIFY_SEED)
    p.add_argument("--ops", action="store_true", help="one row per TF-Lite tensor instead of per layer")
    p.add_argument("--plain", action="store_true",
                   help="quantize every layer, ignoring the layers the generator keeps in float32")
    p.add_argument("--weights", default=None, help="a generator .weights.h5 instead of the shipped one")
    p.add_argument("--untrained", action="store_true", help="a freshly initialised generator")
    args = p.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import zoo

    quantizations = [None if q == "float32" else common.check_quantize(q) for q in args.quantize.split(",")]
    model = zoo.load(args.name, weights=None if args.untrained else (args.weights or "pretrained"))
    rows = layer_diff(model, quantizations=quantizations, n=args.n, seed=args.seed, by_layer=not args.ops,
                      plain=args.plain)
    print(format_table(rows))
    for label in dict.fromkeys(k for r in rows for k in r.errors):
        print(summary(rows, label))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
