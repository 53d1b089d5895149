"""The gan-zoo command end to end: in subprocesses as a user runs it, and `list` in-process."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image


def run(*args, check=True):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.run(
        [sys.executable, "-m", "zoo.cli", *args], capture_output=True, text=True, env=env, timeout=300
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


def names_listed(out: str) -> list[str]:
    return [line.split()[0] for line in out.splitlines()[1:]]  # after the header row


@pytest.mark.subprocess
def test_list_and_info():
    import zoo

    assert names_listed(run("list").stdout) == zoo.list_models()
    assert names_listed(run("list", "*fashion*").stdout) == zoo.list_models("*fashion*")
    assert json.loads(run("info", "dcgan-mnist").stdout) == zoo.info("dcgan-mnist")  # the whole card, unchanged


@pytest.mark.subprocess
def test_unknown_model_is_one_line_without_traceback():
    proc = run("info", "dcgan-mnsit", check=False)
    assert proc.returncode == 1
    lines = [line for line in proc.stderr.splitlines() if line.startswith("gan-zoo")]
    assert lines == [lines[0]] and "did you mean dcgan-mnist" in lines[0]
    assert "Traceback" not in proc.stderr


@pytest.mark.subprocess
def test_sample_writes_grid_and_refuses_overwrite(tmp_path):
    out = tmp_path / "grid.png"
    run("sample", "dcgan-mnist", "-n", "16", "--seed", "3", "--untrained", "-o", str(out), "--scale", "1")
    with Image.open(out) as im:
        assert im.size == (4 * 30 + 2, 4 * 30 + 2)
    proc = run("sample", "dcgan-mnist", "--untrained", "-o", str(out), check=False)
    assert proc.returncode == 1 and "--force" in proc.stderr and "Traceback" not in proc.stderr
    run("sample", "dcgan-mnist", "--untrained", "-n", "4", "-o", str(out), "--force")


@pytest.mark.subprocess
@pytest.mark.skipif("ZOO_DATA_DIR" not in os.environ, reason="offline datasets not found")
def test_train_then_resume(tmp_path):
    run_dir = tmp_path / "run"
    args = ["train", "dcgan-fashion-mnist", "--out", str(run_dir), "--batch-size", "16", "--no-progress"]
    first = json.loads(run(*args, "--max-steps", "2").stdout.split("\nfinal")[0])
    assert first["steps"] == 2 and (run_dir / "checkpoint.npz").exists()
    assert "--resume" in run(*args, "--max-steps", "3", check=False).stderr
    second = json.loads(run(*args, "--max-steps", "3", "--resume").stdout.split("\nfinal")[0])
    assert second["steps"] == 3 and second["steps_this_run"] == 1


@pytest.mark.subprocess
def test_train_without_data_says_where_to_put_it(tmp_path):
    proc = run("train", "dcgan-mnist", "--out", str(tmp_path / "r"), "--data-dir", str(tmp_path), check=False)
    assert proc.returncode == 1 and str(tmp_path / "mnist") in proc.stderr and "Traceback" not in proc.stderr


# `gan-zoo list`: in-process through zoo.cli.main (one TensorFlow start-up for all of these).
README = Path(__file__).resolve().parents[1] / "README.md"


def list_output(capsys, *args):
    from zoo.cli import main

    capsys.readouterr()
    assert main(["list", *args]) == 0
    return capsys.readouterr().out


def test_list_unshipped_entry_gets_resolution_and_params_from_its_architecture(capsys, monkeypatch):
    import zoo
    from zoo.families.mlpgan.generator import MLPGenerator
    from zoo.listing import model_row
    from zoo.registry import get_preset

    cfg = get_preset("mlpgan-mnist").generator_config
    g = MLPGenerator(**cfg)
    # By hand: Dense 100->256 and 256->512 without bias, batch norm (4 per unit), Dense 512->784 + bias.
    assert g.count_params() == 100 * 256 + 4 * 256 + 256 * 512 + 4 * 512 + 512 * 784 + 784
    from zoo.card import architecture_card

    # As if nothing were shipped yet: the card zoo.info gives an entry without weights.
    monkeypatch.setattr(zoo, "info", lambda name: architecture_card(get_preset(name)))
    row = model_row("mlpgan-mnist")
    assert row["resolution"] == "28x28" and row["G params"] == f"{g.count_params() / 1e6:.2f}M"
    assert row["weights"] == "not yet" and row["fid_domain"] == row["coverage KL"] == "-"
    # ProGAN: the fully grown generator, not its 4x4 start.
    assert model_row("progan-fashion-mnist")["resolution"] == "32x32"
    monkeypatch.undo()
    out = list_output(capsys)
    assert "?" not in out and "mlpgan-mnist" in out


def test_list_shipped_entry_shows_card_metrics():
    import zoo
    from zoo.listing import model_row

    card = zoo.info("dcgan-mnist")
    values = card["metrics"]["domain"]["values"]
    row = model_row("dcgan-mnist")
    assert row["G params"] == f"{card['generator_params'] / 1e6:.2f}M" and row["weights"].endswith(" MB")
    assert row["fid_domain"] == f"{values['fid_domain_10k']:.2f} @10k"
    assert row["classes"] == f"{values['classes_covered_domain_10k']}/10"


def test_list_glob_filters(capsys):
    assert names_listed(list_output(capsys, "dcgan-*")) == ["dcgan-fashion-mnist", "dcgan-mnist"]
    assert "no model matches" in list_output(capsys, "nothing-*")


def test_list_markdown_has_header_and_one_row_per_model(capsys):
    import zoo

    lines = list_output(capsys, "--markdown").strip().splitlines()
    assert lines[0].startswith("| name | family |") and set(lines[1]) == {"|", "-"}
    assert [line.split(" | ")[0].lstrip("| ") for line in lines[2:]] == zoo.list_models()
    assert len({line.count("|") for line in lines}) == 1  # every row has every column


def test_readme_model_table_matches_gan_zoo_list(capsys):
    from zoo.listing import REGENERATE, readme_block

    want = list_output(capsys, "--markdown").strip()
    assert readme_block(README.read_text()) == want, (
        f"README.md's model table is out of date with the model cards/registry; regenerate it with\n"
        f"    {REGENERATE}\n(from the repository root) and commit README.md"
    )


def test_update_readme_rewrites_only_the_block(tmp_path, capsys):
    from zoo.listing import END, START, readme_block

    path = tmp_path / "README.md"
    path.write_text(f"# title\n\n{START}\n| stale |\n{END}\n\ntail\n")
    assert "updated" in list_output(capsys, "--markdown", "--update-readme", str(path))
    text = path.read_text()
    assert text.startswith("# title\n\n") and text.endswith("\n\ntail\n")
    assert readme_block(text) == list_output(capsys, "--markdown").strip()
    assert "already up to date" in list_output(capsys, "--update-readme", str(path))
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_list_notes_column_appears_only_with_an_infogan_code_accuracy(monkeypatch):
    import zoo
    from zoo.listing import model_row, model_rows

    shipped = zoo.info("infogan-mnist")
    monkeypatch.setattr(zoo, "info", lambda name: {**shipped, "metrics": {}})
    assert "notes" not in model_rows("infogan-*")[0]
    codes = {**shipped["metrics"]["infogan_codes"], "values": {"category_accuracy_hungarian_10k": 0.93125}}
    card = {**shipped, "metrics": {"infogan_codes": codes}}
    monkeypatch.setattr(zoo, "info", lambda name: card)
    assert model_row("infogan-mnist")["notes"] == "code acc 0.931 @10k"
    assert model_rows("infogan-*")[0]["notes"] == "code acc 0.931 @10k"


# `gan-zoo list --compare DATASET`: the shipped entries of one dataset side by side.
def test_comparison_rows_are_the_shipped_entries_of_the_dataset_best_fid_first():
    import zoo
    from zoo.listing import comparison_rows

    cards = {n: zoo.info(n) for n in zoo.list_models()}
    shipped = {n for n, c in cards.items() if c["dataset"] == "fashion-mnist" and c["weights"] is not None}
    rows = comparison_rows("fashion-mnist")
    assert {r["name"] for r in rows} == shipped and len(rows) == len(shipped) >= 3
    fids = [cards[r["name"]]["metrics"]["domain"]["values"]["fid_domain_10k"] for r in rows]
    assert fids == sorted(fids)
    assert {"dcgan", "progan", "stylegan"} <= {r["family"] for r in rows}


def test_comparison_row_values_are_the_cards_numbers():
    import zoo
    from zoo.listing import comparison_rows

    for row in comparison_rows("fashion-mnist"):
        card = zoo.info(row["name"])
        values, run, env = card["metrics"]["domain"]["values"], card["run"], card["environment"]
        assert row["family"] == card["family"]
        assert row["fid_domain"] == f"{values['fid_domain_10k']:.2f} @10k"
        assert row["precision"] == f"{values['precision_domain_10k']:.3f}"
        assert row["recall"] == f"{values['recall_domain_10k']:.3f}"
        assert row["G params"] == f"{card['generator_params'] / 1e6:.2f}M"
        images = run["images_seen"]
        assert row["images seen"] == (f"{images / 1e6:.2f}M" if images >= 1e6 else f"{round(images / 1e3)}k")
        where = f"{env['cpu_count']} CPU cores" if env["device"] == "cpu" else env["device"].upper()
        assert row["training"] == f"{run['wall_clock_s'] / 3600:.1f} h, {where}"
    by_name = {r["name"]: r for r in comparison_rows("fashion-mnist")}
    assert {r["images seen"][-1] for r in by_name.values()} == {"k", "M"}  # both formats are exercised


def test_comparison_training_column_names_a_gpu(monkeypatch):
    import zoo
    from zoo.listing import comparison_rows

    info = zoo.info

    def on_gpu(name):
        card = info(name)
        return {**card, "environment": {**card["environment"], "device": "gpu"}} if card["weights"] else card

    monkeypatch.setattr(zoo, "info", on_gpu)
    assert all(r["training"].endswith(" h, GPU") for r in comparison_rows("fashion-mnist"))


def test_list_compare_prints_the_table(capsys):
    from zoo.listing import comparison_rows

    names = [r["name"] for r in comparison_rows("fashion-mnist")]
    assert names_listed(list_output(capsys, "--compare", "fashion-mnist")) == names
    lines = list_output(capsys, "--compare", "fashion-mnist", "--markdown").strip().splitlines()
    assert lines[0] == "| name | family | fid_domain | precision | recall | G params | images seen | training |"
    assert [line.split(" | ")[0].lstrip("| ") for line in lines[2:]] == names


@pytest.mark.parametrize(
    "args, message",
    [
        (["--compare", "fashion-mnist", "dcgan-*"],
         "--compare compares every shipped model of the dataset; drop the pattern"),
        (["--compare", "cifar10"],
         "no shipped model is trained on 'cifar10'; datasets with shipped models: fashion-mnist, mnist"),
    ],
)
def test_list_compare_errors_are_one_line(capsys, args, message):
    from zoo.cli import main

    capsys.readouterr()
    assert main(["list", *args]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err == f"gan-zoo: error: {message}\n"


def test_comparison_of_an_unknown_dataset_names_the_known_ones():
    from zoo.listing import comparison_rows

    with pytest.raises(ValueError, match=r"'cifar10'; datasets with shipped models: fashion-mnist, mnist$"):
        comparison_rows("cifar10")


def test_update_readme_rewrites_the_model_table_and_every_compare_block(tmp_path, capsys):
    from zoo.listing import END, START, compare_markers, readme_block

    fashion, mnist = compare_markers("fashion-mnist"), compare_markers("mnist")
    labels = ("model table", "fashion-mnist comparison", "mnist comparison")  # README order
    path = tmp_path / "README.md"
    path.write_text(f"# t\n\n{START}\n| stale |\n{END}\n\nmid\n\n{fashion[0]}\n{fashion[1]}\n\n"
                    f"{mnist[0]}\n| stale |\n{mnist[1]}\ntail\n")
    out = list_output(capsys, "--markdown", "--update-readme", str(path)).splitlines()
    assert out == [f"{path}: {label} updated" for label in labels]
    text = path.read_text()
    assert text.startswith("# t\n\n") and "\n\nmid\n\n" in text and text.endswith("\ntail\n")
    assert readme_block(text) == list_output(capsys, "--markdown").strip()
    for dataset, (start, end) in [("fashion-mnist", fashion), ("mnist", mnist)]:
        assert readme_block(text, start, end) == list_output(capsys, "--compare", dataset, "--markdown").strip()
    out = list_output(capsys, "--update-readme", str(path)).splitlines()
    assert out == [f"{path}: {label} already up to date" for label in labels]
    assert path.read_text() == text and list(tmp_path.iterdir()) == [path]


def test_replace_block_takes_a_marker_pair():
    from zoo.listing import compare_markers, readme_block, replace_block

    start, end = compare_markers("mnist")
    text = replace_block(f"a\n{start}\n{end}\nb\n", "| x |", start, end)
    assert text == f"a\n{start}\n\n| x |\n\n{end}\nb\n" and replace_block(text, "| x |", start, end) == text
    assert readme_block(text, start, end) == "| x |"
    with pytest.raises(ValueError, match="more than one"):
        replace_block(f"{start}\n{end}\n{start}\n{end}\n", "| x |", start, end)
    with pytest.raises(ValueError, match="no <!-- compare:mnist:start -->"):
        replace_block("a\n", "| x |", start, end)


def test_readme_fashion_mnist_comparison_matches_gan_zoo_list_compare():
    from zoo.listing import REGENERATE, compare_markers, comparison_rows, markdown_table, readme_block

    want = markdown_table(comparison_rows("fashion-mnist"))
    assert readme_block(README.read_text(), *compare_markers("fashion-mnist")) == want, (
        f"README.md's Fashion-MNIST comparison is out of date with the model cards; regenerate it with\n"
        f"    {REGENERATE}\n(from the repository root) and commit README.md"
    )
