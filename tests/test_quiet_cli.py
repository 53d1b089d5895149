"""The command line is quiet by default, answers --help without TensorFlow, has --version,
``python -m zoo`` and help for every argument; ``.keras`` files load after a plain ``import zoo``."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import zoo.cli

ROOT = Path(__file__).resolve().parents[1]
GAN_ZOO = Path(sys.executable).with_name("gan-zoo")


def _run(args, **kw):
    env = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", "GRPC_VERBOSITY")}
    return subprocess.run(args, capture_output=True, text=True, cwd=ROOT, env=env, timeout=300, **kw)


@pytest.mark.subprocess
def test_list_writes_nothing_to_stderr():
    r = _run([str(GAN_ZOO), "list"])
    assert r.returncode == 0, r.stderr
    assert "dcgan-mnist" in r.stdout
    assert r.stderr == ""


@pytest.mark.subprocess
def test_verbose_lets_the_messages_through():
    r = _run([str(GAN_ZOO), "-v", "list"])
    assert r.returncode == 0, r.stderr
    assert r.stderr.strip(), "with -v TensorFlow's start-up messages reach stderr"


@pytest.mark.subprocess
@pytest.mark.parametrize("argv", [["--help"], ["list", "--help"], ["sample", "--help"], ["eval", "--help"],
                                  ["codes", "--help"], ["export", "--help"], ["preset", "--help"]])
def test_help_does_not_import_tensorflow(argv):
    code = textwrap.dedent(f"""
        import sys, zoo.cli
        try:
            zoo.cli.main({argv!r})
        except SystemExit:
            pass
        print("tensorflow" in sys.modules, "keras" in sys.modules)
    """)
    r = _run([sys.executable, "-c", code])
    assert r.returncode == 0, r.stderr
    assert "usage: gan-zoo" in r.stdout
    assert r.stdout.splitlines()[-1] == "False False"


@pytest.mark.parametrize("package", ["zoo", "zoo.metrics", "zoo.families.infogan", "zoo.families.progan",
                                     "zoo.families.stylegan", "export"])
def test_lazy_packages_export_every_public_name(package):
    """The lazy ``__init__`` modules resolve every name in ``__all__`` on first use."""
    import importlib

    module = importlib.import_module(package)
    assert [n for n in module.__all__ if getattr(module, n, None) is None] == []
    assert set(module.__all__) <= set(dir(module))


@pytest.mark.subprocess
def test_version_and_python_m_zoo():
    from importlib.metadata import version

    r = _run([str(GAN_ZOO), "--version"])
    assert r.returncode == 0 and r.stdout.strip() == f"gan-zoo {version('gan-zoo')}"
    r = _run([sys.executable, "-m", "zoo", "list", "dcgan-*"])
    assert r.returncode == 0, r.stderr
    assert "dcgan-mnist" in r.stdout and r.stderr == ""


def test_every_argument_has_help():
    parser = zoo.cli.build_parser()
    missing = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                missing += [f"{name} {a.option_strings or a.dest}" for a in sub._actions
                            if not isinstance(a, argparse._HelpAction) and not (a.help or "").strip()]
        elif not isinstance(action, argparse._HelpAction) and not (action.help or "").strip():
            missing.append(f"gan-zoo {action.option_strings or action.dest}")
    assert not missing, missing


_SAVE = """
import sys, pathlib, numpy as np, zoo
from zoo.model import ZooModel, build
from zoo.registry import tiny_preset
for name in sys.argv[2:]:
    out = pathlib.Path(sys.argv[1]) / name
    out.mkdir()
    p = tiny_preset(name)
    g, _ = build(p)
    z = (p.model_class or ZooModel)(p, g).sample_latents(2, seed=0)
    np.save(out / "out.npy", np.asarray(g(z)))
    np.savez(out / "z.npz", **(z if isinstance(z, dict) else {"z": z}))
    g.save(out / "g.keras")
"""
_LOAD = """
import sys, numpy as np, zoo, keras
g = keras.saving.load_model(sys.argv[1])
z = dict(np.load(sys.argv[3]))
z = z["z"] if list(z) == ["z"] else z
np.testing.assert_allclose(np.asarray(g(z)), np.load(sys.argv[2]), atol=1e-5)
print("ok")
"""


def _families():
    from zoo.registry import one_per_family

    return one_per_family()


@pytest.fixture(scope="module")
def saved_generators(tmp_path_factory):
    """One process saves every family's tiny generator (``DIR/<name>/g.keras``, its input and output)."""
    root = tmp_path_factory.mktemp("keras-files")
    r = _run([sys.executable, "-c", _SAVE, str(root), *_families()])
    assert r.returncode == 0, r.stderr[-3000:]
    return root


@pytest.mark.subprocess
@pytest.mark.parametrize("name", _families())
def test_keras_file_loads_after_plain_import_zoo(name, saved_generators):
    # Each load is a fresh process that imports only zoo: the family's layers must resolve by themselves.
    d = saved_generators / name
    r = _run([sys.executable, "-c", _LOAD, str(d / "g.keras"), str(d / "out.npy"), str(d / "z.npz")])
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.strip().endswith("ok")
