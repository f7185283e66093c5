#!/usr/bin/python3
"""Models saved by the real XGBoost 1.7.4 in its legacy binary format (what
save_model writes to a name not ending in .json or .ubj), with its own
predictions.

usage: xgb_legacy.py OUTDIR
Writes OUTDIR/rows.csv (features f0..f5, NaN-rich, empty cells for NaN) and,
for each model NAME below, NAME.model (legacy binary), NAME.json (the same
booster as JSON), NAME.margin and NAME.pred (XGBoost's outputs with and without
output_margin, all trees, one row per line, comma-separated, %.9g), and
NAME.info (outputs, trees, best_iteration or -1):
  reg      reg:squarederror, depth 6, early stopping (best_iteration), eval_metric
  logit    binary:logistic, base_score 0.3, scale_pos_weight 2, gamma (pruned trees keep
           deleted nodes)
  multi    multi:softprob, 3 classes
  dart     booster dart, rate_drop 0.3
  tweedie  reg:tweedie, variance power 1.3 (kept in the objective attribute)
  poisson  count:poisson (its max_delta_step in the objective attribute)
  forest   4 parallel trees a round, subsampled
  targets  2 regression targets (num_target 2, one tree per target a round)
  dart0    booster dart trained for no round (no weights in the file)
  bare     reg without the "binf" that XGBoost 1.7 writes first (XGBoost reads both)
  linear   booster gblinear (swish refuses it)"""
import sys

import numpy as np
import xgboost as xgb
from xgb_out import nan_rich_rows, write_matrix

NAMES = ["f%d" % i for i in range(6)]


def main():
    out = sys.argv[1]
    rng = np.random.default_rng(5)
    n = 2500
    X = nan_rich_rows(rng, n, out + "/rows.csv", NAMES)
    Z = np.nan_to_num(X)
    pts = 20 + Z[:, 0] * 3 + np.sin(Z[:, 1] * 2) * 4 + Z[:, 2] * Z[:, 3] + rng.normal(size=n)
    cls = (pts > 18).astype(int) + (pts > 23).astype(int)
    base = {"tree_method": "hist", "eta": 0.3, "seed": 3, "nthread": 1, "max_depth": 6}
    models = (
        ("reg", {"eval_metric": "mae"}, pts, 60),
        ("logit", {"objective": "binary:logistic", "base_score": 0.3, "gamma": 2.0, "scale_pos_weight": 2.0},
         (pts > 20).astype(float), 30),
        ("multi", {"objective": "multi:softprob", "num_class": 3, "max_depth": 4}, cls, 15),
        ("dart", {"booster": "dart", "rate_drop": 0.3, "skip_drop": 0.0}, pts, 20),
        ("tweedie", {"objective": "reg:tweedie", "tweedie_variance_power": 1.3}, np.maximum(pts - 15, 0), 25),
        ("poisson", {"objective": "count:poisson"}, np.round(np.maximum(pts - 15, 0)), 25),
        ("forest", {"num_parallel_tree": 4, "subsample": 0.7, "colsample_bynode": 0.8}, pts, 5),
        ("targets", {"max_depth": 4}, np.stack([pts, Z[:, 4] * 2 + Z[:, 5]], 1), 10),
        ("dart0", {"booster": "dart", "base_score": 17.5}, pts, 0),
        ("linear", {"booster": "gblinear"}, pts, 10),
    )
    dp = xgb.DMatrix(X, missing=np.nan)
    for name, extra, y, rounds in models:
        p = dict(base)
        p.update(extra)
        dt = xgb.DMatrix(X[:2000], y[:2000], missing=np.nan)
        if name == "reg":
            dv = xgb.DMatrix(X[2000:], y[2000:], missing=np.nan)
            bst = xgb.train(p, dt, rounds, evals=[(dv, "v")], early_stopping_rounds=5, verbose_eval=False)
        else:
            bst = xgb.train(p, dt, rounds)
        bst.save_model("%s/%s.model" % (out, name))
        if name == "linear":
            continue
        bst.save_model("%s/%s.json" % (out, name))
        margin = bst.predict(dp, output_margin=True)
        pred = bst.predict(dp)
        if name == "reg":  # without the "binf" XGBoost 1.7 writes first (older files, save_raw): read alike
            with open("%s/reg.model" % out, "rb") as fp:
                raw = fp.read()
            assert raw[:4] == b"binf"
            with open("%s/bare.model" % out, "wb") as fp:
                fp.write(raw[4:])
            again = xgb.Booster(model_file="%s/bare.model" % out)
            assert (again.predict(dp, output_margin=True) == margin).all()
        for nm in (name, "bare") if name == "reg" else (name,):
            write_matrix("%s/%s.margin" % (out, nm), margin)
            write_matrix("%s/%s.pred" % (out, nm), pred)
            best = int(bst.attr("best_iteration")) if bst.attr("best_iteration") is not None else -1
            with open("%s/%s.info" % (out, nm), "w") as fp:
                groups = int(p.get("num_class", 1)) if y.ndim == 1 else y.shape[1]
                fp.write("%d %d %d\n" % (groups, len(bst.get_dump()), best))


if __name__ == "__main__":
    main()
