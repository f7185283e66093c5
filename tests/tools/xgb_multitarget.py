#!/usr/bin/python3
"""Multi-target models (num_target > 1: one tree per target a round, tree_info
giving the target) trained by the real XGBoost 1.7.4, with its own predictions.

usage: xgb_multitarget.py OUTDIR
       xgb_multitarget.py --predict MODEL OUTDIR/rows.csv OUT   (XGBoost's margins of
       a model swish wrote, for the rows, as in NAME.margin)
Writes OUTDIR/rows.csv (features f0..f5, NaN-rich, empty cells for NaN) and for
each model NAME in reg3 (reg:squarederror, 3 targets, depth 6: points, rebounds
and assists at once), logit2 (binary:logistic, 2 labels, depth 5, base_score
0.3) and reg2d9 (reg:squarederror, 2 targets, depth 9): NAME.json, NAME.ubj,
NAME.margin and NAME.pred (XGBoost's predictions with and without
output_margin, one row per line, comma-separated, %.9g) and NAME.shap
(pred_contribs: per row, per target, the features then the bias)."""
import sys

import numpy as np
import xgboost as xgb
from xgb_out import write_rows

NAMES = ["f%d" % i for i in range(6)]


def write_matrix(path, a):
    a = a.reshape(a.shape[0], -1)
    with open(path, "w") as fp:
        for row in a:
            fp.write(",".join("%.9g" % v for v in row) + "\n")


def predict(model, rows, out):
    T = np.genfromtxt(rows, delimiter=",", skip_header=1, dtype=np.float32, missing_values="", filling_values=np.nan)
    bst = xgb.Booster(model_file=model)
    write_matrix(out, bst.predict(xgb.DMatrix(T, missing=np.nan, feature_names=NAMES), output_margin=True))


def main():
    if sys.argv[1] == "--predict":
        predict(sys.argv[2], sys.argv[3], sys.argv[4])
        return
    out = sys.argv[1]
    rng = np.random.default_rng(21)
    n = 3000
    X = rng.normal(size=(n, 6)).astype(np.float32) * 2
    X[rng.random(size=X.shape) < 0.12] = np.nan
    write_rows(out + "/rows.csv", X, NAMES)
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


if __name__ == "__main__":
    main()
