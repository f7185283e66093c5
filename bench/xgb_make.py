#!/usr/bin/python3
"""XGBoost 1.7.4 trains a model for bench/score, the kinds users bring.

usage: xgb_make.py TRAIN.csv TARGET ROUNDS PARAMS_JSON OUT.json
PARAMS_JSON holds XGBoost parameters; "binarize": true turns the target into
target > median (for binary:logistic).  Prints the distinct thresholds of the
model's widest feature, which says whether it needs more than a byte per bin.
"""
import json
import sys

import numpy as np
import xgboost as xgb


def main():
    train, target, rounds, params, out = sys.argv[1:6]
    with open(train) as fp:
        header = fp.readline().strip().split(",")
    data = np.genfromtxt(train, delimiter=",", skip_header=1, dtype=np.float32)
    t = header.index(target)
    X = np.delete(data, t, axis=1)
    y = data[:, t]
    names = [h for h in header if h != target]
    p = json.loads(params)
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
