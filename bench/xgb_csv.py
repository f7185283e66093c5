#!/usr/bin/python3
"""XGBoost 1.7.4 side of bench/csv: its own CSV reader (a DMatrix from a URI).

usage: xgb_csv.py ROWS.csv LABEL_COLUMN NTHREADS REPEATS [EXACT.f32]
ROWS.csv has no header (XGBoost's reader takes none). Prints one JSON line:
seconds (best of REPEATS), rows, cols; with EXACT.f32 (the exactly rounded float32
cells, row-major, NaN where missing) also cells (present) and differ (cells whose
value from XGBoost's reader is another float).
"""
import json
import sys
import time

import numpy as np
import xgboost as xgb


def main():
    rows, label, nthread, reps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    best, dm = 1e30, None
    for _ in range(reps):
        dm = None
        t = time.perf_counter()
        dm = xgb.DMatrix(f"{rows}?format=csv&label_column={label}", nthread=nthread)
        best = min(best, time.perf_counter() - t)
    out = {"seconds": best, "rows": dm.num_row(), "cols": dm.num_col()}
    if len(sys.argv) > 5:
        exact = np.fromfile(sys.argv[5], dtype=np.float32).reshape(dm.num_row(), dm.num_col())
        got = dm.get_data()  # CSR: missing cells absent
        present = ~np.isnan(exact)
        dense = np.full(exact.shape, np.nan, dtype=np.float32)
        coo = got.tocoo()
        dense[coo.row, coo.col] = coo.data
        out["cells"] = int(present.sum())
        out["differ"] = int((dense[present] != exact[present]).sum())  # NaN where a value is: differs too
        out["extra"] = int((~np.isnan(dense[~present])).sum())
    print(json.dumps(out))


if __name__ == "__main__":
    main()
