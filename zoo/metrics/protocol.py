"""The evaluation protocol: sample, extract features, compare with real data, report.

Generated samples and a real-data row (train images vs the test split) are
both scored against the same reference, the dataset's test split, so the
real row is the floor a perfect generator would reach at that budget.
Real-data features are cached per dataset, keyed by the feature network's
hash and a fingerprint of the data; each cache file stores the sha256 of its
arrays, and a file whose arrays do not match it (edited, truncated, foreign)
is recomputed, never used.
"""

from __future__ import annotations

import hashlib
import io
import os
import time
from pathlib import Path

import numpy as np

from zoo.metrics import DEFAULT_N, DEFAULT_SEED
from zoo.metrics.distances import feature_statistics, frechet_distance, kid
from zoo.metrics.features import check_images, make_extractor
from zoo.metrics.scores import class_coverage, inception_score, precision_recall

PROTOCOL = "gan-zoo-eval-v1"
KID_SUBSETS, KID_SUBSET_SIZE = 100, 1000
PR_K = 3
IS_SPLITS = 10
COVERAGE_MIN_SHARE = 0.1
# The z distribution the protocol block names when no model says otherwise (images handed over as
# arrays); a model's own is its latent_info()["z"]["distribution"] (InfoGAN: maybe "uniform on [-1, 1)").
LATENTS = "standard normal"
CACHE_ENV = "ZOO_CACHE_DIR"
_CACHED = ("features", "probs", "labels", "mu", "sigma")


def arrays_sha256(arrays: dict) -> str:
    """sha256 over the cached arrays (names, dtypes, shapes and bytes, in :data:`_CACHED` order)."""
    h = hashlib.sha256()
    for k in _CACHED:
        a = np.ascontiguousarray(arrays[k])
        h.update(f"{k}:{a.dtype.str}:{a.shape};".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def _read_cache(path: Path) -> dict | None:
    """The cached arrays at ``path`` if their sha256 matches the one stored with them, else None."""
    try:
        with np.load(path, allow_pickle=False) as z:
            out = {k: z[k] for k in _CACHED}
            stored = bytes(z["sha256"]).decode()
    except Exception:  # truncated, foreign, or written before the sha256 was stored
        return None
    return out if stored == arrays_sha256(out) else None


def budget_tag(n: int) -> str:
    """The sample budget as it appears in metric names: 10000 -> "10k", 500 -> "500".

    Examples:
    >>> budget_tag(10000), budget_tag(2500)
    ('10k', '2500')
    """
    return f"{n // 1000}k" if n >= 1000 and n % 1000 == 0 else str(n)


def cache_dir() -> Path:
    """``$ZOO_CACHE_DIR/gan-zoo/metrics``, else ``~/.keras/gan-zoo/metrics`` (as for weights)."""
    return Path(os.environ.get(CACHE_ENV) or "~/.keras").expanduser() / "gan-zoo" / "metrics"


def _sig(x: float) -> float:
    return float(f"{x:.6g}")  # 6 significant digits: stable across runs, readable in cards


def real_features(extractor, dataset: str, split: str, size: int, n: int | None = None,
                  seed: int = DEFAULT_SEED, data_dir=None, use_cache: bool = True) -> dict:
    """Features of real images, from the cache when it has them.

    Args:
        extractor: a feature extractor (``zoo.metrics.features``).
        dataset, split: which real images.
        size: image size the generator produces (28 or 32); 32 pads with -1.
        n: use a seeded random subset of this many images (all when None or
            at least the split size).
        seed: subset seed.
        data_dir: dataset folder (default ``$ZOO_DATA_DIR``).
        use_cache: read and write the cache.

    Returns:
        dict with ``features``, ``probs``, ``labels``, ``mu``, ``sigma``,
        ``n`` and ``cache`` (``"hit"``, ``"miss"`` or ``"off"``).

    Examples:
    >>> from zoo.metrics.features import DomainExtractor
    >>> extractor = DomainExtractor("mnist")
    >>> ref = real_features(extractor, "mnist", "test", 28)
    >>> ref["features"].shape, ref["probs"].shape, ref["labels"].shape
    ((1000, 128), (1000, 10), (1000,))
    >>> real_features(extractor, "mnist", "test", 28)["cache"]  # the second time, from the cache
    'hit'
    """
    from zoo import atomic
    from zoo.data import load_arrays, to_float_images

    images, labels = load_arrays(dataset, split, data_dir)
    # Checked before the (possibly minutes-long) feature pass, not after it.
    _check_budget(len(images) if n is None else min(n, len(images)), extractor.feature_dim,
                  extractor.kind, what=f"the {dataset} {split} split")
    fingerprint = hashlib.sha256(images.tobytes() + labels.tobytes()).hexdigest()[:16]
    subset = "all"
    if n is not None and n < len(images):
        idx = np.sort(np.random.default_rng(seed).choice(len(images), n, replace=False))
        images, labels, subset = images[idx], labels[idx], f"{n}-seed{seed}"
    size = extractor.input_size(size)
    path = None
    if use_cache and extractor.id is not None:
        path = cache_dir() / f"{dataset}-{split}-{subset}-{size}px-{fingerprint}-{extractor.id}.npz"
        out = _read_cache(path) if path.exists() else None
        if out is not None:
            return {**out, "n": len(out["features"]), "cache": "hit"}
        # Otherwise (missing or failing its sha256): recompute and overwrite it.
    x = to_float_images(images, pad_to=size if size != images.shape[1] else None)
    feats, probs = extractor(x)
    mu, sigma = feature_statistics(feats)
    out = {"features": feats, "probs": probs, "labels": labels, "mu": mu, "sigma": sigma}
    if path is not None:
        buf = io.BytesIO()
        np.savez(buf, **out, sha256=np.frombuffer(arrays_sha256(out).encode(), np.uint8))
        atomic.write_bytes(path, buf.getvalue())
    return {**out, "n": len(feats), "cache": "miss" if path is not None else "off"}


def score(feats, probs, ref: dict, kind: str, seed: int = DEFAULT_SEED) -> dict:
    """Every metric of one feature set against the reference set.

    Returns:
        ``{"values": {name: value}, "class_histogram": [...] | None}`` with
        names ``<metric>_<kind>_<budget>``, e.g. ``fid_domain_10k``.

    Examples:
    >>> from zoo.metrics.features import DomainExtractor
    >>> ref = real_features(DomainExtractor("mnist"), "mnist", "test", 28)
    >>> part = score(ref["features"][:200], ref["probs"][:200], ref, "domain")  # 200 real images vs all 1000
    >>> part["tag"], part["values"]["classes_covered_domain_200"], len(part["class_histogram"])
    ('domain_200', 10, 10)
    """
    tag = f"{kind}_{budget_tag(len(feats))}"
    mu, sigma = feature_statistics(feats)
    kid_mean, kid_se = kid(feats, ref["features"], KID_SUBSETS, KID_SUBSET_SIZE, seed=seed)
    is_mean, is_std = inception_score(probs, IS_SPLITS)
    # Equal-size sets for precision/recall: k-NN radii shrink as a set grows.
    m = min(len(feats), len(ref["features"]))
    ref_idx = np.sort(np.random.default_rng(seed).choice(len(ref["features"]), m, replace=False))
    precision, recall = precision_recall(ref["features"][ref_idx], feats[:m], k=PR_K)
    values = {
        f"fid_{tag}": frechet_distance(mu, sigma, ref["mu"], ref["sigma"]),
        f"kid_{tag}": kid_mean,
        f"kid_{tag}_se": kid_se,
        f"is_{tag}": is_mean,
        f"is_{tag}_std": is_std,
        f"precision_{tag}": precision,
        f"recall_{tag}": recall,
    }
    histogram = None
    if kind == "domain":  # ImageNet classes say nothing about digits or garments
        cov = class_coverage(probs, ref["labels"], min_share=COVERAGE_MIN_SHARE)
        values[f"coverage_kl_{tag}"] = cov["kl"]
        values[f"classes_covered_{tag}"] = cov["classes_covered"]
        histogram = cov["histogram"]
    values = {k: v if isinstance(v, int) else _sig(v) for k, v in values.items()}
    return {"tag": tag, "values": values, "class_histogram": histogram}


def describe_protocol(extractor, dataset: str, n: int, seed: int, ref: dict, latents: str = LATENTS) -> dict:
    """The plain-data description of how the numbers were made (stored in cards).

    ``latents`` names the distribution z was drawn from (:data:`LATENTS` unless the model's
    ``latent_info()`` says otherwise); the default keeps the text of every normal-z card.
    """
    m = min(n, ref["n"])
    return {
        "name": PROTOCOL,
        "features": extractor.kind,
        "feature_net": extractor.description,
        "feature_net_id": extractor.id,
        "dataset": dataset,
        "n_samples": n,
        "seed": seed,
        "latents": f"{latents} from numpy.random.default_rng({seed})",
        "reference": f"{dataset} test split ({ref['n']} images)",
        "real_row": f"up to {n} {dataset} train images (subset seed {seed}) vs the same reference",
        "kid": {"subsets": KID_SUBSETS, "subset_size": min(KID_SUBSET_SIZE, m), "kernel": "(x.y/d + 1)^3",
                "error": "standard error over subsets"},
        "precision_recall": {"k": PR_K, "samples_per_side": m},
        "inception_score": {"splits": IS_SPLITS},
        "coverage": {"min_share": COVERAGE_MIN_SHARE, "kl": "KL(predicted class histogram || real test labels)"},
    }


def evaluate_images(images, dataset: str, features: str = "domain", seed: int = DEFAULT_SEED,
                    data_dir=None, include_real: bool = True, use_cache: bool = True,
                    label: str = "samples", extractor=None, latents: str = LATENTS) -> dict:
    """Scores an array of generated images against ``dataset``'s test split.

    Args:
        images: float32 (N, H, W, 1) in [-1, 1], H = W = 28 or 32.
        dataset: ``"mnist"`` or ``"fashion-mnist"``.
        features: ``"domain"`` or ``"inception"``.
        seed: seed of the real-row subset, KID subsets and P/R subsets.
        data_dir: dataset folder (default ``$ZOO_DATA_DIR``).
        include_real: add the real train-vs-test row.
        use_cache: cache real-data features.
        label: the row's name.
        extractor: a prebuilt extractor (default: built from ``features``).
        latents: the distribution z was drawn from, for the protocol block (a model's
            ``latent_info()["z"]["distribution"]``; default :data:`LATENTS`).

    Returns:
        The report dict: ``protocol``, ``rows`` (one per scored set, each
        with ``values``), ``cache`` and ``timing_s``.

    Examples:
    >>> from zoo.data import load_arrays, to_float_images
    >>> images = to_float_images(load_arrays("mnist", "train")[0][:200])  # real digits as the "samples"
    >>> report = evaluate_images(images, "mnist", label="200 train digits")
    >>> [(row["name"], row["n"]) for row in report["rows"]]
    [('200 train digits', 200), ('real train vs test', 200)]
    >>> report["rows"][0]["values"]["classes_covered_domain_200"]
    10
    """
    images = check_images(images, channels=(1,))
    if images.shape[1] != images.shape[2] or images.shape[1] not in (28, 32):
        raise ValueError(f"samples must be 28x28 or 32x32, got {images.shape[1]}x{images.shape[2]}")
    t0 = time.perf_counter()
    if extractor is None:
        preflight(len(images), features, dataset, data_dir)  # before building (or downloading) a network
        extractor = make_extractor(features, dataset)
    else:
        preflight(len(images), extractor.kind, dataset, data_dir, extractor.feature_dim)
    size = images.shape[1]
    ref = real_features(extractor, dataset, "test", size, data_dir=data_dir, use_cache=use_cache)
    t1 = time.perf_counter()
    feats, probs = extractor(images)
    rows = [{"name": label, "n": len(images), **score(feats, probs, ref, extractor.kind, seed)}]
    t2 = time.perf_counter()
    cache = {"reference": ref["cache"]}
    if include_real:
        real = real_features(extractor, dataset, "train", size, n=len(images), seed=seed,
                             data_dir=data_dir, use_cache=use_cache)
        rows.append({"name": "real train vs test", "n": real["n"],
                     **score(real["features"], real["probs"], ref, extractor.kind, seed)})
        cache["real_train"] = real["cache"]
    return {
        "protocol": describe_protocol(extractor, dataset, len(images), seed, ref, latents),
        "rows": rows,
        "cache": cache,
        "timing_s": {"reference": round(t1 - t0, 2), "samples": round(t2 - t1, 2),
                     "real_row": round(time.perf_counter() - t2, 2)},
    }


def _check_budget(n: int, dim: int, kind: str, what: str = "samples") -> None:
    if n < dim:
        raise ValueError(
            f"{what}: {n} images are too few for the covariance of {dim}-dimensional "
            f"{kind} features; at least {dim} are needed"
        )


def preflight(n: int, features: str, dataset: str, data_dir=None, dim: int | None = None) -> None:
    """Fails fast when ``n`` samples or the reference split are too few for ``features``.

    Runs before any network is built, sampled or downloaded, so a bad budget
    costs a second rather than minutes.

    Examples:
    >>> preflight(500, "inception", "mnist")
    Traceback (most recent call last):
    ValueError: samples: 500 images are too few for the covariance of 2048-dimensional inception features; ...
    """
    from zoo.data import load_arrays
    from zoo.metrics.features import feature_dim

    dim = dim or feature_dim(features, dataset)
    _check_budget(n, dim, features)
    n_ref = len(load_arrays(dataset, "test", data_dir)[1])
    _check_budget(n_ref, dim, features, what=f"the {dataset} test split (the reference)")


def evaluate(name: str, n: int = DEFAULT_N, features: str = "domain", seed: int = DEFAULT_SEED,
             weights="pretrained", data_dir=None, include_real: bool = True, use_cache: bool = True) -> dict:
    """Samples a zoo entry and scores it by the protocol (see :func:`evaluate_images`).

    Args:
        name: a registered model name.
        n: number of generated samples (the budget in metric names).
        features: ``"domain"`` or ``"inception"``.
        seed: latent seed (and subset seed).
        weights: as for :func:`zoo.load` (``"pretrained"``, ``None``, or a path).

    Examples:
    >>> report = evaluate("dcgan-mnist", n=200, include_real=False)  # the card's numbers use n=10000
    >>> report["model"], report["weights"], report["rows"][0]["name"]
    ('dcgan-mnist', 'pretrained', 'dcgan-mnist (pretrained)')
    >>> sorted(report["rows"][0]["values"])[:2]
    ['classes_covered_domain_200', 'coverage_kl_domain_200']
    """
    import zoo
    from zoo.registry import get_preset

    preset = get_preset(name)
    preflight(n, features, preset.dataset, data_dir)  # before sampling: fail in a second, not a minute
    extractor = make_extractor(features, preset.dataset)
    t0 = time.perf_counter()
    if weights is None:
        # A fresh initialisation draws from Keras' global RNG: seed it so the
        # untrained floor row reproduces like every other number.
        import keras

        keras.utils.set_random_seed(seed)
    model = zoo.load(name, weights=weights)
    images = model.sample(n, seed=seed)
    t_sample = time.perf_counter() - t0
    label = f"{name} ({'untrained' if weights is None else 'pretrained' if weights == 'pretrained' else 'weights file'})"
    report = evaluate_images(images, preset.dataset, seed=seed, data_dir=data_dir, include_real=include_real,
                             use_cache=use_cache, label=label, extractor=extractor,
                             latents=model.latent_info()["z"]["distribution"])
    report["model"] = name
    report["weights"] = "untrained" if weights is None else str(weights)
    report["timing_s"] = {"sampling": round(t_sample, 2), **report["timing_s"]}
    return report


def metrics_block(report: dict, generator_sha256: str | None = None) -> dict:
    """The ``metrics`` entry a model card keeps for one feature network."""
    import zoo

    block = {
        "protocol": report["protocol"],
        "n_samples": report["protocol"]["n_samples"],
        "seed": report["protocol"]["seed"],
        "values": report["rows"][0]["values"],
        "class_histogram": report["rows"][0]["class_histogram"],
        "real_reference": report["rows"][1]["values"] if len(report["rows"]) > 1 else None,
        "generator_sha256": generator_sha256,
        "command": f"gan-zoo eval {report['model']} -n {report['protocol']['n_samples']} "
        f"--seed {report['protocol']['seed']} --features {report['protocol']['features']} --update-card",
        "gan_zoo_version": zoo.__version__,
    }
    return block


def update_card_metrics(preset, key: str, report: dict, block: dict) -> Path:
    """Stores ``block`` under ``metrics.<key>`` in the entry's card, atomically.

    Only a report of the entry's shipped weights goes into its card; the rest
    of the card (other metric blocks included) is kept. Entries without a
    card get nothing written (an error says so).
    """
    from zoo import card as card_lib
    from zoo.errors import ZooError

    if report.get("model") != preset.name or report.get("weights") != "pretrained":
        raise ZooError(
            f"only a report of {preset.name}'s shipped weights goes into its card "
            f"(got model {report.get('model')!r}, weights {report.get('weights')!r})"
        )
    path = preset.card_path
    if not path.exists():
        raise ZooError(f"{preset.name} has no model card ({path} does not exist); nothing written")
    return card_lib.update_metrics(path, key, block)


def write_card_metrics(preset, report: dict) -> Path:
    """Adds an evaluation ``report`` to the entry's card under ``metrics.<features>``.

    Examples:
    >>> import dataclasses, json, shutil
    >>> from pathlib import Path
    >>> from zoo.registry import get_preset
    >>> shipped = get_preset("dcgan-mnist")
    >>> preset = dataclasses.replace(shipped, weights_dir=Path("scratch"))  # a copy of the card to write to
    >>> preset.weights_dir.mkdir()
    >>> _ = shutil.copy(shipped.card_path, preset.card_path)
    >>> path = write_card_metrics(preset, evaluate("dcgan-mnist", n=200, include_real=False))
    >>> block = json.loads(path.read_text())["metrics"]["domain"]
    >>> block["n_samples"], block["command"]
    (200, 'gan-zoo eval dcgan-mnist -n 200 --seed 0 --features domain --update-card')
    """
    sha = preset.generator_weights.sha256 if preset.generator_weights else None
    return update_card_metrics(preset, report["protocol"]["features"], report, metrics_block(report, sha))


def compare_with_card(report: dict, card: dict, rtol: float = 1e-4, atol: float = 1e-6) -> list[str]:
    """Differences between a fresh report and the ``metrics`` block a card keeps.

    Only a block made with the same features, sample count and seed is
    comparable; anything else is reported as a difference, not skipped.

    Returns:
        One line per differing value (empty: the card is reproduced).

    Examples:
    >>> import json
    >>> report = evaluate("dcgan-mnist", n=200, include_real=False)
    >>> card = json.loads(json.dumps({"metrics": {"domain": metrics_block(report)}}))  # as a card file holds it
    >>> compare_with_card(report, card)
    []
    >>> card["metrics"]["domain"]["values"]["fid_domain_200"] += 1.0
    >>> [line.split(":")[0] for line in compare_with_card(report, card)]
    ['fid_domain_200']
    """
    from zoo import card as card_lib

    p = report["protocol"]
    block = card_lib.metric_block(card, p["features"])
    if block is None:
        return [f"the card has no metrics.{p['features']} block"]
    if (block["n_samples"], block["seed"]) != (p["n_samples"], p["seed"]):
        return [f"the card was made with -n {block['n_samples']} --seed {block['seed']}, "
                f"this run with -n {p['n_samples']} --seed {p['seed']}"]
    fresh = report["rows"][0]["values"]
    diffs = []
    for key, want in block["values"].items():
        got = fresh.get(key)
        if got is None or not np.isclose(got, want, rtol=rtol, atol=atol):
            diffs.append(f"{key}: card {want}, now {got}")
    return diffs
