#!/usr/bin/python3
"""TreeSHAP with the real XGBoost 1.7.4: xgb_contribs.py MODEL DATA.csv OUT.csv.
DATA.csv has a header naming the model's features (empty cells are NaN); OUT.csv
gets one column per feature plus "bias": XGBoost's pred_contribs."""
import sys

import numpy as np
import xgboost as xgb


def main():
    model, data, out = sys.argv[1:4]
    bst = xgb.Booster(model_file=model)
    with open(data) as fp:
        header = fp.readline().strip().split(",")
    arr = np.genfromtxt(data, delimiter=",", skip_header=1, dtype=np.float64, ndmin=2)
    cols = [header.index(n) for n in bst.feature_names]
    X = arr[:, cols].astype(np.float32)
    c = bst.predict(xgb.DMatrix(X, missing=np.nan, feature_names=bst.feature_names), pred_contribs=True)
    with open(out, "w") as fp:
        fp.write(",".join(list(bst.feature_names) + ["bias"]) + "\n")
        for row in c:
            fp.write(",".join("%.9g" % v for v in row) + "\n")


if __name__ == "__main__":
    main()
