"""scikit-learn baselines for the ML bench (infra/bench/src/ml.bench.ts).

Reads the arrays the bench wrote (meta.json and raw little-endian files in the directory given as argument): the
same rows, labels, split and model inputs the project's learner used. Fits LogisticRegression and
HistGradientBoostingClassifier on the training split, measures them on the test split (older sessions, by hash) and
the time-based holdout (newest sessions), and prints one JSON object. Also compares the project's predictions with
them: AUC differences with 95 % intervals from a bootstrap over sessions.
"""
import json
import os
import sys
import time

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss, roc_auc_score

TRAIN, TEST, HOLDOUT = 0, 1, 2
BOOTSTRAP_RESAMPLES = 200


def ece(labels, probabilities, bins=10):
    """Expected calibration error over equal-width bins, as packages/model/src/metrics.ts computes it."""
    which = np.minimum((probabilities * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            total += abs(probabilities[mask].sum() - labels[mask].sum()) / len(labels)
    return total


def metrics(labels, probabilities):
    clipped = np.clip(probabilities, 1e-15, 1 - 1e-15)
    return {"auc": roc_auc_score(labels, probabilities), "logLoss": log_loss(labels, clipped, labels=[0, 1]), "ece": ece(labels, probabilities)}


def standardise(train, *others):
    """z-scores with the training split's mean and std; a missing value (NaN) becomes the mean, as the project does."""
    mean = np.nanmean(train, axis=0)
    std = np.nanstd(train, axis=0)
    std[~(std > 0)] = 1
    out = []
    for m in (train, *others):
        z = (m - mean) / std
        z[np.isnan(z)] = 0
        out.append(z)
    return out


def auc_difference(labels, sessions, a, b, rng):
    """AUC(a) - AUC(b) on these rows, with a 95 % interval from resampling whole sessions."""
    point = roc_auc_score(labels, a) - roc_auc_score(labels, b)
    unique, inverse = np.unique(sessions, return_inverse=True)
    rows_of = np.split(np.argsort(inverse, kind="stable"), np.cumsum(np.bincount(inverse))[:-1])
    draws = []
    for _ in range(BOOTSTRAP_RESAMPLES):
        picked = np.concatenate([rows_of[s] for s in rng.integers(0, len(unique), len(unique))])
        y = labels[picked]
        if y.min() == y.max():
            continue
        draws.append(roc_auc_score(y, a[picked]) - roc_auc_score(y, b[picked]))
    low, high = np.percentile(draws, [2.5, 97.5])
    return {"difference": point, "low": low, "high": high}


def main(directory):
    with open(os.path.join(directory, "meta.json")) as f:
        meta = json.load(f)
    rows = meta["rows"]

    def read(name, dtype, cols=1):
        data = np.fromfile(os.path.join(directory, name), dtype=dtype)
        return data.reshape(rows, cols) if cols > 1 else data

    raw = read("raw.f64", "<f8", len(meta["rawNames"]))
    inputs = read("inputs.f64", "<f8", len(meta["inputNames"]))
    labels = read("labels.u8", "u1").astype(int)
    split = read("split.u8", "u1")
    sessions = read("sessions.i32", "<i4")
    parts = {name: split == code for name, code in (("train", TRAIN), ("test", TEST), ("holdout", HOLDOUT))}

    results = {}
    predictions = {}

    def run(key, label, make, matrix, scale):
        x_train, x_test, x_holdout = (matrix[parts[p]] for p in ("train", "test", "holdout"))
        if scale:
            x_train, x_test, x_holdout = standardise(x_train, x_test, x_holdout)
        model = make()
        started = time.perf_counter()
        model.fit(x_train, labels[parts["train"]])
        fit_s = time.perf_counter() - started
        p_test = model.predict_proba(x_test)[:, 1]
        p_holdout = model.predict_proba(x_holdout)[:, 1]
        predictions[key] = {"test": p_test, "holdout": p_holdout}
        results[key] = {
            "label": label,
            "fitS": fit_s,
            "test": metrics(labels[parts["test"]], p_test),
            "holdout": metrics(labels[parts["holdout"]], p_holdout),
        }

    # C=1 (penalty 1 on the summed loss) is the project's TRAINER_L2 default too.
    logistic = lambda: LogisticRegression(C=1.0, max_iter=5000)  # noqa: E731
    boosting = lambda: HistGradientBoostingClassifier(random_state=0)  # noqa: E731
    run("sklearn_lr_raw", "scikit-learn LogisticRegression (lbfgs), the 13 session features", logistic, raw, True)
    run("sklearn_lr_inputs", "scikit-learn LogisticRegression (lbfgs), the project's inputs", logistic, inputs, True)
    run("sklearn_hgb_raw", "scikit-learn HistGradientBoosting, the 13 session features", boosting, raw, False)
    run("sklearn_hgb_inputs", "scikit-learn HistGradientBoosting, the project's inputs", boosting, inputs, False)

    project = {p: np.fromfile(os.path.join(directory, f"project-{p}.f64"), dtype="<f8") for p in ("test", "holdout")}
    rng = np.random.default_rng(0)
    differences = {}
    for key in ("sklearn_lr_raw", "sklearn_lr_inputs", "sklearn_hgb_raw", "sklearn_hgb_inputs"):
        differences[key] = {
            p: auc_difference(labels[parts[p]], sessions[parts[p]], project[p], predictions[key][p], rng) for p in ("test", "holdout")
        }
    import sklearn

    json.dump(
        {"sklearnVersion": sklearn.__version__, "numpyVersion": np.__version__, "models": results, "projectAucMinus": differences},
        sys.stdout,
    )


if __name__ == "__main__":
    main(sys.argv[1])
