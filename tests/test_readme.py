"""Every ``python`` and ``bash``/``sh`` block of README.md runs as written.

The blocks run in README order in one temporary folder, as a reader who follows
the README would run them: Python blocks in one shared namespace (in this
process), shell blocks with ``bash -e -o pipefail`` (the ``gan-zoo`` of this
environment first on PATH). A block that cannot run here is marked in the README
by an HTML comment on the line above its fence, with the reason:

* ``<!-- readme-test: skip (reason) -->``: never run (installs packages, trains
  for hours, needs GPUs or a cluster, or is a synopsis with ``[options]``);
* ``<!-- readme-test: slow (reason) -->``: run only under ``-m slow`` (``make test-slow``).

Shell blocks are also marked ``subprocess`` (``make test-fast`` leaves them out).
Before the first block, the folder gets the one file the README assumes exists:
``runs/x/final/generator.weights.h5`` (a copy of the shipped dcgan-mnist generator).
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
LANGUAGES = {"python": "python", "bash": "bash", "sh": "bash"}
FENCE = re.compile(r"^(?P<indent> *)```(?P<lang>[\w+-]*)\s*$")
CLOSE = re.compile(r"^ *```\s*$")
DIRECTIVE = re.compile(r"^\s*<!--\s*readme-test:\s*(?P<action>skip|slow)\s*\((?P<reason>.+)\)\s*-->\s*$")


@dataclasses.dataclass(frozen=True)
class Block:
    line: int  # of the opening fence, 1-based
    lang: str
    code: str
    action: str | None  # None (run), "skip" or "slow"
    reason: str | None


def readme_blocks(text: str) -> list[Block]:
    """Every fenced block with a language, its code dedented by the fence's indent, and its directive."""
    lines, blocks, i = text.splitlines(), [], 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        end = next((j for j in range(i + 1, len(lines)) if CLOSE.match(lines[j])), None)
        if end is None:
            raise ValueError(f"README.md:{i + 1}: the ``` fence is never closed")
        if not m["lang"]:  # a plain block (a folder tree, output): not code
            i = end + 1
            continue
        indent = len(m["indent"])
        code = "\n".join(line[indent:] if not line[:indent].strip() else line for line in lines[i + 1 : end])
        above = next((lines[k] for k in range(i - 1, -1, -1) if lines[k].strip()), "")
        action = reason = None
        if "readme-test" in above:
            d = DIRECTIVE.match(above)
            if not d:
                raise ValueError(f"README.md:{i}: malformed directive {above.strip()!r}; write "
                                 "<!-- readme-test: skip (reason) --> or <!-- readme-test: slow (reason) -->")
            action, reason = d["action"], d["reason"].strip()
        blocks.append(Block(i + 1, m["lang"], code + "\n", action, reason))
        i = end + 1
    return blocks


BLOCKS = [b for b in readme_blocks(README.read_text()) if b.lang in LANGUAGES]


def _param(block: Block):
    marks = [pytest.mark.subprocess] if LANGUAGES[block.lang] == "bash" else []
    if block.action == "skip":
        marks.append(pytest.mark.skip(reason=f"README.md:{block.line}: {block.reason}"))
    elif block.action == "slow":
        marks.append(pytest.mark.slow)
    return pytest.param(block, id=f"L{block.line}-{block.lang}", marks=marks)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """The folder every block runs in, with the files the README assumes."""
    from zoo.registry import get_preset

    folder = tmp_path_factory.mktemp("readme")
    preset = get_preset("dcgan-mnist")
    target = folder / "runs" / "x" / "final" / "generator.weights.h5"
    target.parent.mkdir(parents=True)
    shutil.copy(preset.weights_dir / preset.generator_weights.filename, target)
    (folder / "cache").mkdir()
    return folder


@pytest.fixture(scope="module")
def namespace():
    return {"__name__": "__readme__"}


@pytest.mark.parametrize("block", [_param(b) for b in BLOCKS])
def test_readme_block_runs(block, workdir, namespace, monkeypatch):
    monkeypatch.chdir(workdir)
    monkeypatch.setenv("ZOO_CACHE_DIR", str(workdir / "cache"))
    if LANGUAGES[block.lang] == "python":
        exec(compile(block.code, f"README.md:{block.line}", "exec"), namespace)  # noqa: S102
        return
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    proc = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", block.code], cwd=workdir, env=env,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, (f"README.md:{block.line} failed (exit {proc.returncode}):\n{block.code}\n"
                                  f"stdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-3000:]}")


def test_every_block_is_run_or_skipped_with_a_reason():
    """Python and shell blocks are the ones tested; a skip names its reason; other languages are not code."""
    blocks = readme_blocks(README.read_text())
    assert [b for b in blocks if b.lang in LANGUAGES and b.action is None and LANGUAGES[b.lang] == "python"]
    for b in blocks:
        assert b.action is None or b.reason, f"README.md:{b.line}: a {b.action} directive needs a reason"
        assert b.lang in LANGUAGES or b.action is None, f"README.md:{b.line}: only python/bash blocks are run"


def test_directives_are_parsed():
    text = "\n".join([
        "intro", "<!-- readme-test: skip (needs a GPU (CUDA)) -->", "```bash", "nvidia-smi", "```", "",
        "- item", "  ```python", "  x = 1", "    y = 2", "  ```", "<!-- readme-test: slow (a minute) -->", "",
        "```sh", "echo hi", "```", "```", "plain", "```",
    ])
    blocks = readme_blocks(text)
    assert [(b.line, b.lang, b.action, b.reason) for b in blocks] == [
        (3, "bash", "skip", "needs a GPU (CUDA)"), (8, "python", None, None), (14, "sh", "slow", "a minute")]
    assert blocks[1].code == "x = 1\n  y = 2\n"
    with pytest.raises(ValueError, match="malformed directive"):
        readme_blocks("<!-- readme-test: skip -->\n```bash\nls\n```\n")
