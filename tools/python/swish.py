"""swish: load, score, explain and train tree ensembles through libswish.

A ctypes module over the shared library that `make install` puts beside it:
nothing to build.  Arrays are numpy arrays, rows by features in the model's
feature order, NaN for a missing value.

    import swish
    m = swish.load("model.json")            # XGBoost JSON/UBJSON/legacy, CatBoost .cbm, swish .swm
    p = m.predict(X)                        # as XGBoost's / CatBoost's own predict
    contribs = m.explain(X)                 # TreeSHAP, XGBoost's pred_contribs layout
    m2 = swish.train({"eta": 0.1, "max_depth": 6}, X, y, num_boost_round=300)
    m2.save("model.ubj")

Predictions are those of swish's scorer, bit for bit equal to XGBoost 1.7's and
CatBoost's own evaluators: float32 for XGBoost-kind models (as XGBoost returns
them), float64 for CatBoost-kind (oblivious) models.  Errors raise swish.Error
with the library's message (file, line or byte offset where there is one).
"""

import ctypes
import ctypes.util
import os

import numpy as np

__all__ = ["Error", "Model", "load", "train", "version"]

_INSTALLED_LIB = None  # make install writes the installed libswish.so's path here

# sw_isa, sw_tree_kind, SW_TREES_* (core/simd.h, gbdt/forest.h)
_ISA = {"auto": 0, "scalar": 1, "avx2": 2, "avx512": 3}
_TREES_ALL, _TREES_BEST = -1, -2


class Error(Exception):
    """A libswish failure: `status` is its name ("PARSE", "UNSUPPORTED", ...)."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


class _Err(ctypes.Structure):
    _fields_ = [("code", ctypes.c_int), ("line", ctypes.c_long), ("col", ctypes.c_long),
                ("offset", ctypes.c_longlong), ("file", ctypes.c_char * 256),
                ("msg", ctypes.c_char * 768)]


class _Matrix(ctypes.Structure):
    _fields_ = [("rows", ctypes.c_long), ("cols", ctypes.c_int),
                ("data", ctypes.POINTER(ctypes.c_float)), ("names", ctypes.POINTER(ctypes.c_char_p))]


class _TrainData(ctypes.Structure):
    _fields_ = [("X", ctypes.POINTER(_Matrix)), ("y", ctypes.POINTER(ctypes.c_float)),
                ("w", ctypes.POINTER(ctypes.c_float)), ("name", ctypes.c_char_p)]


def _open_library():
    path = os.environ.get("SWISH_LIB") or _INSTALLED_LIB or ctypes.util.find_library("swish")
    if not path:
        raise OSError("libswish not found: run make install, or set SWISH_LIB to libswish.so's path")
    lib = ctypes.CDLL(path)
    P, I, L, D, F = ctypes.c_void_p, ctypes.c_int, ctypes.c_long, ctypes.c_double, ctypes.c_float
    E = ctypes.POINTER(_Err)
    FP, DP = ctypes.POINTER(F), ctypes.POINTER(D)
    sig = {
        "sw_version": (ctypes.c_char_p, []),
        "sw_status_name": (ctypes.c_char_p, [I]),
        "sw_error_format": (None, [E, ctypes.c_char_p, ctypes.c_size_t]),
        "sw_free": (None, [P]),
        "sw_model_load": (I, [ctypes.c_char_p, ctypes.POINTER(P), E]),
        "sw_model_save": (I, [P, ctypes.c_char_p, E]),
        "sw_forest_free": (None, [P]),
        "sw_forest_kind": (I, [P]),
        "sw_forest_n_features": (I, [P]),
        "sw_forest_n_trees": (I, [P]),
        "sw_forest_n_groups": (I, [P]),
        "sw_forest_n_outputs": (I, [P, I]),
        "sw_forest_trees_per_iteration": (I, [P]),
        "sw_forest_best_iteration": (I, [P]),
        "sw_forest_feature_name": (ctypes.c_char_p, [P, I]),
        "sw_forest_output_is_f32": (I, [P]),
        "sw_forest_source_format": (ctypes.c_char_p, [P]),
        "sw_forest_tree_limit": (I, [P, I]),
        "sw_scorer_create": (I, [P, I, I, ctypes.POINTER(P), E]),
        "sw_scorer_free": (None, [P]),
        "sw_scorer_predict": (None, [P, FP, L, L, I, I, DP]),
        "sw_explainer_create_group": (I, [P, I, I, ctypes.POINTER(P), E]),
        "sw_explainer_free": (None, [P]),
        "sw_explainer_expected": (D, [P]),
        "sw_explain_rows": (I, [P, FP, L, L, I, DP, L]),
        "sw_threads_resolve": (I, [L]),
        "sw_train_params_new": (P, []),
        "sw_train_param_group": (I, [ctypes.c_char_p]),
        "sw_train_params_set": (I, [P, ctypes.c_char_p, ctypes.c_char_p,
                                    ctypes.POINTER(ctypes.c_char_p), I, E]),
        "sw_train": (I, [P, ctypes.POINTER(_TrainData), ctypes.POINTER(_TrainData), I,
                         ctypes.POINTER(P), P, E]),
        "sw_matrix_create": (ctypes.POINTER(_Matrix), [L, I]),
        "sw_matrix_set_name": (I, [ctypes.POINTER(_Matrix), I, ctypes.c_char_p]),
        "sw_matrix_free": (None, [ctypes.POINTER(_Matrix)]),
    }
    for name, (res, args) in sig.items():
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = res, args
    return lib


_lib = _open_library()


def version():
    """libswish's version ("0.6.0+<commit>")."""
    return _lib.sw_version().decode()


def _check(rc, err):
    if rc != 0:
        buf = ctypes.create_string_buffer(1200)
        _lib.sw_error_format(ctypes.byref(err), buf, len(buf))
        raise Error(_lib.sw_status_name(rc).decode(), buf.value.decode(errors="replace"))


def _rows(X, n_features, finite=False):
    """X as a C-contiguous float32 (rows, n_features) array (a copy only when needed);
    finite: an infinite cell is refused (ValueError)."""
    X = np.asarray(X)
    if X.ndim == 1:
        X = X.reshape(1, -1)
    if X.ndim != 2:
        raise ValueError("X must be 2-D (rows, features), got %d dimensions" % X.ndim)
    if X.shape[1] != n_features:
        raise ValueError("X has %d columns; the model has %d features" % (X.shape[1], n_features))
    X = np.ascontiguousarray(X, dtype=np.float32)
    if finite:
        inf = np.isinf(X)
        if inf.any():
            r, c = np.argwhere(inf)[0]
            raise ValueError("X[%d, %d] is infinite; a feature may be missing (NaN), not infinite" % (r, c))
    return X


def _fptr(a):
    return a.ctypes.data_as(ctypes.POINTER(ctypes.c_float))


def _dptr(a):
    return a.ctypes.data_as(ctypes.POINTER(ctypes.c_double))


class Model:
    """A loaded or trained tree ensemble (owns the library's forest)."""

    def __init__(self, handle):
        self._f = ctypes.c_void_p(handle)

    def __del__(self):
        if getattr(self, "_f", None) and self._f.value:
            _lib.sw_forest_free(self._f)
            self._f = None

    # ---- what the model is
    @property
    def n_features(self):
        return _lib.sw_forest_n_features(self._f)

    @property
    def n_trees(self):
        return _lib.sw_forest_n_trees(self._f)

    @property
    def n_classes(self):
        """Output groups: 1, or the classes of a multi-class model, or the targets
        of a multi-target one."""
        return _lib.sw_forest_n_groups(self._f)

    @property
    def best_iteration(self):
        """The recorded best iteration, or None."""
        b = _lib.sw_forest_best_iteration(self._f)
        return None if b < 0 else b

    @property
    def oblivious(self):
        return _lib.sw_forest_kind(self._f) == 2  # SW_TREES_OBLIVIOUS

    @property
    def source_format(self):
        s = _lib.sw_forest_source_format(self._f)
        return s.decode() if s else None

    @property
    def feature_names(self):
        names = [_lib.sw_forest_feature_name(self._f, i) for i in range(self.n_features)]
        return [n.decode() if n is not None else None for n in names]

    def _rows(self, X):
        # XGBoost refuses infinite inputs (as `swish predict` does); CatBoost compares them as values
        return _rows(X, self.n_features, finite=self.source_format != "catboost-cbm")

    def _tree_limit(self, trees):
        if trees == "best" or trees is None:
            choice = _TREES_BEST
        elif trees == "all":
            choice = _TREES_ALL
        elif isinstance(trees, (int, np.integer)) and not isinstance(trees, bool) and trees > 0:
            choice = int(trees)
            if choice > self.n_trees:
                raise ValueError("trees=%d: the model has %d trees" % (choice, self.n_trees))
            tpi = _lib.sw_forest_trees_per_iteration(self._f)
            if self.n_classes > 1 and choice % tpi:
                raise ValueError("trees=%d: a %d-class model takes whole rounds of %d trees"
                                 % (choice, self.n_classes, tpi))
            if choice % tpi:
                raise ValueError("trees=%d: this model takes whole rounds of %d trees (num_parallel_tree)"
                                 % (choice, tpi))
        else:
            raise ValueError("trees must be 'all', 'best' or a positive count, got %r" % (trees,))
        return _lib.sw_forest_tree_limit(self._f, choice)

    def predict(self, X, margin=False, trees="best", threads=0, isa="auto"):
        """Predictions for the rows of X: shape (rows,), or (rows, classes) for
        multi:softprob (and for any multi-class model with margin=True), or
        (rows, targets) for a multi-target model.

        margin: the raw score before the objective's link.  trees: "best" (the
        default: trees up to the recorded best iteration, all when none is
        recorded, as XGBoost's scikit-learn wrapper and `swish predict`), "all",
        or the first N.  threads: 0 = OMP_NUM_THREADS or every CPU; results do
        not depend on it.  isa: "auto", "scalar", "avx2", "avx512".  NaN is
        missing; an infinite value is a ValueError, as XGBoost refuses it, unless
        the model is CatBoost's (which compares it as a value)."""
        X = self._rows(X)
        n_trees = self._tree_limit(trees)
        sc = ctypes.c_void_p()
        err = _Err()
        _check(_lib.sw_scorer_create(self._f, n_trees, _ISA[isa], ctypes.byref(sc), ctypes.byref(err)), err)
        try:
            no = _lib.sw_forest_n_outputs(self._f, int(bool(margin)))
            out = np.empty((X.shape[0], no), dtype=np.float64)
            if X.shape[0]:
                _lib.sw_scorer_predict(sc, _fptr(X), X.shape[0], X.shape[1], int(bool(margin)),
                                       int(threads), _dptr(out))
        finally:
            _lib.sw_scorer_free(sc)
        if _lib.sw_forest_output_is_f32(self._f):
            out = out.astype(np.float32)
        return out[:, 0] if no == 1 else out

    def explain(self, X, trees="best", threads=0):
        """Exact TreeSHAP of each row's margin, in XGBoost's pred_contribs layout:
        (rows, features + 1), the last column the expected value (the bias);
        (rows, classes, features + 1) for a multi-class (or multi-target) model.  Each row sums to
        its margin.  float64 (the library's sums; XGBoost's are float32).
        threads: as in predict; the values do not depend on it."""
        X = self._rows(X)
        n_trees = self._tree_limit(trees)
        G, nf = self.n_classes, self.n_features
        out = np.empty((X.shape[0], G, nf + 1), dtype=np.float64)
        nt = _lib.sw_threads_resolve(int(threads))
        for g in range(G):
            ex = ctypes.c_void_p()
            err = _Err()
            _check(_lib.sw_explainer_create_group(self._f, n_trees, g, ctypes.byref(ex), ctypes.byref(err)), err)
            try:
                out[:, g, nf] = _lib.sw_explainer_expected(ex)
                base = out[:, g, :].ctypes.data_as(ctypes.POINTER(ctypes.c_double))  # row i at i * G * (nf + 1)
                if X.shape[0] and _lib.sw_explain_rows(ex, _fptr(X), X.shape[0], nf, nt, base, G * (nf + 1)) != 0:
                    raise MemoryError("TreeSHAP: out of memory")
            finally:
                _lib.sw_explainer_free(ex)
        return out[:, 0, :] if G == 1 else out

    def save(self, path):
        """Write the model: .json/.ubj (XGBoost), .cbm (CatBoost, oblivious
        trees), .swm (swish); atomically (a failed save leaves no file)."""
        err = _Err()
        _check(_lib.sw_model_save(self._f, os.fsencode(path), ctypes.byref(err)), err)


def load(path):
    """Read an XGBoost JSON/UBJSON or 1.6-1.7 legacy binary, CatBoost .cbm or swish
    .swm model (the format from the file's first bytes)."""
    f = ctypes.c_void_p()
    err = _Err()
    _check(_lib.sw_model_load(os.fsencode(path), ctypes.byref(f), ctypes.byref(err)), err)
    return Model(f.value)


class _Data:
    """A training table in the library's matrix (owned, freed with this object)."""

    def __init__(self, X, y, weight, name, feature_names):
        X = np.asarray(X)
        if X.ndim != 2:
            raise ValueError("%s: X must be 2-D (rows, features)" % name)
        y = np.ascontiguousarray(y, dtype=np.float32).reshape(-1)
        if y.shape[0] != X.shape[0]:
            raise ValueError("%s: %d rows but %d targets" % (name, X.shape[0], y.shape[0]))
        self.m = _lib.sw_matrix_create(X.shape[0], X.shape[1])
        if not self.m:
            raise MemoryError("out of memory")
        ctypes.memmove(self.m.contents.data, _fptr(np.ascontiguousarray(X, dtype=np.float32)), X.size * 4)
        for j, nm in enumerate(feature_names or []):
            if _lib.sw_matrix_set_name(self.m, j, nm.encode()) != 0:
                raise MemoryError("out of memory")
        self.y = y
        self.w = None if weight is None else np.ascontiguousarray(weight, dtype=np.float32).reshape(-1)
        if self.w is not None and self.w.shape[0] != X.shape[0]:
            raise ValueError("%s: %d rows but %d weights" % (name, X.shape[0], self.w.shape[0]))
        self.name = name.encode()
        self.td = _TrainData(self.m, _fptr(self.y), None if self.w is None else _fptr(self.w), self.name)

    def __del__(self):
        if getattr(self, "m", None):
            _lib.sw_matrix_free(self.m)
            self.m = None


def _param_text(v):
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, (list, tuple)):
        return ",".join(str(x) for x in v)
    if isinstance(v, float):
        return repr(v)
    return str(v)


def train(params, X, y, num_boost_round=None, evals=(), weight=None, feature_names=None,
          early_stopping_rounds=None):
    """Train gradient-boosted trees as `swish train` does: XGBoost's parameter
    names and aliases in `params` (eta, max_depth, lambda, grow_policy,
    monotone_constraints, categorical_features, seed, nthread, ...;
    objective multi:softprob with num_class K for classes 0..K-1).
    num_boost_round and early_stopping_rounds as in xgboost.train (or as
    params; one setting given under two names is an error).  evals: a list of
    (X, y, name) or (X, y, weight, name); early stopping watches the last.
    Without nthread, training uses OMP_NUM_THREADS or every CPU; the model does
    not depend on it.  Returns a Model."""
    params = dict(params or {})
    if num_boost_round is not None:
        params["num_boost_round"] = num_boost_round
    if early_stopping_rounds is not None:
        params["early_stopping_rounds"] = early_stopping_rounds
    seen = {}
    for k in params:
        g = _lib.sw_train_param_group(str(k).encode())
        if g >= 0:
            if g in seen:
                raise ValueError("parameters %s and %s are the same setting: give it once" % (seen[g], k))
            seen[g] = k
    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError("X must be 2-D (rows, features)")
    nf = X.shape[1]
    if feature_names is not None and len(feature_names) != nf:
        raise ValueError("%d feature names for %d features" % (len(feature_names), nf))
    names = (ctypes.c_char_p * max(nf, 1))(*[n.encode() for n in feature_names]) if feature_names else None
    p = ctypes.c_void_p(_lib.sw_train_params_new())
    if not p.value:
        raise MemoryError("out of memory")
    try:
        err = _Err()
        nthread_group = _lib.sw_train_param_group(b"nthread")
        for k, v in list(params.items()):  # 0 or none: OMP_NUM_THREADS or every CPU (as swish train)
            if _lib.sw_train_param_group(str(k).encode()) == nthread_group:
                del params[k]
                threads = int(v)
                break
        else:
            threads = 0
        if threads < 0:
            raise ValueError("nthread must be >= 0")
        params["nthread"] = _lib.sw_threads_resolve(threads)
        for k, v in params.items():
            _check(_lib.sw_train_params_set(p, str(k).encode(), _param_text(v).encode(), names,
                                            nf if names else 0, ctypes.byref(err)), err)
        tr = _Data(X, y, weight, "train", feature_names)
        ev = []
        for e in evals:
            if len(e) == 3:
                ex, ey, en = e
                ew = None
            else:
                ex, ey, ew, en = e
            if np.asarray(ex).shape[1:] != (nf,):
                raise ValueError("eval set %s: expected %d columns" % (en, nf))
            ev.append(_Data(ex, ey, ew, en, feature_names))
        evs = (_TrainData * max(len(ev), 1))(*[d.td for d in ev])
        f = ctypes.c_void_p()
        _check(_lib.sw_train(p, ctypes.byref(tr.td), evs if ev else None, len(ev), ctypes.byref(f), None,
                             ctypes.byref(err)), err)
        return Model(f.value)
    finally:
        _lib.sw_free(p)
