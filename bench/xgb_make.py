#!/usr/bin/python3
"""XGBoost 1.7.4 trains a model for bench/score, the kinds users bring.

usage: xgb_make.py TRAIN.csv TARGET ROUNDS PARAMS_JSON OUT.json [TEST.csv OUT_ROWS.csv]
PARAMS_JSON holds XGBoost parameters; "binarize": true turns the target into
target > median (for binary:logistic); "widen": N appends N columns w0..w(N-1)
(a wide table: each a noisy copy of one of the others, 5% missing, seeded) to
the training rows and to TEST.csv's rows, written to OUT_ROWS.csv for scoring.
Prints the distinct thresholds of the model's widest feature, which says
whether it needs more than a byte per bin.
"""
import json
import sys

import numpy as np
import xgboost as xgb


def read(path, target):
    with open(path) as fp:
        header = fp.readline().strip().split(",")
    data = np.genfromtxt(path, delimiter=",", skip_header=1, dtype=np.float32)
    t = header.index(target)
    return np.delete(data, t, axis=1), data[:, t], [h for h in header if h != target]


def widen(X, n, seed):
    rng = np.random.default_rng(seed)
    src = np.arange(n) % X.shape[1]
    W = X[:, src] * rng.uniform(0.5, 2.0, size=n).astype(np.float32) + rng.normal(size=(X.shape[0], n)).astype(np.float32)
    W[rng.random(size=W.shape) < 0.05] = np.nan
    return np.hstack([X, W.astype(np.float32)])


def main():
    train, target, rounds, params, out = sys.argv[1:6]
    X, y, names = read(train, target)
    p = json.loads(params)
    nw = int(p.pop("widen", 0))
    if nw:
        X = widen(X, nw, 1)
        names = names + ["w%d" % i for i in range(nw)]
        Xt, _, _ = read(sys.argv[6], target)
        Xt = widen(Xt, nw, 2)
        with open(sys.argv[7], "w") as fp:
            fp.write(",".join(names) + "\n")
            for row in Xt:
                fp.write(",".join("" if np.isnan(v) else "%.9g" % v for v in row) + "\n")
    if p.pop("binarize", False):
        y = (y > np.median(y)).astype(np.float32)
    p.setdefault("nthread", 2)
    bst = xgb.train(p, xgb.DMatrix(X, y, missing=np.nan, feature_names=names), int(rounds))
    bst.save_model(out)
    thr = {}
    for tree in json.load(open(out))["learner"]["gradient_booster"]["model"]["trees"]:
        for f, c, l in zip(tree["split_indices"], tree["split_conditions"], tree["left_children"]):
            if l >= 0:
                thr.setdefault(f, set()).add(c)
    print(json.dumps({"widest_feature_thresholds": max(len(s) for s in thr.values())}))


if __name__ == "__main__":
    main()
