#!/usr/bin/python3
"""Make UBJSON test models from the XGBoost JSON models in MODELS_DIR.

For each <name>.json two files are written to OUT_DIR:
  <name>.xgb174.ubj  saved by the real XGBoost 1.7.4 (Debian python3-xgboost) after
                     un-bracketing base_score, which 1.7.4 would otherwise read as 0.5;
  <name>.conv.ubj    converted by this script, independently of swish, the way
                     XGBoost 2.x/3.x writes UBJSON: typed arrays for numeric arrays
                     (float32 'd', int32 'l', uint8 'U'), strings 'S', ints sized to fit.
"""
import json
import os
import struct
import sys

FLOAT_ARRAYS = {"base_weights", "loss_changes", "split_conditions", "sum_hessian", "weight_drop"}
INT_ARRAYS = {"left_children", "right_children", "parents", "split_indices", "categories",
              "categories_nodes", "categories_segments", "categories_sizes", "iteration_indptr",
              "tree_info"}
U8_ARRAYS = {"default_left", "split_type"}


def ub_int(v):
    if 0 <= v <= 255:
        return b"U" + struct.pack(">B", v)
    if -128 <= v <= 127:
        return b"i" + struct.pack(">b", v)
    if -32768 <= v <= 32767:
        return b"I" + struct.pack(">h", v)
    if -2**31 <= v < 2**31:
        return b"l" + struct.pack(">i", v)
    return b"L" + struct.pack(">q", v)


def ub_str_body(s):
    b = s.encode()
    return ub_int(len(b)) + b


def enc(v, key=None):
    if isinstance(v, dict):
        out = b"{"
        for k, x in v.items():
            out += ub_str_body(k) + enc(x, k)
        return out + b"}"
    if isinstance(v, list):
        if key in FLOAT_ARRAYS:
            return b"[$d#" + ub_int(len(v)) + b"".join(struct.pack(">f", float(x)) for x in v)
        if key in INT_ARRAYS:
            return b"[$l#" + ub_int(len(v)) + b"".join(struct.pack(">i", int(x)) for x in v)
        if key in U8_ARRAYS:
            return b"[$U#" + ub_int(len(v)) + bytes(int(x) for x in v)
        return b"[" + b"".join(enc(x) for x in v) + b"]"
    if isinstance(v, bool):
        return b"T" if v else b"F"
    if isinstance(v, int):
        return ub_int(v)
    if isinstance(v, float):
        return b"D" + struct.pack(">d", v)
    if isinstance(v, str):
        return b"S" + ub_str_body(v)
    if v is None:
        return b"Z"
    raise TypeError(type(v))


def main():
    models, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    import xgboost
    for fn in sorted(os.listdir(models)):
        if not fn.endswith(".json") or fn.endswith("_metadata.json"):
            continue
        name = fn[:-5]
        with open(os.path.join(models, fn)) as fp:
            doc = json.load(fp)
        with open(os.path.join(out, name + ".conv.ubj"), "wb") as fp:
            fp.write(enc(doc))
        lmp = doc["learner"]["learner_model_param"]
        lmp["base_score"] = lmp["base_score"].strip("[]")
        tmp = os.path.join(out, name + ".patched.json")
        with open(tmp, "w") as fp:
            json.dump(doc, fp)
        bst = xgboost.Booster(model_file=tmp)
        bst.save_model(os.path.join(out, name + ".xgb174.ubj"))
        os.remove(tmp)


if __name__ == "__main__":
    main()
