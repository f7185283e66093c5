#!/usr/bin/python3
"""Models of the objectives swish scores but does not train, trained by the real
XGBoost 1.7.4, with its own predictions.

usage: xgb_objectives.py OUTDIR
Writes OUTDIR/rows.csv (NaN-rich rows, empty cells for NaN), OUTDIR/names (one
model name per line) and for each model NAME.json, NAME.ubj, NAME.margin
(XGBoost's output_margin predictions) and NAME.pred (its predictions), one
%.9g float32 value per line.  Some set a base_score, which each objective
turns into its base margin in its own way.  Also rf.json, a random forest
stopped early, with rf.best and rf.r2, and zero.json/.ubj, trained for no
round, with zero.pred (see the end)."""
import sys

import numpy as np
import xgboost as xgb
from xgb_out import save_with_outputs, write_rows, write_values


def main():
    out = sys.argv[1]
    rng = np.random.default_rng(11)
    n, nf = 2000, 6
    X = rng.normal(size=(n, nf)).astype(np.float32) * 2
    X[rng.random(size=(n, nf)) < 0.12] = np.nan
    y = np.nan_to_num(X[:, 0]) * 2 + np.nan_to_num(X[:, 1]) ** 2 + rng.normal(size=n)
    pos = np.exp(y / 6).astype(np.float32)
    yes = (y > np.median(y)).astype(np.float32)
    names = ["f%d" % i for i in range(nf)]
    write_rows(out + "/rows.csv", X, names)
    models = (
        ("reg_logistic", {"objective": "reg:logistic"}, yes),
        ("logitraw", {"objective": "binary:logitraw", "base_score": 0.3}, yes),
        ("hinge", {"objective": "binary:hinge", "base_score": -0.4}, yes),
        ("squaredlog", {"objective": "reg:squaredlogerror"}, pos),
        ("cox", {"objective": "survival:cox", "base_score": 2.5}, pos * np.where(yes > 0, 1, -1)),
        ("aft", {"objective": "survival:aft", "aft_loss_distribution": "logistic"}, pos),
        ("pairwise", {"objective": "rank:pairwise"}, yes),
        ("ndcg", {"objective": "rank:ndcg"}, yes),
        ("map", {"objective": "rank:map"}, yes),
    )
    with open(out + "/names", "w") as fp:
        for name, _, _ in models:
            fp.write(name + "\n")
    for name, extra, target in models:
        p = {"max_depth": 4, "eta": 0.3, "seed": 3, "nthread": 1}
        p.update(extra)
        dm = xgb.DMatrix(X, target, missing=np.nan, feature_names=names)
        if name in ("pairwise", "ndcg", "map"):
            dm.set_group([100] * (n // 100))
        if name == "aft":
            dm.set_float_info("label_lower_bound", target)
            dm.set_float_info("label_upper_bound", np.where(yes > 0, target, np.inf).astype(np.float32))
        save_with_outputs(xgb.train(p, dm, 25), out, name, X, names)
    # a random forest (num_parallel_tree 3) stopped early: rf.best (at the best
    # iteration), rf.r2 (the first two rounds, six trees)
    dtr = xgb.DMatrix(X[:1600], y[:1600], missing=np.nan, feature_names=names)
    dva = xgb.DMatrix(X[1600:], y[1600:], missing=np.nan, feature_names=names)
    rf = xgb.train({"max_depth": 4, "eta": 0.5, "num_parallel_tree": 3, "subsample": 0.8, "seed": 5, "nthread": 1},
                   dtr, 100, evals=[(dva, "valid")], early_stopping_rounds=3, verbose_eval=False)
    rf.save_model(out + "/rf.json")
    dp = xgb.DMatrix(X, missing=np.nan, feature_names=names)
    for ext, rounds in (("best", rf.best_iteration + 1), ("r2", 2)):
        write_values("%s/rf.%s" % (out, ext), rf.predict(dp, iteration_range=(0, rounds)))
    # no rounds at all (XGBoost writes best_iteration -1): zero.pred, every row base_score
    zero = xgb.train({"base_score": 7.25, "nthread": 1}, dtr, 0)
    save_with_outputs(zero, out, "zero", X, names)


if __name__ == "__main__":
    main()
