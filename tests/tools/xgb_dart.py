#!/usr/bin/python3
"""DART models trained by the real XGBoost 1.7.4, with its own predictions.

usage: xgb_dart.py OUTDIR
Writes OUTDIR/rows.csv (NaN-rich rows, empty cells for NaN), and for each of
reg (reg:squarederror) and bin (binary:logistic): NAME.json, NAME.ubj,
NAME.margin (XGBoost's output_margin predictions) and NAME.pred (its
predictions), one %.9g float32 value per line."""
import sys

import numpy as np
import xgboost as xgb


def main():
    out = sys.argv[1]
    rng = np.random.default_rng(7)
    n, nf = 3000, 6
    X = rng.normal(size=(n, nf)).astype(np.float32) * 3
    X[rng.random(size=(n, nf)) < 0.12] = np.nan
    y = np.nan_to_num(X[:, 0]) * 2 + np.sin(np.nan_to_num(X[:, 1])) * 4 + rng.normal(size=n) + 15
    names = ["f%d" % i for i in range(nf)]
    with open(out + "/rows.csv", "w") as fp:
        fp.write(",".join(names) + "\n")
        for row in X:
            fp.write(",".join("" if np.isnan(v) else repr(float(v)) for v in row) + "\n")
    for name, obj, target in (("reg", "reg:squarederror", y), ("bin", "binary:logistic", (y > np.median(y)) * 1.0)):
        p = {"booster": "dart", "objective": obj, "rate_drop": 0.3, "skip_drop": 0.0, "max_depth": 5,
             "eta": 0.3, "seed": 3, "nthread": 1, "sample_type": "weighted", "normalize_type": "forest"}
        dm = xgb.DMatrix(X, target, missing=np.nan, feature_names=names)
        bst = xgb.train(p, dm, 40)
        bst.save_model("%s/%s.json" % (out, name))
        bst.save_model("%s/%s.ubj" % (out, name))
        dp = xgb.DMatrix(X, missing=np.nan, feature_names=names)
        for ext, margin in (("margin", True), ("pred", False)):
            with open("%s/%s.%s" % (out, name, ext), "w") as fp:
                for v in bst.predict(dp, output_margin=margin):
                    fp.write("%.9g\n" % v)


if __name__ == "__main__":
    main()
