#!/usr/bin/python3
"""XGBoost 1.7.4 side of bench/train.

usage: xgb_train.py TRAIN.csv TEST.csv TARGET NTHREAD ROUNDS PARAMS_JSON
Trains with tree_method=hist and the given parameters, predicts TEST, prints one JSON
line: train_seconds (xgb.train only, DMatrix construction excluded, as for swish),
test_mae, test_rmse, trees, peak_rss_mib (of this process).
"""
import json
import resource
import sys
import time

import numpy as np
import xgboost as xgb


def load(path, target):
    with open(path) as fp:
        header = fp.readline().strip().split(",")
    data = np.genfromtxt(path, delimiter=",", skip_header=1, dtype=np.float32)
    t = header.index(target)
    X = np.delete(data, t, axis=1)
    names = [h for h in header if h != target]
    return X, data[:, t], names


def main():
    train, test, target, nthread, rounds, params = sys.argv[1:7]
    Xt, yt, names = load(train, target)
    Xv, yv, _ = load(test, target)
    p = json.loads(params)
    p.update({"tree_method": "hist", "nthread": int(nthread)})
    dt = xgb.DMatrix(Xt, yt, missing=np.nan, feature_names=names, nthread=int(nthread))
    t0 = time.perf_counter()
    bst = xgb.train(p, dt, int(rounds))
    secs = time.perf_counter() - t0
    pred = bst.predict(xgb.DMatrix(Xv, missing=np.nan, feature_names=names, nthread=int(nthread)))
    err = pred.astype(np.float64) - yv
    print(json.dumps({"train_seconds": secs, "test_mae": float(np.mean(np.abs(err))),
                      "test_rmse": float(np.sqrt(np.mean(err * err))), "trees": int(rounds),
                      "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0}))


if __name__ == "__main__":
    main()
