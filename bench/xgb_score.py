#!/usr/bin/python3
"""XGBoost 1.7.4 side of bench/score: load time and ns per row per tree.

usage: xgb_score.py MODEL.json ROWS.csv NTHREADS REPEATS
Prints one JSON line: load_ms, ns_row_tree (best of REPEATS, each on a fresh DMatrix so
XGBoost's prediction cache cannot answer), latency_450_ms (DMatrix + predict of 450 rows),
latency_1_ms (one row), checksum (sum of predictions).
"""
import json
import sys
import time

import numpy as np
import xgboost as xgb


def main():
    model, rows, nthread, reps = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    with open(model) as fp:
        doc = json.load(fp)
    lmp = doc["learner"]["learner_model_param"]
    lmp["base_score"] = lmp["base_score"].strip("[]")  # 1.7.4 reads "[x]" as 0.5
    patched = rows + ".model.json"
    with open(patched, "w") as fp:
        json.dump(doc, fp)
    t = time.perf_counter()
    bst = xgb.Booster(model_file=patched)
    load_ms = (time.perf_counter() - t) * 1e3
    bst.set_param({"nthread": nthread})
    n_trees = len(doc["learner"]["gradient_booster"]["model"]["trees"])
    with open(rows) as fp:
        header = fp.readline().strip().split(",")
    data = np.genfromtxt(rows, delimiter=",", skip_header=1, dtype=np.float32)
    names = bst.feature_names
    X = np.ascontiguousarray(data[:, [header.index(nm) for nm in names]])
    best = 1e30
    pred = None
    for _ in range(reps):
        dm = xgb.DMatrix(X, missing=np.nan, feature_names=names, nthread=nthread)
        t = time.perf_counter()
        pred = bst.predict(dm, iteration_range=(0, n_trees))
        best = min(best, time.perf_counter() - t)
    lat450 = 1e30
    lat1 = 1e30
    for _ in range(max(reps, 5)):
        t = time.perf_counter()
        bst.predict(xgb.DMatrix(X[:450], missing=np.nan, feature_names=names, nthread=nthread),
                    iteration_range=(0, n_trees))
        lat450 = min(lat450, time.perf_counter() - t)
        t = time.perf_counter()
        bst.predict(xgb.DMatrix(X[:1], missing=np.nan, feature_names=names, nthread=nthread),
                    iteration_range=(0, n_trees))
        lat1 = min(lat1, time.perf_counter() - t)
    print(json.dumps({"load_ms": load_ms, "ns_row_tree": best * 1e9 / (X.shape[0] * n_trees),
                      "latency_450_ms": lat450 * 1e3, "latency_1_ms": lat1 * 1e3,
                      "checksum": float(np.sum(pred.astype(np.float64)))}))


if __name__ == "__main__":
    main()
