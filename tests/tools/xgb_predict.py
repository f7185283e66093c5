#!/usr/bin/python3
"""Predict with the real XGBoost 1.7.4: xgb_predict.py MODEL DATA.csv OUT (one value per line).
DATA.csv has a header; the model's feature columns are taken by name; empty cells are NaN."""
import sys

import numpy as np
import xgboost as xgb


def main():
    model, data, out = sys.argv[1:4]
    bst = xgb.Booster(model_file=model)
    with open(data) as fp:
        header = fp.readline().strip().split(",")
    arr = np.genfromtxt(data, delimiter=",", skip_header=1, dtype=np.float64)
    cols = [header.index(n) for n in bst.feature_names]
    X = arr[:, cols].astype(np.float32)
    pred = bst.predict(xgb.DMatrix(X, missing=np.nan, feature_names=bst.feature_names))
    with open(out, "w") as fp:
        for v in pred:
            fp.write("%.9g\n" % v)


if __name__ == "__main__":
    main()
