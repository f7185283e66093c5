"""What the test scripts that train XGBoost models write (imported by
xgb_dart.py, xgb_objectives.py, xgb_shapes.py, xgb_multitarget.py and
xgb_legacy.py): NaN-rich rows as CSV, and a model with XGBoost's own margins
and predictions beside it."""
import numpy as np
import xgboost as xgb


def write_rows(path, X, names):
    """X as CSV with a header; NaN as an empty cell, floats that read back exactly."""
    with open(path, "w") as fp:
        fp.write(",".join(names) + "\n")
        for row in X:
            fp.write(",".join("" if np.isnan(v) else repr(float(v)) for v in row) + "\n")


def nan_rich_rows(rng, n, path, names):
    """n rows of normal features (scale 2) with 12% NaN, float32, also written to path."""
    X = rng.normal(size=(n, len(names))).astype(np.float32) * 2
    X[rng.random(size=X.shape) < 0.12] = np.nan
    write_rows(path, X, names)
    return X


def write_matrix(path, a):
    """One row of a per line (its trailing axes flattened), comma-separated, %.9g."""
    a = a.reshape(a.shape[0], -1)
    with open(path, "w") as fp:
        for row in a:
            fp.write(",".join("%.9g" % v for v in row) + "\n")


def write_values(path, values):
    """One %.9g float32 value a line."""
    with open(path, "w") as fp:
        for v in values:
            fp.write("%.9g\n" % v)


def save_with_outputs(bst, out, name, X, names):
    """OUT/NAME.json, NAME.ubj, and XGBoost's NAME.margin and NAME.pred on X."""
    bst.save_model("%s/%s.json" % (out, name))
    bst.save_model("%s/%s.ubj" % (out, name))
    dp = xgb.DMatrix(X, missing=np.nan, feature_names=names)
    write_values("%s/%s.margin" % (out, name), bst.predict(dp, output_margin=True))
    write_values("%s/%s.pred" % (out, name), bst.predict(dp))
