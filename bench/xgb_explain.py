#!/usr/bin/python3
"""XGBoost 1.7.4 side of bench/explain: pred_contribs (TreeSHAP) timing and values.

usage: xgb_explain.py MODEL.json ROWS.csv NTHREADS REPEATS OUT.bin
Prints one JSON line: seconds (best of REPEATS, all trees), us_row_tree; writes the
contributions of the last run (rows x (features + 1), float32, the bias last) to OUT.bin.
"""
import json
import sys
import time

import numpy as np
import xgboost as xgb


def main():
    model, rows, nthread, reps, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    bst = xgb.Booster(model_file=model)
    bst.set_param({"nthread": nthread})
    with open(rows) as fp:
        header = fp.readline().strip().split(",")
    data = np.genfromtxt(rows, delimiter=",", skip_header=1, dtype=np.float32)
    names = bst.feature_names
    X = np.ascontiguousarray(data[:, [header.index(nm) for nm in names]])
    n_trees = len(bst.get_dump())
    best, phi = 1e30, None
    for _ in range(reps):
        dm = xgb.DMatrix(X, missing=np.nan, feature_names=names, nthread=nthread)
        t = time.perf_counter()
        phi = bst.predict(dm, pred_contribs=True)
        best = min(best, time.perf_counter() - t)
    phi.astype(np.float32).tofile(out)
    print(json.dumps({"seconds": best, "us_row_tree": best * 1e6 / (X.shape[0] * n_trees)}))


if __name__ == "__main__":
    main()
