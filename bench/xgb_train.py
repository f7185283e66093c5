#!/usr/bin/python3
"""XGBoost 1.7.4 side of bench/train.

usage: xgb_train.py TRAIN TEST TARGET NTHREAD ROUNDS PARAMS_JSON
TRAIN/TEST are CSV files with a header, or .npz files (X, y, names) made by
`xgb_train.py --npz IN.csv OUT.npz TARGET`, which keeps CSV parsing out of the timed
process's peak memory.
Trains with tree_method=hist and the given parameters, predicts TEST, prints one JSON
line: train_seconds (xgb.train only, DMatrix construction excluded, as for swish),
test_mae, test_rmse (multi:softprob: test_mlogloss, test_merror), trees, peak_rss_mib
(of this process).
"""
import json
import resource
import sys
import time

import numpy as np
import xgboost as xgb


def load(path, target):
    if path.endswith(".npz"):
        z = np.load(path)
        return z["X"], z["y"], [str(n) for n in z["names"]]
    with open(path) as fp:
        header = fp.readline().strip().split(",")
    data = np.genfromtxt(path, delimiter=",", skip_header=1, dtype=np.float32)
    t = header.index(target)
    X = np.delete(data, t, axis=1)
    names = [h for h in header if h != target]
    return X, data[:, t], names


def main():
    if sys.argv[1] == "--npz":
        X, y, names = load(sys.argv[2], sys.argv[4])
        np.savez(sys.argv[3], X=X, y=y, names=np.array(names))
        return
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
    if str(p.get("objective", "")).startswith("multi:softprob"):  # class probabilities: mlogloss, merror
        k = yv.astype(int)
        pk = pred[np.arange(len(k)), k].astype(np.float64)
        print(json.dumps({"train_seconds": secs, "test_mlogloss": float(np.mean(-np.log(np.maximum(pk, 1e-16)))),
                          "test_merror": float(np.mean(np.argmax(pred, axis=1) != k)), "trees": int(rounds),
                          "peak_rss_mib": peak_rss_mib()}))
        return
    err = pred.astype(np.float64) - yv
    print(json.dumps({"train_seconds": secs, "test_mae": float(np.mean(np.abs(err))),
                      "test_rmse": float(np.sqrt(np.mean(err * err))), "trees": int(rounds),
                      "peak_rss_mib": peak_rss_mib()}))


def peak_rss_mib():
    """VmHWM of this process image (ru_maxrss would carry the forking parent's peak across exec)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


if __name__ == "__main__":
    main()
