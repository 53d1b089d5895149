"""How well InfoGAN's categorical code separates the classes (Chen et al., 2016, Sec. 7.1).

Three measurements, all reported by ``gan-zoo codes NAME``:

- :func:`category_accuracy`: for each categorical value, samples with that
  code fixed are classified by the dataset's domain classifier; codes are
  mapped one-to-one to classes by the assignment that maximises matches
  (Hungarian), and the accuracy is the share of matched samples.
- :func:`q_recovery`: how well Q reads back the codes the generator was
  given: categorical accuracy (no remapping: Q must return the code itself)
  and R^2 of Q's mean per continuous code.
- :func:`q_real_accuracy`: the paper's own number ("5% error"): Q's category
  as an unsupervised classifier of real test digits, Hungarian-matched.
"""

from __future__ import annotations

import io
from pathlib import Path

import keras
import numpy as np

from zoo.card import CODES_KEY
from zoo.families.infogan import DEFAULT_Q_SAMPLES, DEFAULT_SAMPLES_PER_CODE
from zoo.families.infogan.generator import DEFAULT_NOISE

# How protocol_text names each noise distribution of zoo.families.infogan.generator.NOISE.
NOISE_TEXT = {"normal": "z ~ N(0, I)", "uniform": "z ~ U(-1, 1)"}

PROTOCOL = "gan-zoo-infogan-codes-v1"
CARD_KEY = CODES_KEY  # the block under the card's "metrics"


def hungarian_accuracy(codes, labels, num_classes: int) -> tuple[float, dict, np.ndarray]:
    """Accuracy of ``codes`` as a classifier of ``labels`` under the best one-to-one mapping.

    Args:
        codes: (N,) ints in [0, num_classes): the categorical code of each sample.
        labels: (N,) ints in [0, num_classes): the class each sample was given.
        num_classes: K, the number of codes and of classes.

    Returns:
        ``(accuracy, mapping, confusion)``: the share of samples whose label is
        their code's mapped class, ``{code: class}`` for every code, and the
        (K, K) int64 counts with ``confusion[code, label]``.

    Examples:
    >>> hungarian_accuracy([0, 0, 1, 1], [1, 1, 0, 0], 2)[:2]
    (1.0, {0: 1, 1: 0})
    """
    from scipy.optimize import linear_sum_assignment

    codes, labels = np.asarray(codes), np.asarray(labels)
    k = int(num_classes)
    if codes.shape != labels.shape or codes.ndim != 1 or len(codes) == 0:
        raise ValueError(f"codes and labels must be equal-length non-empty 1-D arrays, "
                         f"got shapes {codes.shape} and {labels.shape}")
    for name, a in (("codes", codes), ("labels", labels)):
        if not np.issubdtype(a.dtype, np.integer) or a.min() < 0 or a.max() >= k:
            raise ValueError(f"{name} must be integers in [0, {k})")
    codes, labels = codes.astype(np.int64), labels.astype(np.int64)
    confusion = np.bincount(codes * k + labels, minlength=k * k).reshape(k, k)  # (K codes, K labels)
    rows, cols = linear_sum_assignment(confusion, maximize=True)  # rows == arange(K)
    accuracy = float(confusion[rows, cols].sum() / len(codes))
    return accuracy, {int(r): int(c) for r, c in zip(rows, cols)}, confusion.astype(np.int64)


def domain_classifier(dataset: str):
    """The shipped classifier of ``dataset`` as ``(predict, description)``.

    ``predict`` maps images (N, 28, 28, 1) in [-1, 1] to logits (N, 10).
    """
    from zoo.metrics.classifier import load_classifier

    net, card = load_classifier(dataset)
    sha = card["weights"]["sha256"]
    description = f"{card['name']} (sha256 {sha[:12]}, test accuracy {card['test_accuracy']})"
    return (lambda x: net(x, training=False)), description


def _predict(classifier, images: np.ndarray, batch_size: int) -> np.ndarray:
    """(N, H, W, C) images -> (N,) int64 argmax of ``classifier``'s scores."""
    out = [keras.ops.convert_to_numpy(classifier(images[i : i + batch_size])).argmax(axis=1) for i in range(0, len(images), batch_size)]
    return np.concatenate(out).astype(np.int64) if out else np.zeros(0, np.int64)


def category_accuracy(model, classifier=None, samples_per_code: int = DEFAULT_SAMPLES_PER_CODE, seed: int = 0,
                      batch_size: int = 500) -> dict:
    """The Hungarian accuracy of the categorical code against a domain classifier.

    ``samples_per_code`` samples per categorical value k, all K * S drawn in
    one call ``model.sample_latents(K * S, seed, category=[0]*S + [1]*S + ...)``,
    so every sample has its own noise z (from the generator's noise distribution,
    ``model.noise``) and continuous codes ~ U(-1, 1).

    Args:
        model: an :class:`InfoGANModel`.
        classifier: a callable from images (N, H, W, C) to class scores (N, K);
            the predicted class is the argmax. None: the shipped domain
            classifier of the model's dataset.
        samples_per_code: S, samples per categorical value.
        seed: the NumPy seed of the latents.
        batch_size: images per generator / classifier call.

    Returns:
        dict with ``accuracy``, ``mapping`` (code -> class), ``confusion``
        ((K, K) nested lists), ``per_code_accuracy`` (share of each code's
        samples in its mapped class), ``purity`` (share in its most frequent
        class), ``samples_per_code``, ``seed`` and ``classifier`` (a description).
    """
    if samples_per_code < 1:
        raise ValueError(f"samples_per_code must be >= 1, got {samples_per_code}")
    description = "a custom classifier"
    if classifier is None:
        classifier, description = domain_classifier(model.preset.dataset)
    k = model.num_categories
    codes = np.repeat(np.arange(k), samples_per_code)  # (K * S,): S of code 0, then S of code 1, ...
    images = model.generate(model.sample_latents(len(codes), seed, category=codes), batch_size)  # (K*S, H, W, C)
    labels = _predict(classifier, images, batch_size)  # (K * S,)
    if labels.max() >= k:
        raise ValueError(f"the classifier predicts {labels.max() + 1}+ classes but the code has {k} values")
    accuracy, mapping, confusion = hungarian_accuracy(codes, labels, k)
    per_code = confusion / samples_per_code  # (K, K) shares; each row sums to 1
    return {
        "accuracy": accuracy,
        "mapping": mapping,
        "confusion": confusion.tolist(),
        "per_code_accuracy": [float(per_code[c, mapping[c]]) for c in range(k)],
        "purity": per_code.max(axis=1).tolist(),
        "samples_per_code": samples_per_code,
        "seed": seed,
        "classifier": description,
    }


def r2_scores(true, pred) -> list[float]:
    """``1 - SS_res / SS_tot`` per column of (N, C) arrays (1 is perfect, 0 is the mean, < 0 worse)."""
    true, pred = np.asarray(true, np.float64), np.asarray(pred, np.float64)
    ss_res = ((true - pred) ** 2).sum(axis=0)  # (C,)
    ss_tot = ((true - true.mean(axis=0)) ** 2).sum(axis=0)  # (C,)
    if (ss_tot == 0).any():
        raise ValueError("R^2 is undefined for a constant code; use at least two distinct values")
    return (1.0 - ss_res / ss_tot).tolist()


def q_recovery(model, n: int = DEFAULT_Q_SAMPLES, seed: int = 0, batch_size: int = 256) -> dict:
    """Q's accuracy at reading back the codes of ``n`` generated samples.

    The latents come from ``model.sample_latents(n, seed)`` (uniform category,
    U(-1, 1) continuous codes), so the true codes are known.

    Returns:
        dict with ``category_accuracy`` (Q's argmax equals the code; no
        remapping), ``continuous_r2`` (one R^2 of Q's mean per continuous
        code), ``n`` and ``seed``.
    """
    if n < 2:
        raise ValueError(f"n must be >= 2 (R^2 needs a spread of codes), got {n}")
    latents = model.sample_latents(n, seed)  # z (n, D), c_cat (n, K) one-hot, c_cont (n, C)
    q = model.infer_codes(model.generate(latents, batch_size), batch_size)  # category (n, K), continuous (n, C)
    hit = q["category"].argmax(axis=1) == latents["c_cat"].argmax(axis=1)  # (n,)
    return {
        "category_accuracy": float(hit.mean()),
        "continuous_r2": r2_scores(latents["c_cont"], q["continuous"]) if model.num_continuous else [],
        "n": n,
        "seed": seed,
    }


def q_real_accuracy(model, split: str = "test", data_dir=None, batch_size: int = 256) -> dict:
    """Q's category as a classifier of real images, Hungarian-matched to the labels.

    This is the paper's "5% error rate in classifying MNIST digits".

    Returns:
        dict with ``accuracy``, ``mapping`` (code -> class), ``n`` and ``split``.
    """
    from zoo.data import load_arrays, to_float_images

    images, labels = load_arrays(model.preset.dataset, split, data_dir)
    x = to_float_images(images)  # (N, 28, 28, 1) in [-1, 1]
    codes = model.infer_codes(x, batch_size)["category"].argmax(axis=1)  # (N,)
    accuracy, mapping, _ = hungarian_accuracy(codes, labels.astype(np.int64), model.num_categories)
    return {"accuracy": accuracy, "mapping": mapping, "n": int(len(labels)), "split": split}


def protocol_text(num_codes: int, samples_per_code: int, seed: int, classifier: str, q_samples: int | None,
                  real: dict | None = None, noise: str = DEFAULT_NOISE) -> str:
    """The measurement in one paragraph (stored with the numbers in reports and cards).

    ``noise`` is the generator's noise distribution (``InfoGANModel.noise``), which the samples use.

    Examples:
    >>> "z ~ U(-1, 1)" in protocol_text(10, 5, 0, "a classifier", None, noise="uniform")
    True
    """
    text = (
        f"Categorical code (Chen et al., 2016, Sec. 7.1): for each of the {num_codes} values, {samples_per_code} "
        f"samples with that value fixed (noise {NOISE_TEXT[noise]} and continuous codes ~ U(-1, 1), all drawn by "
        f"numpy.random.default_rng({seed})); each classified by {classifier} (argmax); codes mapped one-to-one "
        f"to classes by the assignment maximising matches (Hungarian: scipy.optimize.linear_sum_assignment on the "
        f"{num_codes} x {num_codes} confusion matrix); accuracy = matched samples / {num_codes * samples_per_code}. "
        f"The classifier's own error on generated digits is included."
    )
    if q_samples:
        text += (f" Q recovery: {q_samples} samples with uniform codes from default_rng({seed}); Q's argmax vs "
                 f"the categorical code given (no remapping), and R^2 = 1 - SS_res / SS_tot of Q's Gaussian mean "
                 f"per continuous code.")
    if real:
        text += (f" Q on real data: Q's argmax on the {real['n']} images of the {real['split']} split, "
                 f"Hungarian-matched to the labels (the paper's '5% error' measurement).")
    return text


def measure(model, classifier=None, samples_per_code: int = DEFAULT_SAMPLES_PER_CODE, seed: int = 0,
            q_samples: int | None = DEFAULT_Q_SAMPLES, real_split: str | None = None, data_dir=None) -> dict:
    """Every measurement of the module as one report (what ``gan-zoo codes`` prints and stores).

    Args:
        model: an :class:`InfoGANModel`; Q's measurements need its discriminator.
        classifier: see :func:`category_accuracy`.
        samples_per_code: S of :func:`category_accuracy`.
        seed: the latent seed of every measurement.
        q_samples: n of :func:`q_recovery`; None skips it.
        real_split: the split for :func:`q_real_accuracy`; None skips it.
        data_dir: dataset folder for ``real_split``.

    Returns:
        dict with ``protocol``, ``category``, ``q`` and ``q_real`` (None when
        skipped) and ``values``: the card's metric names, which carry the sample
        budget (``category_accuracy_hungarian_10k`` for 10 codes x 1,000).
    """
    from zoo.metrics.protocol import budget_tag

    def sig(x):
        return float(f"{x:.6g}")

    cat = category_accuracy(model, classifier, samples_per_code, seed)
    k = model.num_categories
    values = {f"category_accuracy_hungarian_{budget_tag(k * samples_per_code)}": sig(cat["accuracy"])}
    q = q_recovery(model, q_samples, seed) if q_samples else None
    if q:
        tag = budget_tag(q_samples)
        values[f"q_category_accuracy_{tag}"] = sig(q["category_accuracy"])
        values[f"q_continuous_r2_{tag}"] = [sig(r) for r in q["continuous_r2"]]
    real = q_real_accuracy(model, real_split, data_dir) if real_split else None
    if real:
        values[f"q_real_{real_split}_accuracy_hungarian_{budget_tag(real['n'])}"] = sig(real["accuracy"])
    return {
        "protocol": {
            "name": PROTOCOL,
            "text": protocol_text(k, samples_per_code, seed, cat["classifier"], q_samples, real, model.noise),
            "num_codes": k,
            "samples_per_code": samples_per_code,
            "q_samples": q_samples,
            "seed": seed,
            "classifier": cat["classifier"],
        },
        "category": cat,
        "q": q,
        "q_real": real,
        "values": values,
    }


def format_table(report: dict) -> str:
    """The report as text: one row per code, then the metric values.

    Per code: its mapped class, the share of its samples in that class
    (matched), the share in its most frequent class (purity) and that class.
    """
    p, cat = report["protocol"], report["category"]
    lines = [f"{report.get('model', 'model')}: {p['num_codes']} codes x {p['samples_per_code']} samples, "
             f"seed {p['seed']}; classifier: {p['classifier']}",
             "code  class  matched  purity  top class"]
    for c, label in sorted(cat["mapping"].items(), key=lambda kv: kv[1]):
        top = int(np.argmax(cat["confusion"][c]))
        lines.append(f"{c:>4}  {label:>5}  {cat['per_code_accuracy'][c]:7.4f}  {cat['purity'][c]:6.4f}  {top:>9}")
    for name, v in report["values"].items():
        shown = ", ".join(f"c{j + 1} {r:.4f}" for j, r in enumerate(v)) if isinstance(v, list) else f"{v:.4f}"
        lines.append(f"{name}: {shown or '-'}")
    return "\n".join(lines)


def confusion_png(report: dict, path, cell: int = 36) -> Path:
    """Writes the code x class confusion matrix as a PNG, atomically.

    Rows are codes ordered by their mapped class, so the matching lies on the
    diagonal (outlined in red); darker cells hold more samples.
    """
    from PIL import Image, ImageDraw

    from zoo import atomic

    cat = report["category"]
    confusion = np.asarray(cat["confusion"], np.float64)  # (K codes, K classes)
    k = len(confusion)
    rows = sorted(range(k), key=lambda c: cat["mapping"][c])
    left, top = 56, 48
    img = Image.new("RGB", (left + k * cell + 8, top + k * cell + 8), "white")
    draw = ImageDraw.Draw(img)
    draw.text((4, 4), f"{report.get('model', '')}: Hungarian accuracy {cat['accuracy']:.4f}", fill="black")
    draw.text((left, 20), "class ->", fill="black")
    for j in range(k):
        draw.text((left + j * cell + cell // 2 - 3, top - 14), str(j), fill="black")
    for i, c in enumerate(rows):
        draw.text((4, top + i * cell + cell // 2 - 6), f"code {c}", fill="black")
        for j in range(k):
            share = confusion[c, j] / max(confusion[c].sum(), 1)
            g = int(round(255 * (1 - share)))
            box = [left + j * cell, top + i * cell, left + (j + 1) * cell - 1, top + (i + 1) * cell - 1]
            draw.rectangle(box, fill=(g, g, g), outline="#dddddd")
            if confusion[c, j]:
                draw.text((box[0] + 3, box[1] + cell // 2 - 6), f"{int(confusion[c, j])}",
                          fill="white" if g < 128 else "black")
        j = cat["mapping"][c]
        draw.rectangle([left + j * cell, top + i * cell, left + (j + 1) * cell - 1, top + (i + 1) * cell - 1],
                       outline="red", width=2)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return atomic.write_bytes(path, buf.getvalue())


def write_card_codes(preset, report: dict) -> Path:
    """Stores ``report`` under ``metrics.infogan_codes`` in the entry's card, atomically.

    Only a report of the shipped weights goes into a card; the rest of the
    card (``metrics.domain`` included) is kept.
    """
    import zoo
    from zoo.metrics.protocol import update_card_metrics

    p = report["protocol"]
    block = {
        "protocol": p,
        "values": report["values"],
        "mapping": {str(c): label for c, label in report["category"]["mapping"].items()},
        "per_code_accuracy": report["category"]["per_code_accuracy"],
        "confusion": report["category"]["confusion"],
        "generator_sha256": preset.generator_weights.sha256 if preset.generator_weights else None,
        "discriminator_sha256": preset.discriminator_weights.sha256 if preset.discriminator_weights else None,
        "command": report.get("command"),
        "gan_zoo_version": zoo.__version__,
    }
    return update_card_metrics(preset, CARD_KEY, report, block)
