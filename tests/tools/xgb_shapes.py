#!/usr/bin/python3
"""Tree shapes users bring, trained by the real XGBoost 1.7.4, with its own
predictions.

usage: xgb_shapes.py OUTDIR
Writes OUTDIR/rows.csv (NaN-rich rows, empty cells for NaN) and for each shape
NAME.json, NAME.ubj, NAME.margin (XGBoost's output_margin predictions) and
NAME.pred (its predictions), one %.9g float32 value per line:
  lossguide255  lossguide, 255 leaves, no depth limit (swish: programs)
  lossguide300  the same past 256 leaves (node masks, 16-bit leaf positions)
  depth10       depthwise, depth 10 (bushy: complete records scored by node)
  lossguide9_10 lossguide, 90 leaves, depth 9-10 (AVX-512: complete records, mostly
                padding; AVX2: programs)
  sparse8       depth 8 with few leaves (too sparse for a complete record)"""
import sys

import numpy as np
import xgboost as xgb
from xgb_out import save_with_outputs, write_rows


def main():
    out = sys.argv[1]
    rng = np.random.default_rng(13)
    n, nf = 6000, 6
    X = rng.normal(size=(n, nf)).astype(np.float32) * 2
    X[rng.random(size=(n, nf)) < 0.1] = np.nan
    Z = np.nan_to_num(X)
    y = Z[:, 0] * 3 + np.sin(Z[:, 1] * 2) * 4 + Z[:, 2] * Z[:, 3] + rng.normal(size=n) + 20
    names = ["f%d" % i for i in range(nf)]
    write_rows(out + "/rows.csv", X, names)
    shapes = (
        ("lossguide255", {"grow_policy": "lossguide", "max_leaves": 255, "max_depth": 0}),
        ("lossguide300", {"grow_policy": "lossguide", "max_leaves": 300, "max_depth": 0}),
        ("depth10", {"max_depth": 10}),
        ("lossguide9_10", {"grow_policy": "lossguide", "max_leaves": 90, "max_depth": 10}),
        ("sparse8", {"max_depth": 8, "min_child_weight": 150}),
    )
    dm = xgb.DMatrix(X, y, missing=np.nan, feature_names=names)
    for name, extra in shapes:
        p = {"tree_method": "hist", "eta": 0.3, "seed": 5, "nthread": 1}
        p.update(extra)
        save_with_outputs(xgb.train(p, dm, 20), out, name, X, names)


if __name__ == "__main__":
    main()
