"""Benchmark suite (``gan-zoo bench``): train-step and inference speed, FLOPs, peaks, memory.

Modules, one concern each: ``env`` (backend, device, versions, threads),
``measure`` (timing loops, peak memory), ``flops`` (FLOPs from layer shapes),
``peak`` (measured matmul peak), ``reference`` (the TensorFlow DCGAN tutorial
loop), ``train_bench``, ``infer_bench``, ``report`` (records, results.json,
results.md), ``plots``, ``suite`` (planning and running) and ``cli``.
The model core (``zoo``) never imports this package.

Examples:
>>> from benchmarks.suite import SuiteConfig, run_suite
>>> config = SuiteConfig(quick=True, what=("infer",), runtimes=("keras",), batch_sizes=(1,), progress=False)
>>> results = run_suite(config, "out/bench")  # gan-zoo bench --quick --what infer --runtimes keras --batch-sizes 1
>>> [(r["case"], r["status"]) for r in results["records"]]
[('infer dcgan-mnist keras_eager b1', 'ok'), ('infer dcgan-mnist keras_compiled b1', 'ok')]
>>> results["records"][0]["environment"]["backend"] == keras.backend.backend()
True
"""
