"""The ONNX generator each entry page runs in the browser, exported through the export layer.

:func:`site_onnx` exports an entry's shipped generator with :func:`export.to_onnx`
(verified there against the Keras generator), rewrites tf2onnx's generated
tensor and node names into a canonical order (:func:`canonicalize`: tf2onnx
numbers them from a process-wide counter, so two exports of the same weights
differ in their bytes), stores the weights that are exactly float16 (the
float16 weight storage) as float16 with a ``Cast`` (:func:`compact_float16`:
the same values, half the bytes), checks the final file again in onnxruntime, and
keeps it in a cache (``$ZOO_CACHE_DIR/gan-zoo/site/onnx``, else
``~/.keras/gan-zoo/site/onnx``) keyed by the entry, its generator config, the
sha256 of its weights and the library versions, so rebuilding the site does
not convert again. The conversion runs in a child process with ``PYTHONHASHSEED=0``
(:func:`export_canonical`): tf2onnx's optimizers give other, equivalent graphs
for other hash seeds. A cached file is verified against the current generator
on every build (a cache hit skips only the conversion).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from zoo import atomic

CANONICAL_VERSION = 5  # bump when canonicalize() or compact_float16() changes: part of the cache key
VERIFY_BATCH = 16
# The z distributions gallery.js draws (a model's latent_info()["z"]["distribution"]), and how, in the
# words of the live panel's note: Box-Muller for normals, 2u - 1 for InfoGAN's uniform noise.
Z_DRAWS = {"standard normal": "Box-Muller normals", "uniform on [-1, 1)": "z uniform on [-1, 1) as 2u - 1"}


@dataclasses.dataclass(frozen=True)
class SiteOnnx:
    """One entry's browser generator: the file, its inputs and how well it matches Keras."""

    path: Path
    inputs: list  # site_inputs(): [{"name", "shape" (None for the batch), "dtype", "distribution"?}], graph order
    image_shape: tuple
    bytes: int
    max_abs_error: float
    psnr_db: float | None  # None: identical to the Keras generator
    opset: int


def cache_root() -> Path:
    """``$ZOO_CACHE_DIR/gan-zoo/site``, else ``~/.keras/gan-zoo/site`` (as for weights and metrics)."""
    import os

    return Path(os.environ.get("ZOO_CACHE_DIR") or "~/.keras").expanduser() / "gan-zoo" / "site"


def _has_subgraphs(graph) -> bool:
    import onnx

    kinds = (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS)
    return any(a.type in kinds for n in graph.node for a in n.attribute)


def _digest(*parts) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part if isinstance(part, bytes) else repr(part).encode())
        h.update(b"\0")
    return h.hexdigest()


def _normal_tensor(t):
    """``t`` in one storage form (raw bytes): tf2onnx writes the same constant as int64_data or raw_data."""
    from onnx import numpy_helper

    return numpy_helper.from_array(numpy_helper.to_array(t), t.name)


def _structural_order(graph) -> list:
    """The nodes in a topological order that depends only on what they compute: each node gets a
    digest of its op, attributes and the digests of its inputs, and among the nodes that are ready
    the smallest digest goes first."""
    import heapq

    import onnx

    digest = {v.name: _digest("input", v.name) for v in graph.input}
    digest.update({t.name: _digest("init", t.data_type, list(t.dims), t.raw_data) for t in graph.initializer})
    keys, producer = [], {}
    for i, node in enumerate(graph.node):  # ONNX graphs are stored topologically sorted
        for a in node.attribute:
            if a.type == onnx.AttributeProto.TENSOR:
                a.t.CopyFrom(_normal_tensor(a.t))
                a.t.name = ""
        attrs = sorted((a.name, a.SerializeToString()) for a in node.attribute)
        keys.append(_digest(node.op_type, node.domain, attrs, [digest.get(x, x) for x in node.input]))
        for k, out in enumerate(node.output):
            digest[out], producer[out] = _digest(keys[i], k), i
    needs = [{producer[x] for x in node.input if x in producer} for node in graph.node]
    users: dict[int, list[int]] = {}
    for i, deps in enumerate(needs):
        for d in deps:
            users.setdefault(d, []).append(i)
    ready = [(keys[i], i) for i, deps in enumerate(needs) if not deps]
    heapq.heapify(ready)
    order = []
    while ready:
        _, i = heapq.heappop(ready)
        order.append(graph.node[i])
        for u in users.get(i, []):
            needs[u].discard(i)
            if not needs[u]:
                heapq.heappush(ready, (keys[u], u))
    return order


def canonicalize(proto):
    """Puts a converted graph in a canonical form: constants in one storage form, nodes in a
    structural topological order (:func:`_structural_order`), internal tensors renamed ``t0, t1, ...``
    in order of first use, nodes ``n0, n1, ...``, initializers sorted by their new names, no
    intermediate shape annotations, a fixed doc string. Inputs, outputs and the computation are
    unchanged; a graph with subgraphs keeps its names and order.

    Examples:
    >>> import onnx
    >>> from onnx import helper, TensorProto
    >>> w = helper.make_tensor("const_fold_opt__142", TensorProto.FLOAT, [1], [2.0])
    >>> node = helper.make_node("Mul", ["z", "const_fold_opt__142"], ["image"], name="Mul__7")
    >>> g = helper.make_graph([node], "g", [helper.make_tensor_value_info("z", TensorProto.FLOAT, [1])],
    ...                       [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1])], [w])
    >>> c = canonicalize(helper.make_model(g))
    >>> [n.name for n in c.graph.node], list(c.graph.node[0].input), c.graph.initializer[0].name
    (['n0'], ['z', 't0'], 't0')
    """
    graph = proto.graph
    graph.doc_string = "converted by tf2onnx from the gan-zoo serving function"  # tf2onnx names a numbered tf.function
    if _has_subgraphs(graph):
        return proto
    inits = [_normal_tensor(t) for t in graph.initializer]
    del graph.initializer[:]
    graph.initializer.extend(inits)
    nodes = _structural_order(graph)
    del graph.node[:]
    graph.node.extend(nodes)
    del graph.value_info[:]
    keep = {v.name for v in graph.input} | {v.name for v in graph.output}
    mapping: dict[str, str] = {}

    def rename(old: str) -> str:
        if not old or old in keep:
            return old
        return mapping.setdefault(old, f"t{len(mapping)}")

    for i, node in enumerate(graph.node):
        node.input[:] = [rename(x) for x in node.input]
        node.output[:] = [rename(x) for x in node.output]
        node.name = f"n{i}"
    unused = [t for t in graph.initializer if t.name not in mapping]
    for t in sorted(unused, key=lambda t: _digest(t.data_type, list(t.dims), t.raw_data)):
        rename(t.name)  # after the used ones, in an order of their contents
    for t in graph.initializer:
        t.name = rename(t.name)
    inits = sorted(graph.initializer, key=lambda t: int(t.name[1:]) if t.name in mapping.values() else -1)
    del graph.initializer[:]
    graph.initializer.extend(inits)
    return proto


def compact_float16(proto, min_size: int = 1024):
    """Stores every float32 initializer of at least ``min_size`` values whose values are all exactly
    float16 (weights shipped in float16 storage) as float16 followed by a ``Cast`` to float32: the same
    numbers in the graph, half the bytes on the wire. Other initializers stay as they are.

    Examples:
    >>> import onnx
    >>> from onnx import helper, numpy_helper
    >>> w = numpy_helper.from_array(np.full((32, 32), 0.5, np.float32), "t0")   # exact in float16
    >>> node = helper.make_node("MatMul", ["z", "t0"], ["image"], name="n0")
    >>> io = [helper.make_tensor_value_info(n, onnx.TensorProto.FLOAT, [1, 32]) for n in ("z", "image")]
    >>> c = compact_float16(helper.make_model(helper.make_graph([node], "g", io[:1], io[1:], [w])))
    >>> [n.op_type for n in c.graph.node], c.graph.initializer[0].name, c.graph.initializer[0].data_type
    (['Cast', 'MatMul'], 't0_float16', 10)
    """
    import numpy as np
    import onnx
    from onnx import helper, numpy_helper

    casts = []
    for init in proto.graph.initializer:
        if init.data_type != onnx.TensorProto.FLOAT or np.prod(init.dims, dtype=np.int64) < min_size:
            continue
        values = numpy_helper.to_array(init)
        half = values.astype(np.float16)
        if not np.array_equal(half.astype(np.float32), values):
            continue
        name = init.name
        init.CopyFrom(numpy_helper.from_array(half, f"{name}_float16"))
        casts.append(helper.make_node("Cast", [init.name], [name], name=f"{name}_cast", to=onnx.TensorProto.FLOAT))
    nodes = casts + list(proto.graph.node)
    del proto.graph.node[:]
    proto.graph.node.extend(nodes)
    return proto


def cache_key(model, weights_sha256: str) -> str:
    """sha256 of what decides the exported file: entry, generator config, weights, library versions."""
    from export.card import library_versions

    text = json.dumps({"name": model.name, "generator_config": model.preset.generator_config,
                       "weights": weights_sha256, "versions": library_versions(),
                       "canonical": CANONICAL_VERSION}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def site_inputs(model) -> list[dict]:
    """The generator's inputs for the page config, in the graph's order: ``{"name", "shape", "dtype"}``
    plus the ``distribution`` the model's ``latent_info()`` gives the input, where it gives one (z always),
    so that the page draws z as the model's ``sample_latents`` does.

    Raises:
        ExportError: z comes from a distribution gallery.js does not draw (:data:`Z_DRAWS`).

    Examples:
    >>> import zoo
    >>> site_inputs(zoo.load("dcgan-mnist", weights=None))
    [{'name': 'z', 'shape': [None, 100], 'dtype': 'float32', 'distribution': 'standard normal'}]
    """
    from export.common import ExportError, input_infos

    info = model.latent_info()
    if info["z"]["distribution"] not in Z_DRAWS:
        raise ExportError(f"{model.name}: the page cannot draw z from {info['z']['distribution']!r}")
    out = []
    for tensor in input_infos(model):
        entry = tensor.to_dict()
        if "distribution" in info.get(tensor.name, {}):
            entry["distribution"] = info[tensor.name]["distribution"]
        out.append(entry)
    return out


def check(model, path: Path) -> tuple[float, float | None]:
    """(max-abs error, PSNR) of the ONNX file against the Keras generator on VERIFY_BATCH
    latents plus the first alone, judged with the export layer's float32 tolerance."""
    from export import common, verify

    inputs = common.sample_inputs(model, VERIFY_BATCH, common.VERIFY_SEED)
    checks = {"onnxruntime (site copy)": verify.run_both_batches(verify.onnxruntime_runner(path), inputs)}
    v = verify.judge(checks, verify.reference_outputs(model, inputs), model, None, False)
    return v["max_abs_error"], v["psnr_db"]


def export_canonical(name: str, path) -> None:
    """Exports the shipped generator of ``name`` to ``path`` (card beside it) through :func:`export.to_onnx`,
    then :func:`canonicalize` and :func:`compact_float16`. Run it where ``PYTHONHASHSEED`` is fixed, as
    :func:`site_onnx` does (``python -m gallery.onnx_site NAME PATH``): tf2onnx's graph optimizers iterate
    over sets of strings, so each hash seed gives another (equivalent) graph."""
    import onnx

    import export
    import zoo

    result = export.to_onnx(zoo.load(name), path)
    proto = compact_float16(canonicalize(onnx.load(str(result.path))))
    onnx.checker.check_model(proto, full_check=True)
    onnx.save(proto, str(result.path))


def _export_to_cache(name: str, target: Path) -> None:
    """Runs :func:`export_canonical` in a child process with hash seed 0, then places ``target`` and its
    card in the cache atomically."""
    from export.common import ExportError

    with atomic.scratch_dir(target.parent, target.name) as tmp:
        env = {**os.environ, "PYTHONHASHSEED": "0", "TF_CPP_MIN_LOG_LEVEL": "3"}
        proc = subprocess.run([sys.executable, "-m", "gallery.onnx_site", name, str(tmp / target.name)],
                              env=env, capture_output=True, text=True)
        if proc.returncode != 0 or not (tmp / target.name).exists():
            last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            raise ExportError(f"{name}: the ONNX export for the site failed: {last}")
        atomic.place(tmp / (target.name + ".card.json"), target.with_name(target.name + ".card.json"))
        atomic.place(tmp / target.name, target)


def site_onnx(name: str, folder, use_cache: bool = True) -> SiteOnnx:
    """Writes ``folder/NAME.onnx``, the entry's shipped generator as verified canonical ONNX.

    Raises:
        ExportError: the entry has no shipped weights, or the export fails verification.
    """
    import onnx

    import zoo
    from export.common import ExportError
    from zoo.registry import get_preset

    preset = get_preset(name)
    if preset.generator_weights is None:
        raise ExportError(f"{name} has no shipped weights; nothing to run in the browser")
    model = zoo.load(name)
    inputs = site_inputs(model)  # before the export: a z the page cannot draw fails at once
    key = cache_key(model, preset.generator_weights.sha256)
    cached = cache_root() / "onnx" / key / f"{name}.onnx"
    if not (use_cache and cached.exists()):
        _export_to_cache(name, cached)
    max_abs, db = check(model, cached)  # every build: the cached copy against the generator as it is now
    out = Path(folder) / f"{name}.onnx"
    with atomic.replacing(out) as tmp:
        shutil.copyfile(cached, tmp)
    opset = next(o.version for o in onnx.load(str(out), load_external_data=False).opset_import
                 if o.domain in ("", "ai.onnx"))
    return SiteOnnx(path=out, inputs=inputs, image_shape=model.image_shape,
                    bytes=out.stat().st_size, max_abs_error=max_abs, psnr_db=db, opset=int(opset))


if __name__ == "__main__":  # python -m gallery.onnx_site NAME PATH (what site_onnx runs, hash seed fixed)
    try:
        export_canonical(sys.argv[1], sys.argv[2])
    except Exception as e:  # one line for the parent's error message
        print(f"{type(e).__name__}: {' '.join(str(e).split())}", file=sys.stderr)
        sys.exit(1)
