#!/usr/bin/python3
"""Categorical and multi-class models trained by the real XGBoost 1.7.4, with its
own predictions.

usage: xgb_catmulti.py OUTDIR
       xgb_catmulti.py --predict MODEL OUTDIR/rows.csv OUT   (XGBoost's margins of
       a model swish wrote, for the rows, as in NAME.margin)
Writes OUTDIR/rows.csv (8 features, f1, f3 and f6 categorical; NaN-rich, with
fractional, negative, huge and unseen categories; empty cells for NaN) and for
each model NAME in cat (reg:squarederror, depth 6, partition and one-hot
splits), cat8 (depth 8), multi (multi:softprob, 4 classes, categorical
features too) and soft (multi:softmax, 3 classes): NAME.json, NAME.ubj,
NAME.margin and NAME.pred (XGBoost's predictions with and without
output_margin, one row per line, comma-separated, %.9g) and NAME.shap
(pred_contribs: per row, per class, the features then the bias).  Also
OUTDIR/train.csv (the training rows with their target y), OUTDIR/test.csv
(2,000 held-out rows of the same law, with y), cat.test, the cat model's
predictions of test.csv, multi.cls (the training rows' classes: y's quartile)
and multi.test (per test row: its class, then the multi model's four
probabilities), catonly8.pred and catonly64.pred (the predictions on the
training rows of a model of f1, f3 and f6 alone: depth 4, 30 rounds,
base_score 15, max_cat_threshold 8 or 64)."""
import sys

import numpy as np
import xgboost as xgb


def predict(model, rows, out):
    names = ["f%d" % i for i in range(8)]
    types = ["q", "c", "q", "c", "q", "q", "c", "q"]
    T = np.genfromtxt(rows, delimiter=",", skip_header=1, dtype=np.float32, missing_values="", filling_values=np.nan)
    bst = xgb.Booster(model_file=model)
    d = xgb.DMatrix(T, missing=np.nan, feature_names=names, feature_types=types, enable_categorical=True)
    a = bst.predict(d, output_margin=True)
    a = a.reshape(a.shape[0], -1)
    with open(out, "w") as fp:
        for row in a:
            fp.write(",".join("%.9g" % v for v in row) + "\n")


def main():
    if sys.argv[1] == "--predict":
        predict(*sys.argv[2:5])
        return
    out = sys.argv[1]
    rng = np.random.default_rng(11)
    n, nf = 4000, 8
    types = ["q", "c", "q", "c", "q", "q", "c", "q"]
    def draw(n):
        X = rng.normal(size=(n, nf)).astype(np.float32) * 3
        X[:, 1] = rng.integers(0, 40, size=n)
        X[:, 3] = rng.integers(0, 3, size=n)
        X[:, 6] = rng.integers(0, 250, size=n)
        X[rng.random(size=(n, nf)) < 0.08] = np.nan
        c1, c3, c6 = (np.nan_to_num(X[:, k], nan=0).astype(int) for k in (1, 3, 6))
        y = (np.nan_to_num(X[:, 0]) * 2 + np.sin(c1 * 1.7) * 4 + c3 * 2 + ((c6 * 7919) % 13) * 0.6
             + rng.normal(size=n) + 15)
        return X, y

    X, y = draw(n)
    Xh, yh = draw(2000)
    cls = np.digitize(y, np.quantile(y, [0.25, 0.5, 0.75]))
    names = ["f%d" % i for i in range(nf)]
    # rows to score: the training rows, then rows with values no category is:
    # fractions, negatives, huge, unseen and NaN in the categorical columns
    T = X.copy()
    m = 600
    for k, hi in ((1, 40), (3, 3), (6, 250)):
        v = rng.choice([-1.0, -0.5, -0.0, 0.5, 2.7, hi - 0.5, hi, hi + 3, 1e9, 3e7, 16777215.0, np.nan], size=m)
        T[:m, k] = v.astype(np.float32)
    for fname, A, t in (("train.csv", X, y), ("test.csv", Xh, yh)):
        with open(out + "/" + fname, "w") as fp:
            fp.write(",".join(names) + ",y\n")
            for row, v in zip(A, t):
                fp.write(",".join("" if np.isnan(x) else repr(float(x)) for x in row) + ",%r\n" % float(v))
    with open(out + "/rows.csv", "w") as fp:
        fp.write(",".join(names) + "\n")
        for row in T:
            fp.write(",".join("" if np.isnan(v) else repr(float(v)) for v in row) + "\n")
    dtrain = lambda target: xgb.DMatrix(X, target, missing=np.nan, feature_names=names, feature_types=types,
                                        enable_categorical=True)
    dtest = xgb.DMatrix(T, missing=np.nan, feature_names=names, feature_types=types, enable_categorical=True)
    base = {"tree_method": "hist", "max_cat_to_onehot": 4, "seed": 3, "nthread": 1, "eta": 0.3}
    models = (("cat", dict(base, objective="reg:squarederror", max_depth=6), y, 60),
              ("cat8", dict(base, objective="reg:squarederror", max_depth=8), y, 20),
              ("multi", dict(base, objective="multi:softprob", num_class=4, max_depth=5), cls, 25),
              ("soft", dict(base, objective="multi:softmax", num_class=4, max_depth=4), cls, 15))
    # the categorical features alone: swish's training must grow XGBoost's trees
    for mct in (8, 64):
        dc = xgb.DMatrix(X[:, [1, 3, 6]], y, missing=np.nan, feature_names=["f1", "f3", "f6"],
                         feature_types=["c", "c", "c"], enable_categorical=True)
        bc = xgb.train(dict(base, objective="reg:squarederror", max_depth=4, max_cat_threshold=mct, base_score=15.0),
                       dc, 30)
        with open("%s/catonly%d.pred" % (out, mct), "w") as fp:
            fp.write("".join("%.9g\n" % v for v in bc.predict(dc)))
    for name, p, target, rounds in models:
        bst = xgb.train(p, dtrain(target), rounds)
        bst.save_model("%s/%s.json" % (out, name))
        bst.save_model("%s/%s.ubj" % (out, name))
        if name == "multi":
            with open("%s/multi.cls" % out, "w") as fp:
                fp.write("".join("%d\n" % v for v in cls))
            dh = xgb.DMatrix(Xh, missing=np.nan, feature_names=names, feature_types=types, enable_categorical=True)
            ch = np.digitize(yh, np.quantile(y, [0.25, 0.5, 0.75]))
            with open("%s/multi.test" % out, "w") as fp:
                for c, row in zip(ch, bst.predict(dh)):
                    fp.write("%d," % c + ",".join("%.9g" % v for v in row) + "\n")
        if name == "cat":
            with open("%s/cat.test" % out, "w") as fp:
                dh = xgb.DMatrix(Xh, missing=np.nan, feature_names=names, feature_types=types, enable_categorical=True)
                for v in bst.predict(dh):
                    fp.write("%.9g\n" % v)
        for ext, kw in (("margin", {"output_margin": True}), ("pred", {}), ("shap", {"pred_contribs": True})):
            a = bst.predict(dtest, **kw)
            a = a.reshape(a.shape[0], -1)
            with open("%s/%s.%s" % (out, name, ext), "w") as fp:
                for row in a:
                    fp.write(",".join("%.9g" % v for v in row) + "\n")


if __name__ == "__main__":
    main()
