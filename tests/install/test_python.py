"""The installed Python module (swish.py over libswish.so) against the real
libraries' outputs (../shared/crosscheck), XGBoost 1.7.4 itself, the swish CLI
and a C program built through pkg-config.  Run by tests/install/run.sh with the
installed module on PYTHONPATH and DEMO, DEMO_STATIC, SWISH_BIN set."""

import csv
import json
import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np
import xgboost as xgb

import swish

SHARED = os.environ.get("SWISH_SHARED", "../shared")
CROSS = os.path.join(SHARED, "crosscheck")
MODELS = os.path.join(SHARED, "models")
BIN = os.environ["SWISH_BIN"]


def read_bytes(path):
    with open(path, "rb") as fp:
        return fp.read()


def read_csv(path):
    with open(path, newline="") as fp:
        rows = list(csv.reader(fp))
    return rows[0], rows[1:]


def inputs(folder):
    head, rows = read_csv(os.path.join(folder, "inputs.csv"))
    # exact float32 values written as their shortest round-trip decimals
    return head, np.array([[np.float32(v) for v in r] for r in rows], dtype=np.float32)


def f32(values):
    return np.array([np.float32(float(v)) for v in values], dtype=np.float32)


def synthetic(n, nf, seed, classes=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, nf)).astype(np.float32)
    X[rng.random(size=X.shape) < 0.15] = np.nan
    z = np.nan_to_num(X[:, 0]) * 2 + np.nan_to_num(X[:, 1]) * np.nan_to_num(X[:, 2]) + np.isnan(X[:, 3])
    if classes:
        y = np.digitize(z + rng.normal(scale=0.5, size=n), np.quantile(z, np.linspace(0, 1, classes + 1)[1:-1]))
    else:
        y = 20 + 5 * z + rng.normal(size=n)
    return X, y.astype(np.float32)


def write_table(path, X, y=None, names=None):
    names = names or ["f%d" % j for j in range(X.shape[1])]
    with open(path, "w") as fp:
        fp.write(",".join(names + (["y"] if y is not None else [])) + "\n")
        for i in range(X.shape[0]):
            cells = ["" if np.isnan(v) else repr(float(v)) for v in X[i]]  # exact float32 values
            if y is not None:
                cells.append(repr(float(y[i])))
            fp.write(",".join(cells) + "\n")


class CrossCheck(unittest.TestCase):
    """Bit-exact against XGBoost 1.7.4's and CatBoost's own predictions."""

    def test_xgboost_models(self):
        names = sorted(os.listdir(os.path.join(CROSS, "xgboost")))
        self.assertGreaterEqual(len(names), 10)
        for name in names:
            folder = os.path.join(CROSS, "xgboost", name)
            with open(os.path.join(folder, "model_info.json")) as fp:
                info = json.load(fp)
            m = swish.load(os.path.join(MODELS, info["model_file"]))
            head, X = inputs(folder)
            self.assertEqual(m.feature_names, head)
            _, exp = read_csv(os.path.join(folder, "expected.csv"))
            col = lambda c: f32([r[c] for r in exp])
            np.testing.assert_array_equal(m.predict(X, trees="all"), col(2), err_msg=name)
            np.testing.assert_array_equal(m.predict(X, trees="all", margin=True), col(3), err_msg=name)
            k = info["k_for_pred_first_k_trees"]
            np.testing.assert_array_equal(m.predict(X, trees=k), col(4), err_msg=name)
            if exp[0][5] != "NA":
                self.assertEqual(m.best_iteration, int(info["best_iteration_attribute"]))
                np.testing.assert_array_equal(m.predict(X), col(5), err_msg=name)  # best: the default
            for isa in ("scalar", "avx2"):
                np.testing.assert_array_equal(m.predict(X, trees="all", isa=isa), col(2), err_msg=name + isa)
            self.assertEqual(m.predict(X[:7], threads=1).dtype, np.float32)

    def test_catboost_models(self):
        names = sorted(os.listdir(os.path.join(CROSS, "catboost")))
        self.assertGreaterEqual(len(names), 5)
        for name in names:
            folder = os.path.join(CROSS, "catboost", name)
            m = swish.load(os.path.join(MODELS, name + ".cbm"))
            self.assertTrue(m.oblivious)
            _, X = inputs(folder)
            _, exp = read_csv(os.path.join(folder, "expected.csv"))
            want = np.array([float(r[2]) for r in exp])
            got = m.predict(X, trees="all", margin=True)
            self.assertEqual(got.dtype, np.float64)
            np.testing.assert_array_equal(got, want, err_msg=name)


class AgainstXGBoost(unittest.TestCase):
    """Models XGBoost trains here: predict, margin, best iteration, TreeSHAP."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp()
        X, y = synthetic(3000, 8, 1)
        cls.X, cls.y = X, y
        dtr = xgb.DMatrix(X[:2400], label=y[:2400], missing=np.nan)
        dva = xgb.DMatrix(X[2400:], label=y[2400:], missing=np.nan)
        cls.bst = xgb.train({"eta": 0.3, "max_depth": 6, "tree_method": "hist", "seed": 3}, dtr, 200,
                            evals=[(dva, "valid")], early_stopping_rounds=5, verbose_eval=False)
        Xc, yc = synthetic(2000, 6, 2, classes=4)
        cls.Xc = Xc
        cls.mc = xgb.train({"objective": "multi:softprob", "num_class": 4, "max_depth": 4, "tree_method": "hist"},
                           xgb.DMatrix(Xc, label=yc, missing=np.nan), 20)

    def test_regression_with_early_stopping(self):
        bi = self.bst.best_iteration
        self.assertLess(bi + 1, self.bst.num_boosted_rounds())  # stopped early: "best" differs from "all"
        d = xgb.DMatrix(self.X, missing=np.nan)
        for ext in ("json", "ubj"):
            path = os.path.join(self.tmp, "reg." + ext)
            self.bst.save_model(path)
            m = swish.load(path)
            self.assertEqual(m.best_iteration, bi)
            np.testing.assert_array_equal(m.predict(self.X, trees="all"), self.bst.predict(d))
            np.testing.assert_array_equal(m.predict(self.X), self.bst.predict(d, iteration_range=(0, bi + 1)))
            np.testing.assert_array_equal(m.predict(self.X, trees=10), self.bst.predict(d, iteration_range=(0, 10)))
            got = m.explain(self.X[:300], trees="all")
            np.testing.assert_array_equal(m.explain(self.X[:300], trees="all", threads=1), got)  # any thread count
            want = self.bst.predict(xgb.DMatrix(self.X[:300], missing=np.nan), pred_contribs=True)
            self.assertEqual(got.shape, want.shape)
            np.testing.assert_allclose(got, want, rtol=0, atol=2e-4)
            np.testing.assert_allclose(got.sum(axis=1), m.predict(self.X[:300], trees="all", margin=True),
                                       rtol=0, atol=1e-4)

    def test_multiclass(self):
        path = os.path.join(self.tmp, "mc.json")
        self.mc.save_model(path)
        m = swish.load(path)
        self.assertEqual(m.n_classes, 4)
        d = xgb.DMatrix(self.Xc, missing=np.nan)
        np.testing.assert_array_equal(m.predict(self.Xc), self.mc.predict(d))
        np.testing.assert_array_equal(m.predict(self.Xc, margin=True), self.mc.predict(d, output_margin=True))
        with self.assertRaises(ValueError):
            m.predict(self.Xc, trees=6)  # not whole rounds of 4 trees
        got = m.explain(self.Xc[:200])
        np.testing.assert_array_equal(m.explain(self.Xc[:200], threads=1), got)
        want = self.mc.predict(xgb.DMatrix(self.Xc[:200], missing=np.nan), pred_contribs=True)
        self.assertEqual(got.shape, want.shape)
        np.testing.assert_allclose(got, want, rtol=0, atol=2e-4)


    def test_multitarget(self):
        # XGBoost's num_target: one tree per target a round, a column per target
        Y = np.stack([self.y, np.nan_to_num(self.X[:, 4]) * 2 + np.sin(np.nan_to_num(self.X[:, 5]))], 1)
        mt = xgb.train({"max_depth": 5, "tree_method": "hist", "seed": 4}, xgb.DMatrix(self.X, Y, missing=np.nan), 15)
        path = os.path.join(self.tmp, "mt.ubj")
        mt.save_model(path)
        m = swish.load(path)
        self.assertEqual(m.n_classes, 2)
        d = xgb.DMatrix(self.X, missing=np.nan)
        np.testing.assert_array_equal(m.predict(self.X), mt.predict(d))
        np.testing.assert_array_equal(m.predict(self.X, margin=True), mt.predict(d, output_margin=True))
        got = m.explain(self.X[:200])
        want = mt.predict(xgb.DMatrix(self.X[:200], missing=np.nan), pred_contribs=True)
        self.assertEqual(got.shape, want.shape)
        np.testing.assert_allclose(got, want, rtol=0, atol=2e-4)

    def test_legacy_binary(self):
        # XGBoost 1.x's save_model to a .model name: its legacy binary format, read by content
        bst = xgb.train({"max_depth": 5, "tree_method": "hist", "seed": 6, "objective": "binary:logistic"},
                        xgb.DMatrix(self.X, (self.y > np.median(self.y)) * 1.0, missing=np.nan), 20)
        path = os.path.join(self.tmp, "points.model")
        bst.save_model(path)
        m = swish.load(path)
        self.assertEqual(m.source_format, "xgboost-legacy")
        self.assertEqual(m.feature_names[:2], ["f0", "f1"])  # the format has no names
        d = xgb.DMatrix(self.X, missing=np.nan)
        np.testing.assert_array_equal(m.predict(self.X), bst.predict(d))
        np.testing.assert_array_equal(m.predict(self.X, margin=True), bst.predict(d, output_margin=True))

    def test_random_forest_rounds(self):
        # num_parallel_tree 3 with early stopping: rounds of three trees, as XGBoost counts them
        dtr = xgb.DMatrix(self.X[:2400], label=self.y[:2400], missing=np.nan)
        dva = xgb.DMatrix(self.X[2400:], label=self.y[2400:], missing=np.nan)
        rf = xgb.train({"eta": 0.5, "max_depth": 4, "num_parallel_tree": 3, "subsample": 0.8, "seed": 5}, dtr, 100,
                       evals=[(dva, "valid")], early_stopping_rounds=3, verbose_eval=False)
        path = os.path.join(self.tmp, "rf.json")
        rf.save_model(path)
        m = swish.load(path)
        d = xgb.DMatrix(self.X, missing=np.nan)
        np.testing.assert_array_equal(m.predict(self.X), rf.predict(d, iteration_range=(0, rf.best_iteration + 1)))
        np.testing.assert_array_equal(m.predict(self.X, trees=6), rf.predict(d, iteration_range=(0, 2)))
        with self.assertRaises(ValueError):
            m.predict(self.X, trees=4)  # not whole rounds of 3 trees

    def test_multiclass_training(self):
        # swish trains a 4-class model: the same bytes at 1 and 2 threads, and XGBoost
        # reads it and predicts the same probabilities
        yc = synthetic(2000, 6, 2, classes=4)[1]
        paths = []
        for threads in (1, 2):
            m = swish.train({"objective": "multi:softprob", "num_class": 4, "max_depth": 4, "nthread": threads},
                            self.Xc, yc, num_boost_round=20)
            self.assertEqual(m.n_classes, 4)
            paths.append(os.path.join(self.tmp, "mct%d.json" % threads))
            m.save(paths[-1])
        self.assertEqual(read_bytes(paths[0]), read_bytes(paths[1]))
        bst = xgb.Booster(model_file=paths[0])  # swish names the features f0 .. f5
        d = xgb.DMatrix(self.Xc, missing=np.nan, feature_names=["f%d" % j for j in range(self.Xc.shape[1])])
        np.testing.assert_array_equal(m.predict(self.Xc), bst.predict(d))
        with self.assertRaises(swish.Error) as e:
            swish.train({"objective": "multi:softprob", "num_class": 3}, self.Xc, yc)
        self.assertIn("is not a class", str(e.exception))  # label 3 of 0..2


class AgainstCLI(unittest.TestCase):
    """The module and `swish predict` / `swish train` give the same numbers and models."""

    def test_predict_and_explain_match_cli(self):
        for kind, name, model in (("xgboost", "xgboost_v7_31features_20260108_204724",
                                   "xgboost_v7_31features_20260108_204724.json"),
                                  ("catboost", "catboost_v8_33features_20260108_211817",
                                   "catboost_v8_33features_20260108_211817.cbm")):
            folder = os.path.join(CROSS, kind, name)
            path = os.path.join(MODELS, model)
            with tempfile.TemporaryDirectory() as tmp:  # TreeSHAP of 1000 trees: 300 rows of each kind
                with open(os.path.join(folder, "inputs.csv")) as src, open(os.path.join(tmp, "in.csv"), "w") as dst:
                    lines = src.readlines()
                    dst.writelines(lines[:1] + lines[1::7])
                out = os.path.join(tmp, "out.csv")
                subprocess.run([BIN, "predict", "--model", path, "--input", os.path.join(tmp, "in.csv"),
                                "--output", out, "--explain"], check=True)
                head, rows = read_csv(out)
            m = swish.load(path)
            X = inputs(folder)[1][::7]
            pred = m.predict(X)
            cli = np.array([float(r[0]) for r in rows])
            if pred.dtype == np.float32:
                np.testing.assert_array_equal(pred, cli.astype(np.float32), err_msg=name)
            else:
                np.testing.assert_array_equal(pred, cli, err_msg=name)
            phi = m.explain(X)
            self.assertEqual(head[1], "expected_value")
            np.testing.assert_array_equal(phi[:, -1], np.array([float(r[1]) for r in rows]), err_msg=name)
            np.testing.assert_array_equal(phi[:, :-1], np.array([[float(v) for v in r[2:]] for r in rows]),
                                          err_msg=name)

    def _cli_train(self, tmp, args):
        out = os.path.join(tmp, "cli.json")
        subprocess.run([BIN, "train", "--train", os.path.join(tmp, "train.csv"), "--target", "y", "--out", out,
                        "--every", "0"] + args, check=True, stdout=subprocess.DEVNULL)
        return read_bytes(out)

    def test_train_matches_cli_bit_for_bit(self):
        X, y = synthetic(4000, 10, 5)
        names = ["f%d" % j for j in range(10)]
        with tempfile.TemporaryDirectory() as tmp:
            write_table(os.path.join(tmp, "train.csv"), X[:3000], y[:3000], names)
            write_table(os.path.join(tmp, "valid.csv"), X[3000:], y[3000:], names)
            params = {"eta": 0.1, "max_depth": 5, "subsample": 0.8, "colsample_bynode": 0.7, "lambda": 2.0,
                      "monotone_constraints": "(1,0,0,0,0,0,0,0,0,0)", "seed": 11}
            m = swish.train(params, X[:3000], y[:3000], num_boost_round=60, feature_names=names, evals=[
                (X[3000:], y[3000:], "valid")], early_stopping_rounds=5)
            path = os.path.join(tmp, "py.json")
            m.save(path)
            cli = self._cli_train(tmp, ["--rounds", "60", "--early-stopping", "5", "--valid",
                                        os.path.join(tmp, "valid.csv"), "--seed", "11", "--threads", "2",
                                        "--param", "eta=0.1", "--param", "max_depth=5", "--param", "subsample=0.8",
                                        "--param", "colsample_bynode=0.7", "--param", "lambda=2.0", "--param",
                                        "monotone_constraints=(1,0,0,0,0,0,0,0,0,0)"])
            self.assertEqual(read_bytes(path), cli)
            self.assertEqual(m.feature_names, names)
            # same model at another thread count
            m1 = swish.train(dict(params, nthread=1), X[:3000], y[:3000], num_boost_round=60, feature_names=names,
                             evals=[(X[3000:], y[3000:], "valid")], early_stopping_rounds=5)
            p1 = os.path.join(tmp, "py1.json")
            m1.save(p1)
            self.assertEqual(read_bytes(p1), cli)
            # XGBoost reads the trained model and predicts what swish predicts
            bst = xgb.Booster(model_file=path)
            d = xgb.DMatrix(X, missing=np.nan, feature_names=names)
            np.testing.assert_array_equal(m.predict(X, trees="all"), bst.predict(d))
            # an oblivious model, saved as CatBoost .cbm, read back identically
            mo = swish.train({"grow_policy": "oblivious", "max_depth": 4, "eta": 0.2}, X[:3000], y[:3000],
                             num_boost_round=30, feature_names=names)
            self.assertTrue(mo.oblivious)
            po = os.path.join(tmp, "o.cbm")
            mo.save(po)
            np.testing.assert_array_equal(swish.load(po).predict(X), mo.predict(X))

    def test_errors(self):
        with tempfile.TemporaryDirectory() as tmp:
            src = read_bytes(os.path.join(MODELS, "catboost_v8_33features_20260108_211817.cbm"))
            bad = os.path.join(tmp, "cut.cbm")
            with open(bad, "wb") as fp:
                fp.write(src[:len(src) // 2])
            with self.assertRaises(swish.Error) as e:
                swish.load(bad)
            self.assertIn("cut.cbm", str(e.exception))
            self.assertIn(e.exception.status, ("FORMAT", "PARSE"))
            with self.assertRaises(swish.Error) as e:
                swish.load(os.path.join(tmp, "absent.json"))
            self.assertEqual(e.exception.status, "IO")
        m = swish.load(os.path.join(MODELS, "xgboost_v7_31features_20260108_204724.json"))
        with self.assertRaises(ValueError):
            m.predict(np.zeros((3, 30), dtype=np.float32))  # 31 features
        with self.assertRaises(ValueError):
            m.predict(np.zeros((3, 31)), trees=10**6)
        inf = np.full((3, 31), np.nan, dtype=np.float32)
        inf[2, 5] = -np.inf  # missing is NaN; infinite is refused, as XGBoost does
        m.predict(inf[:2])
        for call in (m.predict, m.explain):
            with self.assertRaises(ValueError) as e:
                call(inf)
            self.assertIn("X[2, 5] is infinite", str(e.exception))
        X, y = synthetic(300, 4, 9)
        with self.assertRaises(swish.Error) as e:
            swish.train({"no_such_param": 1}, X, y)
        self.assertEqual(e.exception.status, "ARG")
        self.assertIn("no_such_param", str(e.exception))
        with self.assertRaises(ValueError):
            swish.train({"eta": 0.1, "learning_rate": 0.2}, X, y)
        with self.assertRaises(swish.Error) as e:
            swish.train({}, X, np.full(300, np.nan, dtype=np.float32))
        self.assertEqual(e.exception.status, "INVALID_DATA")
        Xi = X.copy()
        Xi[7, 2] = np.inf
        with self.assertRaises(swish.Error) as e:
            swish.train({}, Xi, y)
        self.assertEqual(e.exception.status, "INVALID_DATA")
        self.assertIn("has 1 infinite cell (", str(e.exception))


class CProgram(unittest.TestCase):
    """demo.c, built against the installed pkg-config file, predicts what the module predicts."""

    def test_demo_programs(self):
        folder = os.path.join(CROSS, "xgboost", "xgboost_v7_31features_20260108_204724")
        model = os.path.join(MODELS, "xgboost_v7_31features_20260108_204724.json")
        m = swish.load(model)
        _, X = inputs(folder)
        want = m.predict(X, trees="all", margin=True)
        for exe in (os.environ["DEMO"], os.environ["DEMO_STATIC"]):
            out = subprocess.run([exe, model, os.path.join(folder, "inputs.csv")], check=True,
                                 capture_output=True, text=True).stdout.splitlines()
            self.assertTrue(out[-1].startswith("# " + swish.version()), out[-1])
            got = np.array([float(v) for v in out[:-1]]).astype(np.float32)
            np.testing.assert_array_equal(got, want)
        r = subprocess.run([os.environ["DEMO"], os.path.join(folder, "absent.json"), "x.csv"], capture_output=True,
                           text=True)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("absent.json", r.stderr)


if __name__ == "__main__":
    r = unittest.main(exit=False, verbosity=1).result
    sys.exit(0 if r.wasSuccessful() and r.testsRun > 0 else 1)
