#!/usr/bin/python3
"""Multi-target models (num_target > 1: one tree per target a round, tree_info
giving the target) trained by the real XGBoost 1.7.4, with its own predictions.

usage: xgb_multitarget.py OUTDIR
       xgb_multitarget.py --predict MODEL OUTDIR/rows.csv OUT   (XGBoost's margins of
       a model swish wrote, for the rows, as in NAME.margin)
Writes OUTDIR/rows.csv (features f0..f5, NaN-rich, empty cells for NaN) and for
each model NAME in reg3 (reg:squarederror, 3 targets, depth 6: points, rebounds
and assists at once), logit2 (binary:logistic, 2 labels, depth 5, base_score
0.3), reg2d9 (reg:squarederror, 2 targets, depth 9), and with one base score
per target as XGBoost 3.1 writes them, reg3v (each target's mean) and logit2v
(0.35 and 0.6), their outputs from XGBoost 1.7.4 one target at a time:
NAME.json, NAME.ubj, NAME.margin and NAME.pred (XGBoost's predictions with
and without output_margin, one row per line, comma-separated, %.9g) and
NAME.shap (pred_contribs: per row, per target, the features then the bias)."""
import json
import re
import sys

import numpy as np
import xgboost as xgb
from make_ubj import enc
from xgb_out import nan_rich_rows, write_matrix

NAMES = ["f%d" % i for i in range(6)]


def file_base_scores(path):
    """The base_score text of a JSON or UBJSON model file, as floats."""
    with open(path, "rb") as fp:
        b = fp.read()
    m = re.search(rb'"base_score"\s*:\s*"([^"]*)"', b)
    if m:
        text = m.group(1)
    else:  # UBJSON: the key, 'S', the length (an integer of any UBJSON size), the text
        at = b.index(b"base_score") + len(b"base_score")
        size = {b"U": 1, b"i": 1, b"I": 2, b"l": 4, b"L": 8}[b[at + 1:at + 2]]
        assert b[at:at + 1] == b"S"
        n = int.from_bytes(b[at + 2:at + 2 + size], "big", signed=b[at + 1:at + 2] != b"U")
        text = b[at + 2 + size:at + 2 + size + n]
    return [float(v) for v in text.decode().strip("[]").split(",")]


def xgb_number(v):
    """A float32 as XGBoost writes it: shortest digits, "E", the exponent ("2.0952372E1")."""
    m, e = np.format_float_scientific(np.float32(v), unique=True, trim="-").split("e")
    return "%sE%d" % (m, int(e))


def per_target(bst, bases, dm, **kw):
    """XGBoost 1.7.4 reads one base score only (a bracketed list as 0.5): each
    target k's outputs come from a copy of the model whose base score is
    bases[k], column k (the trees add to target k from its own margin)."""
    doc = json.loads(bytes(bst.save_raw("json")))
    cols = []
    for k, b in enumerate(bases):
        doc["learner"]["learner_model_param"]["base_score"] = "%.9g" % b
        one = xgb.Booster(model_file=bytearray(json.dumps(doc).encode()))
        cols.append(one.predict(dm, **kw)[:, k])
    return np.stack(cols, 1)


def predict(model, rows, out):
    T = np.genfromtxt(rows, delimiter=",", skip_header=1, dtype=np.float32, missing_values="", filling_values=np.nan)
    bst = xgb.Booster(model_file=model)
    # as the model names its features: an unnamed one (a legacy file, written
    # back) must take unnamed data, as it did before
    dm = xgb.DMatrix(T, missing=np.nan, feature_names=NAMES if bst.feature_names else None)
    bases = file_base_scores(model)
    write_matrix(out, per_target(bst, bases, dm, output_margin=True) if len(bases) > 1 else
                 bst.predict(dm, output_margin=True))


def main():
    if sys.argv[1] == "--predict":
        predict(sys.argv[2], sys.argv[3], sys.argv[4])
        return
    out = sys.argv[1]
    rng = np.random.default_rng(21)
    n = 3000
    X = nan_rich_rows(rng, n, out + "/rows.csv", NAMES)
    Z = np.nan_to_num(X)
    pts = 20 + Z[:, 0] * 3 + np.sin(Z[:, 1] * 2) * 4 + rng.normal(size=n)
    reb = 7 + Z[:, 2] * Z[:, 3] + rng.normal(size=n)
    ast = 5 - Z[:, 4] + np.abs(Z[:, 5]) + rng.normal(size=n)
    models = (
        ("reg3", {"max_depth": 6}, np.stack([pts, reb, ast], 1), 20),
        ("logit2", {"max_depth": 5, "objective": "binary:logistic", "base_score": 0.3},
         np.stack([pts > 20, reb > 7], 1).astype(np.float32), 20),
        ("reg2d9", {"max_depth": 9}, np.stack([pts, ast], 1), 10),
    )
    dp = xgb.DMatrix(X, missing=np.nan, feature_names=NAMES)
    for name, extra, Y, rounds in models:
        p = {"tree_method": "hist", "eta": 0.3, "seed": 3, "nthread": 1}
        p.update(extra)
        bst = xgb.train(p, xgb.DMatrix(X, Y, missing=np.nan, feature_names=NAMES), rounds)
        bst.save_model("%s/%s.json" % (out, name))
        bst.save_model("%s/%s.ubj" % (out, name))
        write_matrix("%s/%s.margin" % (out, name), bst.predict(dp, output_margin=True))
        write_matrix("%s/%s.pred" % (out, name), bst.predict(dp))
        write_matrix("%s/%s.shap" % (out, name), bst.predict(dp, pred_contribs=True))
    # one base score per target, as XGBoost 3.1 writes them ("[2.07E1,7E0]"),
    # the trees grown from those margins
    vmodels = (
        ("reg3v", {"max_depth": 6}, np.stack([pts, reb, ast], 1), 20, None),
        ("logit2v", {"max_depth": 5, "objective": "binary:logistic"}, np.stack([pts > 21, reb > 7], 1), 20,
         [0.35, 0.6]),
    )
    for name, extra, Y, rounds, probs in vmodels:
        Y = Y.astype(np.float32)
        bases = [np.float32(v) for v in (probs or Y.mean(0))]
        margins = [b if probs is None else np.log(b / (1 - b)) for b in bases]
        p = {"tree_method": "hist", "eta": 0.3, "seed": 3, "nthread": 1}
        p.update(extra)
        dt = xgb.DMatrix(X, Y, missing=np.nan, feature_names=NAMES,
                         base_margin=np.tile(np.array(margins, np.float32), (n, 1)))
        bst = xgb.train(p, dt, rounds)
        doc = json.loads(bytes(bst.save_raw("json")))
        doc["learner"]["learner_model_param"]["base_score"] = "[%s]" % ",".join(xgb_number(b) for b in bases)
        with open("%s/%s.json" % (out, name), "w") as fp:
            json.dump(doc, fp)
        with open("%s/%s.ubj" % (out, name), "wb") as fp:
            fp.write(enc(doc))
        write_matrix("%s/%s.margin" % (out, name), per_target(bst, bases, dp, output_margin=True))
        write_matrix("%s/%s.pred" % (out, name), per_target(bst, bases, dp))
        write_matrix("%s/%s.shap" % (out, name), per_target(bst, bases, dp, pred_contribs=True))


if __name__ == "__main__":
    main()
