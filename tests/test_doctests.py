"""Every docstring ``Examples:`` block runs and its printed outputs are checked.

To cover a module, add one line to ``MODULES``: its dotted name and the name of
a fixture returning extra globals for its examples (or None). Every example
runs in a fresh temporary working directory (so ``out/...`` paths land there)
with a private ``ZOO_CACHE_DIR`` and Keras' global seed set to 0; ``np`` and
``keras`` are predefined, as the docs of both assume.
"""

from __future__ import annotations

import doctest
import fnmatch
import importlib
import io
import os
import re
from pathlib import Path

import keras
import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("zoo", "export", "benchmarks", "gallery")

# module -> globs fixture (None: no extra globals). Keep the examples fast: tiny sizes, no training.
MODULES = {
    "zoo": None,
    "zoo.model": None,
    "zoo.layers.adain": None,
    "zoo.layers.equalized_conv2d": None,
    "zoo.layers.equalized_dense": None,
    "zoo.layers.minibatch_stddev": None,
    "zoo.layers.nearest_upsample": None,
    "zoo.layers.pixel_norm": None,
    "zoo.families.dcgan.discriminator": None,
    "zoo.families.dcgan.generator": None,
    "zoo.families.mlpgan.discriminator": None,
    "zoo.families.mlpgan.generator": None,
    "zoo.families.infogan.cli": None,
    "zoo.families.infogan.discriminator": None,
    "zoo.families.infogan.disentanglement": None,
    "zoo.families.infogan.generator": None,
    "zoo.families.infogan.model": None,
    "zoo.families.progan.cli": None,
    "zoo.families.progan.discriminator": None,
    "zoo.families.progan.generator": None,
    "zoo.families.progan.model": None,
    "zoo.families.progan.phase": None,
    "zoo.families.progan.recipe": None,
    "zoo.families.progan.schedule": None,
    "zoo.families.stylegan.cli": None,
    "zoo.families.stylegan.discriminator": None,
    "zoo.families.stylegan.generator": None,
    "zoo.families.stylegan.mapping": None,
    "zoo.families.stylegan.model": None,
    "zoo.families.stylegan.style_layer": None,
    "zoo.families.stylegan.synthesis": None,
    "zoo.families.stylegan.truncation": None,
    "zoo.metrics": "offline_data",
    "zoo.metrics.classifier": "offline_data",
    "zoo.metrics.cli": "offline_data",
    "zoo.metrics.distances": None,
    "zoo.metrics.features": None,
    "zoo.metrics.protocol": "offline_data",
    "zoo.metrics.scores": None,
    "zoo.metrics.train_classifier": None,
    "export": None,
    "export.card": None,
    "export.cli": None,
    "export.common": None,
    "export.onnx_export": None,
    "export.saved_model": None,
    "export.tflite": None,
    "export.verify": None,
    "export.layer_diff": None,
    "export.tflite_precision": None,
    "benchmarks": None,
    "benchmarks.cli": None,
    "benchmarks.env": None,
    "benchmarks.flops": None,
    "benchmarks.infer_bench": None,
    "benchmarks.measure": None,
    "benchmarks.peak": None,
    "benchmarks.reference": None,
    "benchmarks.suite": None,
    "benchmarks.plots": None,
    "benchmarks.report": None,
    "benchmarks.train_bench": None,
    "export.report": None,
    "export.tfx": None,
    "zoo.atomic": None,
    "zoo.figures": None,
    "zoo.images": None,
    "zoo.interpolate": None,
    "zoo.lazy": None,
    "zoo.model_card_md": None,
    "zoo.card": None,
    "zoo.data": "offline_data",
    "zoo.listing": None,
    "zoo.registry": None,
    "zoo.preset_dir": None,
    "zoo.sample_dir": None,
    "zoo.weights": None,
    "zoo.training.backends": None,
    "zoo.training.config": None,
    "zoo.training.distribute": None,
    "zoo.training.evaluation": None,
    "zoo.training.publish": None,
    "zoo.training.run_folder": None,
    "zoo.training.state": None,
    "zoo.training.step": None,
    "zoo.training.trainer": None,
    "zoo.families.infogan.step": None,
    "zoo.families.progan.step": None,
    "zoo.families.stylegan.step": None,
    "gallery.build": None,
    "gallery.cli": None,
    "gallery.data": None,
    "gallery.onnx_site": None,
    "gallery.pages": None,
    "gallery.runtime": None,
    "gallery.screenshots": None,
    "gallery.sections": None,
    "gallery.serve": None,
}

# Modules whose examples are being rewritten elsewhere (fnmatch patterns): not yet required to be in
# MODULES. A module listed in MODULES is run whether or not it also matches here.
PENDING = ()

FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


# -- globs fixtures ------------------------------------------------------------------------------------
@pytest.fixture
def offline_data():
    """Examples that read the offline MNIST / Fashion-MNIST subsets."""
    if "ZOO_DATA_DIR" not in os.environ:
        pytest.skip("offline datasets not found (set ZOO_DATA_DIR)")
    return {}


# -- the runner ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    """One metrics cache for the module: real-data features are computed once, never in the user's cache."""
    return tmp_path_factory.mktemp("doctest-cache")


def run_examples(module, extraglobs: dict) -> tuple[doctest.TestResults, str]:
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    report = io.StringIO()
    globs = {"np": np, "keras": keras, **extraglobs}
    for test in sorted(finder.find(module, module.__name__, extraglobs=globs), key=lambda t: t.name):
        runner.run(test, out=report.write)
    return runner.summarize(verbose=False), report.getvalue()


@pytest.mark.parametrize("name", sorted(MODULES))
def test_examples_run(name, request, tmp_path, cache_dir, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ZOO_CACHE_DIR", str(cache_dir))
    keras.utils.set_random_seed(0)
    fixture = MODULES[name]
    extraglobs = request.getfixturevalue(fixture) if fixture else {}
    result, report = run_examples(importlib.import_module(name), extraglobs)
    assert result.attempted > 0, f"{name} has no examples; drop it from MODULES"
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}:\n{report}"


def _module_path(name: str) -> Path:
    base = REPO.joinpath(*name.split("."))
    return base / "__init__.py" if base.is_dir() else base.with_suffix(".py")


def _modules_with_examples() -> set[str]:
    found = set()
    for package in PACKAGES:
        for path in (REPO / package).rglob("*.py"):
            if re.search(r"^\s*Examples:\s*$", path.read_text(), re.M):
                parts = path.relative_to(REPO).with_suffix("").parts
                found.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return found


def _pending(name: str) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in PENDING)


def test_every_examples_block_is_covered():
    """A new ``Examples:`` block is run here or is knowingly pending, never silently untested."""
    uncovered = sorted(n for n in _modules_with_examples() - set(MODULES) if not _pending(n))
    assert uncovered == [], "add these modules to MODULES in tests/test_doctests.py"
    assert sorted(n for n in MODULES if not _module_path(n).exists()) == [], "unknown modules in MODULES"
