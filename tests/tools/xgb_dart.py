#!/usr/bin/python3
"""DART models trained by the real XGBoost 1.7.4, with its own predictions.

usage: xgb_dart.py OUTDIR
Writes OUTDIR/rows.csv (NaN-rich rows, empty cells for NaN), and for each of
reg (reg:squarederror) and bin (binary:logistic): NAME.json, NAME.ubj,
NAME.margin (XGBoost's output_margin predictions) and NAME.pred (its
predictions), one %.9g float32 value per line; and regt, reg again with its
UBJSON converted by make_ubj.py (weight_drop a typed float32 array)."""
import json
import shutil
import sys

import numpy as np
import xgboost as xgb
from make_ubj import enc
from xgb_out import save_with_outputs, write_rows


def main():
    out = sys.argv[1]
    rng = np.random.default_rng(7)
    n, nf = 3000, 6
    X = rng.normal(size=(n, nf)).astype(np.float32) * 3
    X[rng.random(size=(n, nf)) < 0.12] = np.nan
    y = np.nan_to_num(X[:, 0]) * 2 + np.sin(np.nan_to_num(X[:, 1])) * 4 + rng.normal(size=n) + 15
    names = ["f%d" % i for i in range(nf)]
    write_rows(out + "/rows.csv", X, names)
    for name, obj, target in (("reg", "reg:squarederror", y), ("bin", "binary:logistic", (y > np.median(y)) * 1.0)):
        p = {"booster": "dart", "objective": obj, "rate_drop": 0.3, "skip_drop": 0.0, "max_depth": 5,
             "eta": 0.3, "seed": 3, "nthread": 1, "sample_type": "weighted", "normalize_type": "forest"}
        dm = xgb.DMatrix(X, target, missing=np.nan, feature_names=names)
        save_with_outputs(xgb.train(p, dm, 40), out, name, X, names)
    for ext in ("json", "margin", "pred"):
        shutil.copy("%s/reg.%s" % (out, ext), "%s/regt.%s" % (out, ext))
    with open(out + "/reg.json") as fp:
        doc = json.load(fp)
    with open(out + "/regt.ubj", "wb") as fp:
        fp.write(enc(doc))


if __name__ == "__main__":
    main()
