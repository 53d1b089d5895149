"""Selective quantisation for TF-Lite: the layers a generator asks to keep in float32.

A generator may declare ``tflite_float32_layers``, a dict from TF-Lite
quantization (``"float16"``, ``"int8"``) to layer paths below the generator
(``fnmatch`` patterns; a pattern also covers every layer inside the ones it
names), e.g. StyleGAN's ``{"float16": ("mapping", "synthesis/*/style_*"),
"int8": ("mapping", "synthesis/*/adain")}``.
Why a layer needs float32 is measured with :mod:`export.layer_diff` and written
up in ``docs/export-quantisation.md``.

- float16: the converter's float16 model, with the float16 weights that those
  layers read replaced by the float32 originals (taken from the float32
  conversion of the same graph) and their DEQUANTIZE ops removed.
- int8: the converter's calibration, then the quantizer with those layers'
  ops denylisted (``tf.lite.experimental.QuantizationDebugger``'s
  ``denylisted_nodes``): they run in float32 between DEQUANTIZE and QUANTIZE
  ops; everything else stays int8, and the file still uses builtin ops only.
"""

from __future__ import annotations

import fnmatch
import functools
import re

import numpy as np

from export import common

ATTRIBUTE = "tflite_float32_layers"
_SUFFIX = re.compile(r"_\d+$")


def layer_path(tf_name: str) -> str:
    """The Keras layer path of a traced TF op (or a TF-Lite tensor named after one): its name scope,
    without the ``_1`` suffixes TF adds when a scope is entered again in a trace.

    Examples:
    >>> layer_path("generator_1/synthesis_1/layer1_4x4_1/adain_1/Rsqrt")
    'generator/synthesis/layer1_4x4/adain'
    >>> layer_path("clip_by_value")
    ''
    """
    parts = tf_name.split("/")[:-1]
    if parts and all(_SUFFIX.search(p) for p in parts):
        parts = [_SUFFIX.sub("", p) for p in parts]
    return "/".join(parts)


def float32_layers(model, quantize: str | None) -> tuple[str, ...]:
    """The layer patterns ``model``'s generator keeps in float32 under ``quantize`` (empty: none).

    Examples:
    >>> import zoo
    >>> float32_layers(zoo.load("stylegan-fashion-mnist", weights=None), "int8")
    ('mapping', 'synthesis/*/adain')
    >>> float32_layers(zoo.load("dcgan-mnist", weights=None), "int8")
    ()
    """
    spec = getattr(model.generator, ATTRIBUTE, None) or {}
    return tuple(spec.get(quantize, ()))


def matcher(generator_name: str, patterns):
    """``match(tensor_name) -> bool``: does a TF-Lite tensor (``;``-separated op names) lie in a kept layer?

    Examples:
    >>> match = matcher("generator", ["synthesis/*/adain"])
    >>> match("generator_1/synthesis_1/layer3_8x8_1/adain_1/Rsqrt"), match("generator_1/mapping_1/dense0_1/add")
    (True, False)
    """
    prefix = generator_name + "/"

    def match(tensor_name: str) -> bool:
        for part in tensor_name.split(";"):
            path = layer_path(part)
            path = path[len(prefix):] if path.startswith(prefix) else path
            if any(fnmatch.fnmatchcase(path, p) or fnmatch.fnmatchcase(path, p + "/*") for p in patterns):
                return True
        return False

    return match


def tensor_names(data: bytes) -> list[str]:
    """Output tensor names of every op of a TF-Lite file's first subgraph, in order."""
    from ai_edge_litert import schema_py_generated as schema

    graph = schema.Model.GetRootAsModel(data, 0).Subgraphs(0)
    return [graph.Tensors(int(t)).Name().decode()
            for i in range(graph.OperatorsLength()) for t in graph.Operators(i).OutputsAsNumpy()]


def int8_denylisted(converter, match) -> tuple[bytes, int]:
    """Full-integer quantization with the ops whose outputs ``match`` kept in float32.

    ``converter`` is set up for int8 (optimizations, representative dataset). Returns the
    flatbuffer and how many ops were denylisted.
    """
    import tensorflow as tf

    # The debugger calibrates with the converter's representative dataset; its own debug dataset is
    # only read by run(), which this does not call.
    debugger = tf.lite.experimental.QuantizationDebugger(converter=converter)
    nodes = [n for n in tensor_names(debugger.calibrated_model) if match(n)]
    if nodes:
        debugger.options = tf.lite.experimental.QuantizationDebugOptions(denylisted_nodes=nodes)
    return debugger.get_nondebug_quantized_model(), len(nodes)


def float16_keep_float32(data16: bytes, data32: bytes, match, model_name: str) -> tuple[bytes, int]:
    """The float16 model ``data16`` with the float16 weights read by ops whose outputs ``match`` restored
    to float32 from ``data32`` (the float32 conversion of the same graph). Returns the flatbuffer and
    how many weight tensors were restored.

    Raises:
        ExportError: the two conversions do not line up (no float32 constant of ``data32`` rounds to
            a weight to restore).
    """
    from ai_edge_litert import schema_py_generated as schema

    m16, m32 = schema.ModelT.InitFromPackedBuf(data16, 0), schema.ModelT.InitFromPackedBuf(data32, 0)
    g16, g32 = m16.subgraphs[0], m32.subgraphs[0]
    dequantize = next((i for i, c in enumerate(m16.operatorCodes)
                       if max(c.builtinCode, c.deprecatedBuiltinCode) == schema.BuiltinOperator.DEQUANTIZE), None)
    originals = _float32_constants(m32, g32)
    readers: dict[int, list] = {}
    for op in g16.operators:
        for t in op.inputs:
            readers.setdefault(int(t), []).append(op)
    kept, restored = [], 0
    for op in g16.operators:
        source = int(op.inputs[0]) if op.opcodeIndex == dequantize and len(op.inputs) else -1
        weight = g16.tensors[source] if source >= 0 else None
        if weight is None or weight.type != schema.TensorType.FLOAT16 or not _has_data(m16, weight):
            kept.append(op)
            continue
        target = int(op.outputs[0])
        if not any(match(_name(g16, r.outputs[0])) for r in readers.get(target, [])):
            kept.append(op)
            continue
        half = np.frombuffer(bytes(m16.buffers[weight.buffer].data), np.float16)
        # The float32 constant this weight was rounded from: same shape, same float16 rounding (all
        # candidates equal when several match, e.g. two epsilons).
        found = {v.tobytes() for v in originals.get(tuple(g16.tensors[target].shape), [])
                 if np.array_equal(v.astype(np.float16).view(np.uint16), half.view(np.uint16))}
        if len(found) != 1:
            raise common.ExportError(f"{model_name}: cannot keep {_name(g16, source)} in float32: the float16 and "
                                     "float32 conversions differ around it")
        m16.buffers.append(schema.BufferT())
        m16.buffers[-1].data = np.frombuffer(found.pop(), np.uint8)
        g16.tensors[target].buffer = len(m16.buffers) - 1
        restored += 1
    g16.operators = kept
    _drop_unused_tensors(m16, g16)
    return _pack(m16), restored


def _drop_unused_tensors(model, graph) -> None:
    """Removes the tensors no op, graph input or output uses (the float16 copies), emptying their buffers."""
    def ints(values):
        return [int(t) for t in (values if values is not None else [])]

    used = set(ints(graph.inputs)) | set(ints(graph.outputs))
    for op in graph.operators:
        used |= set(ints(op.inputs)) | set(ints(op.outputs)) | set(ints(op.intermediates))
    used.discard(-1)
    keep = [t for t in range(len(graph.tensors)) if t in used]
    in_use = {graph.tensors[t].buffer for t in keep}
    for t in range(len(graph.tensors)):
        if t not in used and graph.tensors[t].buffer not in in_use:
            model.buffers[graph.tensors[t].buffer].data = None
    new = {old: i for i, old in enumerate(keep)}
    graph.tensors = [graph.tensors[t] for t in keep]
    graph.inputs = [new[t] for t in ints(graph.inputs)]
    graph.outputs = [new[t] for t in ints(graph.outputs)]
    for op in graph.operators:
        op.inputs = [new[t] if t >= 0 else -1 for t in ints(op.inputs)]
        op.outputs = [new[t] for t in ints(op.outputs)]
        if op.intermediates is not None:
            op.intermediates = [new[t] for t in ints(op.intermediates)]
    for signature in model.signatureDefs or []:
        for io in (signature.inputs or []) + (signature.outputs or []):
            io.tensorIndex = new[io.tensorIndex]


def _float32_constants(model, graph) -> dict[tuple, list]:
    """The float32 constants of a converted model as flat arrays, by shape."""
    from ai_edge_litert import schema_py_generated as schema

    found: dict[tuple, list] = {}
    for tensor in graph.tensors:
        if tensor.type == schema.TensorType.FLOAT32 and _has_data(model, tensor):
            values = np.frombuffer(bytes(model.buffers[tensor.buffer].data), np.float32)
            found.setdefault(tuple(tensor.shape), []).append(values)
    return found


def _name(graph, tensor_index) -> str:
    name = graph.tensors[int(tensor_index)].name
    return name.decode() if isinstance(name, bytes) else str(name)


def _has_data(model, tensor) -> bool:
    data = model.buffers[tensor.buffer].data
    return data is not None and len(data) > 0


def _pack(model) -> bytes:
    """Serialises a ``ModelT`` with every buffer's data 16-byte aligned (for SIMD kernels reading weights in place)."""
    import flatbuffers

    aligned = _aligned_buffer_class()
    buffers = []
    for b in model.buffers:
        copy = aligned()
        copy.data, copy.offset, copy.size = b.data, b.offset, b.size
        buffers.append(copy)
    model.buffers = buffers
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


@functools.cache
def _aligned_buffer_class():
    """``BufferT`` whose data vector is 16-byte aligned (the generated ``Pack`` aligns it to 1 byte)."""
    from ai_edge_litert import schema_py_generated as schema

    class AlignedBufferT(schema.BufferT):
        def Pack(self, builder):  # noqa: N802 (the generated API's name)
            data = None
            if self.data is not None and len(self.data):
                raw = np.asarray(self.data, np.uint8).tobytes()
                builder.StartVector(1, len(raw), 16)
                builder.head = builder.Head() - len(raw)
                builder.Bytes[builder.Head():builder.Head() + len(raw)] = raw
                data = builder.EndVector()
            schema.BufferStart(builder)
            if data is not None:
                schema.BufferAddData(builder, data)
            schema.BufferAddOffset(builder, self.offset)
            schema.BufferAddSize(builder, self.size)
            return schema.BufferEnd(builder)

    return AlignedBufferT
