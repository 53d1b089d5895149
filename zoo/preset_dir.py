"""Presets in a folder, the keras-hub way: ``m.save_to_preset(DIR)``, ``zoo.load(DIR)``.

A preset folder holds

* ``config.json``: the preset as plain data (identity, generator and discriminator
  classes and constructor arguments, the step's class and options, the recipe), the
  weights files with their sha256 and size, and the name of the card file;
* the card (``card.json``; ``run_card.json`` in a run's ``final/``);
* ``generator.weights.h5`` and, when saved, ``discriminator.weights.h5``.

Loading checks every weights file's sha256 against ``config.json`` before reading
it, as shipped weights are checked against the registry. The classes come from the
registered entry the folder names (``name``), never from the folder: a preset
folder is data, not code. ``gan-zoo train --out RUN`` makes ``RUN/final/`` such a
folder. ``zoo.load`` takes a folder as a path (``"runs/x/final"``, ``"./dcgan"``) or
a ``file:///abs/DIR`` URL; a registered name always means the registry entry.

Examples:
>>> import zoo
>>> m = zoo.load("dcgan-mnist")
>>> m.save_to_preset("out/dcgan")
PosixPath('out/dcgan')
>>> sorted(p.name for p in Path("out/dcgan").iterdir())
['card.json', 'config.json', 'generator.weights.h5']
>>> m2 = zoo.load("out/dcgan")
>>> m2.weights_source.kind, bool(np.array_equal(m2.sample(4, seed=0), m.sample(4, seed=0)))
('preset', True)
>>> m2.card["metrics"]["domain"]["n_samples"]  # unchanged weights: the shipped card's metrics still apply
10000
>>> m.save_to_preset("out/dcgan")
Traceback (most recent call last):
...
FileExistsError: out/dcgan exists and is not empty; pass overwrite=True (--force) to replace it
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from pathlib import Path

from zoo import atomic, card as card_lib, registry, weights as weights_lib
from zoo.errors import WeightsIntegrityError, ZooError

FORMAT = "gan-zoo-preset"
FORMAT_VERSION = 1
CONFIG_NAME = "config.json"
CARD_NAME = "card.json"
WEIGHTS_NAMES = {"generator": "generator.weights.h5", "discriminator": "discriminator.weights.h5"}


class PresetFolderError(ZooError, ValueError):
    """A folder that is not a readable gan-zoo preset (no or bad ``config.json``, a missing file)."""


# --- naming a folder ------------------------------------------------------------------------------


def folder_of(name) -> Path | None:
    """The preset folder ``name`` refers to, or None when it is a registry name.

    A ``file:`` URL (absolute path only) or a :class:`os.PathLike` is a folder; so is a
    string that is not a registered name and looks like a path (has a ``/``, starts
    with ``.`` or ``~``) or is an existing folder.

    Examples:
    >>> folder_of("dcgan-mnist") is None, folder_of("file:///tmp/my%20preset"), folder_of("runs/x/final")
    (True, PosixPath('/tmp/my preset'), PosixPath('runs/x/final'))
    """
    if isinstance(name, os.PathLike):
        return Path(name)
    text = str(name)
    if text.startswith("file:"):
        from urllib.parse import urlparse
        from urllib.request import url2pathname

        url = urlparse(text)
        path = url2pathname(url.path)
        if url.netloc not in ("", "localhost") or not os.path.isabs(path):
            raise ValueError(f"{text}: a file URL needs an absolute path, e.g. file:///home/me/preset")
        return Path(path)
    if text in registry.list_models():
        return None
    if "/" in text or os.sep in text or text.startswith((".", "~")) or Path(text).is_dir():
        return Path(text).expanduser()
    return None


# --- writing --------------------------------------------------------------------------------------


def class_path(cls) -> str | None:
    """``module.QualName`` of a class (None for None): how config.json names classes."""
    return None if cls is None else f"{cls.__module__}.{cls.__qualname__}"


def _plain(value):
    """Tuples to lists and nested dataclasses to dicts: what JSON holds."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def file_entry(path: Path) -> dict:
    """``{"file", "sha256", "bytes"}`` of a weights file (the card's and config's form)."""
    return {"file": path.name, "sha256": weights_lib.sha256_file(path), "bytes": path.stat().st_size}


def preset_config(preset, weights: dict, card_file: str, recipe: dict | None = None) -> dict:
    """The preset as plain data, plus the weights files (``role -> file_entry``) and the card's name.

    ``recipe`` overrides the preset's recipe (a run's batch size and epochs)."""
    from zoo import __version__

    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "name": preset.name,
        "family": preset.family,
        "dataset": preset.dataset,
        "description": preset.description,
        "licence": preset.licence,
        "generator": {"class": class_path(preset.generator), "config": _plain(preset.generator_config)},
        "discriminator": {"class": class_path(preset.discriminator), "config": _plain(preset.discriminator_config)},
        "step": {"class": class_path(preset.step), "config": _plain(preset.step_config)},
        "model_class": class_path(preset.model_class),
        "recipe": _plain(recipe if recipe is not None else preset.recipe),
        "pad_to": preset.pad_to,
        "weights": weights,
        "card": card_file,
        "gan_zoo_version": __version__,
    }


def write_config(folder, preset, card_file: str, recipe: dict | None = None) -> Path:
    """Writes ``folder/config.json`` for the weights files already in ``folder``
    (``generator.weights.h5``, and ``discriminator.weights.h5`` when present), with their sha256.
    The trainer calls this on its staged ``final/``; :func:`save` on its staged folder."""
    folder = Path(folder)
    if not (folder / WEIGHTS_NAMES["generator"]).exists():
        raise FileNotFoundError(2, "a preset folder needs the generator's weights", str(folder / WEIGHTS_NAMES["generator"]))
    weights = {role: file_entry(folder / file) for role, file in WEIGHTS_NAMES.items() if (folder / file).exists()}
    return atomic.write_json(folder / CONFIG_NAME, preset_config(preset, weights, card_file, recipe))


def _values_digests(arrays) -> list[str]:
    import numpy as np

    def as_loaded(a):  # shipped files store large tensors as float16; the model holds them as float32
        a = np.asarray(a)
        return a.astype(np.float32) if a.dtype.kind == "f" else a

    return sorted(hashlib.sha256(np.ascontiguousarray(as_loaded(a)).tobytes()).hexdigest() for a in arrays)


def same_values(model, path) -> bool:
    """Whether a Keras model's weight values are exactly those stored in the ``.weights.h5`` at ``path``."""
    import h5py
    import keras

    stored = []
    with h5py.File(path, "r") as f:
        f.visititems(lambda _, obj: stored.append(obj[()]) if isinstance(obj, h5py.Dataset) else None)
    return _values_digests(stored) == _values_digests(keras.ops.convert_to_numpy(w) for w in model.weights)


def _card_to_save(model, folder: Path) -> dict:
    """The card of a saved model: its card with the weights section naming the new files when
    the weights are unchanged since loading from a verified source; else an architecture card
    saying where the weights came from (its metrics would describe other weights)."""
    from zoo.model import other_weights_card

    source, card = model.weights_source, model.card
    unchanged = (source.verified and source.path is not None and Path(source.path).exists()
                 and same_values(model.generator, source.path))
    if not unchanged:
        return other_weights_card(model.preset, source, changed=source.verified)
    card = {**card, "derived_from": source.to_dict()}
    if card.get("weights"):  # a model card: name the files of this folder instead of the shipped ones
        card["weights"] = {"generator": file_entry(folder / WEIGHTS_NAMES["generator"])}
    return card


def save(model, path, overwrite: bool = False) -> Path:
    """Writes ``model`` as a preset folder at ``path`` (see the module docstring); returns ``path``.

    Staged in a hidden sibling and moved into place whole (``zoo.atomic``). An existing
    non-empty folder is refused unless ``overwrite`` (then it is replaced, not merged)."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise FileExistsError(f"{path} exists and is a file; give a folder path")
    if path.is_dir() and any(path.iterdir()) and not overwrite:
        raise FileExistsError(f"{path} exists and is not empty; pass overwrite=True (--force) to replace it")
    with atomic.replacing_dir(path) as tmp:
        model.generator.save_weights(tmp / WEIGHTS_NAMES["generator"])
        if model.discriminator is not None:
            model.discriminator.save_weights(tmp / WEIGHTS_NAMES["discriminator"])
        atomic.write_json(tmp / CARD_NAME, _card_to_save(model, tmp), default=str)
        write_config(tmp, model.preset, CARD_NAME)
    return path


# --- reading --------------------------------------------------------------------------------------


def _like(value, template):
    """``value`` read from JSON, with lists turned back into tuples where ``template`` has tuples."""
    if isinstance(template, tuple) and isinstance(value, list):
        inner = template[0] if template else None
        return tuple(_like(v, inner) for v in value)
    if isinstance(template, dict) and isinstance(value, dict):
        return {k: _like(v, template.get(k)) for k, v in value.items()}
    return value


def _dataclass_from(cls, data: dict, template, where: str):
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise PresetFolderError(f"{where} has fields this gan-zoo does not know: {', '.join(unknown)}")
    values = {}
    for key, value in data.items():
        current = getattr(template, key)
        if dataclasses.is_dataclass(current) and isinstance(value, dict):
            value = _dataclass_from(type(current), value, current, f"{where}.{key}")
        values[key] = _like(value, current)
    return cls(**{**{f: getattr(template, f) for f in fields}, **values})


def read_config(folder: Path) -> dict:
    """The validated ``config.json`` of a preset folder."""
    path = folder / CONFIG_NAME
    if not folder.is_dir():
        raise FileNotFoundError(2, "no such preset folder", str(folder))
    if not path.exists():
        raise PresetFolderError(f"{folder} is not a gan-zoo preset folder (no {CONFIG_NAME}); write one with "
                                f"m.save_to_preset({str(folder)!r}) or gan-zoo train --out")
    try:
        config = json.loads(path.read_text())
    except ValueError as e:
        raise PresetFolderError(f"{path}: not valid JSON ({e})") from None
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise PresetFolderError(f"{path} is not a gan-zoo preset config (format is not {FORMAT!r})")
    if config.get("format_version") != FORMAT_VERSION:
        raise PresetFolderError(f"{path} has format_version {config.get('format_version')!r}; this gan-zoo "
                                f"reads {FORMAT_VERSION}")
    missing = [k for k in ("name", "generator", "discriminator", "step", "recipe", "weights", "card") if k not in config]
    if missing:
        raise PresetFolderError(f"{path} lacks {', '.join(missing)}")
    if "generator" not in config["weights"]:
        raise PresetFolderError(f"{path} names no generator weights")
    return config


def _check_classes(config: dict, base, path: Path) -> None:
    for key, cls in (("generator", base.generator), ("discriminator", base.discriminator), ("step", base.step)):
        if config[key].get("class") != class_path(cls):
            raise PresetFolderError(f"{path} was saved with {key} class {config[key].get('class')}, but the entry "
                                    f"{base.name} now uses {class_path(cls)}")


def read(folder) -> tuple:
    """``(preset, card)`` of a preset folder, every weights file's sha256 checked.

    Raises:
        zoo.WeightsIntegrityError: a weights file differs from the sha256 in ``config.json``.
        PresetFolderError: no or a bad ``config.json``, a missing weights or card file, or classes
            that are not the registered entry's.
    """
    folder = Path(folder)
    config = read_config(folder)
    path = folder / CONFIG_NAME
    try:
        base = registry.get_preset(config["name"])
    except KeyError:
        raise PresetFolderError(f"{path} was saved from the entry {config['name']!r}, which this gan-zoo does not "
                                f"register (its family provides the classes)") from None
    _check_classes(config, base, path)
    files = {}
    for role, entry in config["weights"].items():
        if role not in WEIGHTS_NAMES or not isinstance(entry, dict) or {"file", "sha256"} - set(entry):
            raise PresetFolderError(f"{path}: weights.{role} must be one of {sorted(WEIGHTS_NAMES)} with file and sha256")
        file = folder / entry["file"]
        if Path(entry["file"]).name != entry["file"] or not file.exists():
            raise PresetFolderError(f"{path} names {entry['file']!r}, which is not a file in {folder}")
        weights_lib.verify(file, entry["sha256"], source=str(path))
        files[role] = registry.WeightsFile(entry["file"], entry["sha256"])
    card_file = folder / str(config["card"])
    if Path(str(config["card"])).name != config["card"] or not card_file.exists():
        raise PresetFolderError(f"{path} names the card {config['card']!r}, which is not a file in {folder}")
    card = _read_card(card_file, config)
    preset = dataclasses.replace(
        base,
        dataset=config.get("dataset", base.dataset),
        description=config.get("description", base.description),
        generator_config=_like(config["generator"]["config"], base.generator_config),
        discriminator_config=_like(config["discriminator"]["config"], base.discriminator_config),
        step_config=_like(config["step"]["config"], base.step_config),
        recipe=_dataclass_from(type(base.recipe), config["recipe"], base.recipe, f"{path} recipe"),
        pad_to=config.get("pad_to", base.pad_to),
        weights_dir=folder,
        generator_weights=files["generator"],
        discriminator_weights=files.get("discriminator"),
    )
    return preset, card


def _read_card(path: Path, config: dict) -> dict:
    """The folder's card, validated (a model, architecture or run card) and agreeing with config.json."""
    try:
        card = json.loads(path.read_text())
    except ValueError as e:
        raise PresetFolderError(f"{path}: not valid JSON ({e})") from None
    if isinstance(card, dict) and "weights" not in card and "run" in card:
        card_lib.check_run_card(card, str(path))
    else:
        card_lib.check_card(card, str(path))
    if card.get("name") != config["name"]:
        raise PresetFolderError(f"{path} is the card of {card.get('name')!r}, but the config says {config['name']!r}")
    for role, entry in (card.get("weights") or {}).items():
        ours = config["weights"].get(role) or {}
        if (entry.get("file"), entry.get("sha256")) != (ours.get("file"), ours.get("sha256")):
            raise WeightsIntegrityError(
                f"{path} says weights.{role} is {entry.get('file')!r} with sha256 {entry.get('sha256')}, but "
                f"{path.parent / CONFIG_NAME} says {ours.get('file')!r} with {ours.get('sha256')}; "
                f"the card or the config was edited")
    return card


# --- gan-zoo preset -------------------------------------------------------------------------------


def register(subparsers) -> None:
    """Adds ``gan-zoo preset NAME --out DIR`` (called by ``zoo.cli.build_parser``)."""
    p = subparsers.add_parser("preset", help="write a preset folder (config.json, card, weights with sha256) "
                              "that zoo.load(DIR) and every command taking a model name load")
    p.add_argument("name", help="a registered model name (see gan-zoo list) or a preset folder")
    p.add_argument("--out", required=True, help="the folder to write (refused if it exists and is not empty)")
    p.add_argument("--weights", default=None, help="a generator .weights.h5 instead of the shipped one")
    p.add_argument("--untrained", action="store_true", help="fresh random initialisation")
    p.add_argument("--with-discriminator", action="store_true",
                   help="also save the discriminator (with its shipped weights when there are some)")
    p.add_argument("--force", action="store_true", help="replace an existing non-empty folder")
    p.set_defaults(func=_cmd_preset)


def _cmd_preset(args) -> None:
    import zoo

    if args.weights and args.untrained:
        raise ValueError("--weights and --untrained exclude each other")
    m = zoo.load(args.name, weights=None if args.untrained else (args.weights or "pretrained"),
                 with_discriminator=args.with_discriminator)
    path = save(m, args.out, overwrite=args.force)
    print(f"wrote the preset folder {path} from {m.weights_source}; load it with zoo.load({str(path)!r})")
