"""Benchmark suite (``gan-zoo bench``): train-step and inference speed, FLOPs, peaks, memory.

Modules, one concern each: ``env`` (backend, device, versions, threads),
``measure`` (timing loops, peak memory), ``flops`` (FLOPs from layer shapes),
``peak`` (measured matmul peak), ``reference`` (the TensorFlow DCGAN tutorial
loop), ``train_bench``, ``infer_bench``, ``report`` (records, results.json,
results.md), ``plots``, ``suite`` (planning and running) and ``cli``.
The model core (``zoo``) never imports this package.

Examples:
>>> from benchmarks.suite import SuiteConfig, run_suite
>>> results = run_suite(SuiteConfig(quick=True), "out/bench", force=True)
>>> results["records"][0]["environment"]["backend"]
'tensorflow'
"""
