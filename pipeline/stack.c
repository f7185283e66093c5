/* stack: Ridge regression over system predictions with OpenBLAS for the
 * normal equations (X'X by dsyrk, X'y by dgemv on centred columns) and a
 * Cholesky solve of the small k x k system. */
#include <cblas.h>
#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "stack.h"

/* Solve A x = b for symmetric positive definite A (k x k, row-major); 0 on success. */
static int cholesky_solve(double *A, double *b, int k)
{
    for (int j = 0; j < k; j++) {
        double d = A[j * k + j];
        for (int p = 0; p < j; p++) d -= A[j * k + p] * A[j * k + p];
        if (!(d > 0)) return -1;
        d = sqrt(d);
        A[j * k + j] = d;
        for (int i = j + 1; i < k; i++) {
            double s = A[i * k + j];
            for (int p = 0; p < j; p++) s -= A[i * k + p] * A[j * k + p];
            A[i * k + j] = s / d;
        }
    }
    for (int i = 0; i < k; i++) { /* L z = b */
        double s = b[i];
        for (int p = 0; p < i; p++) s -= A[i * k + p] * b[p];
        b[i] = s / A[i * k + i];
    }
    for (int i = k - 1; i >= 0; i--) { /* L' x = z */
        double s = b[i];
        for (int p = i + 1; p < k; p++) s -= A[p * k + i] * b[p];
        b[i] = s / A[i * k + i];
    }
    return 0;
}

int sw_stack_fit(const double *P, const double *y, const float *std10, long n, int k, const int *sys, double lambda,
                 sw_stack *out, sw_error *err)
{
    memset(out, 0, sizeof *out);
    sw_market_init(&out->mk);
    if (k < 1 || k > SW_SYS_COUNT) return sw_fail(err, SW_ARG, "stack over %d systems", k);
    if (!(lambda >= 0)) return sw_fail(err, SW_ARG, "Ridge penalty must be >= 0");
    double *X = sw_malloc(sizeof(double) * (size_t)(n ? n : 1) * (size_t)(k + 2));
    if (!X) return sw_fail(err, SW_NOMEM, "out of memory");
    double *Y = X + (size_t)n * (size_t)k, *S = Y + n;
    long m = 0;
    for (long i = 0; i < n; i++) {
        int ok = isfinite(y[i]) && isfinite(std10[i]);
        for (int j = 0; j < k && ok; j++) ok = isfinite(P[i * k + j]);
        if (!ok) continue;
        memcpy(X + m * k, P + i * k, sizeof(double) * (size_t)k);
        Y[m] = y[i];
        S[m] = std10[i];
        m++;
    }
    if (m < 10L * (k + 1)) {
        sw_free(X);
        return sw_fail(err, SW_INVALID_DATA, "stack: %ld complete rows, need at least %d", m, 10 * (k + 1));
    }
    double mean[SW_SYS_COUNT], ymean = 0;
    for (int j = 0; j < k; j++) mean[j] = 0;
    for (long i = 0; i < m; i++) {
        for (int j = 0; j < k; j++) mean[j] += X[i * k + j];
        ymean += Y[i];
    }
    for (int j = 0; j < k; j++) mean[j] /= (double)m;
    ymean /= (double)m;
    for (long i = 0; i < m; i++) {
        for (int j = 0; j < k; j++) X[i * k + j] -= mean[j];
        Y[i] -= ymean;
    }
    double A[SW_SYS_COUNT * SW_SYS_COUNT], b[SW_SYS_COUNT];
    openblas_set_num_threads(1);
    cblas_dsyrk(CblasRowMajor, CblasLower, CblasTrans, k, (int)m, 1.0, X, k, 0.0, A, k);
    cblas_dgemv(CblasRowMajor, CblasTrans, (int)m, k, 1.0, X, k, Y, 1, 0.0, b, 1);
    for (int i = 0; i < k; i++) {
        A[i * k + i] += lambda;
        for (int j = i + 1; j < k; j++) A[i * k + j] = A[j * k + i];
    }
    if (cholesky_solve(A, b, k)) {
        sw_free(X);
        return sw_fail(err, SW_INVALID_DATA, "stack: the systems' predictions are collinear; raise the Ridge penalty");
    }
    out->k = k;
    out->lambda = lambda;
    out->rows = m;
    out->intercept = ymean;
    for (int j = 0; j < k; j++) {
        out->sys[j] = sys[j];
        out->coef[j] = b[j];
        out->intercept -= b[j] * mean[j];
    }
    /* residuals (uncentred), the spread model and the errors */
    double s11 = 0, s1x = 0, sxx = 0, s1r = 0, sxr = 0, mae = 0, mae_sys[SW_SYS_COUNT] = {0};
    double A3[9] = {0}, b3[3] = {0}; /* the spread on (1, std10, prediction) */
    for (long i = 0; i < m; i++) {
        double pred = out->intercept, yi = Y[i] + ymean;
        for (int j = 0; j < k; j++) {
            double pj = X[i * k + j] + mean[j];
            pred += out->coef[j] * pj;
            mae_sys[j] += fabs(yi - pj);
        }
        double r = fabs(yi - pred), x = S[i];
        mae += r;
        s11 += 1;
        s1x += x;
        sxx += x * x;
        s1r += r;
        sxr += x * r;
        double z[3] = {1, x, pred};
        for (int a = 0; a < 3; a++) {
            b3[a] += z[a] * r;
            for (int c = 0; c < 3; c++) A3[a * 3 + c] += z[a] * z[c];
        }
    }
    double det = s11 * sxx - s1x * s1x;
    double scale = A3[8] > 0 ? A3[8] : 1;
    for (int a = 0; a < 3; a++) A3[a * 3 + a] += 1e-9 * scale; /* a constant column stays solvable */
    if (cholesky_solve(A3, b3, 3) == 0 && isfinite(b3[0]) && isfinite(b3[1]) && isfinite(b3[2])) {
        out->sigma_a = b3[0];
        out->sigma_b = b3[1];
        out->sigma_c = b3[2];
    } else if (det > 1e-9 * s11 * sxx) {
        out->sigma_a = (sxx * s1r - s1x * sxr) / det;
        out->sigma_b = (s11 * sxr - s1x * s1r) / det;
    } else {
        out->sigma_a = s1r / s11;
        out->sigma_b = 0;
    }
    out->mae = mae / (double)m;
    for (int j = 0; j < k; j++) out->mae_sys[j] = mae_sys[j] / (double)m;
    sw_free(X);
    return SW_OK;
}

double sw_stack_predict(const sw_stack *s, const double pred_by_sys[SW_SYS_COUNT], float std10, double *sigma,
                        int *n_present)
{
    double sum = 0;
    int present = 0;
    for (int j = 0; j < s->k; j++) {
        double p = pred_by_sys[s->sys[j]];
        if (isfinite(p)) {
            sum += p;
            present++;
        }
    }
    if (n_present) *n_present = present;
    double fill = present ? sum / present : NAN, pred = s->intercept;
    for (int j = 0; j < s->k; j++) {
        double p = pred_by_sys[s->sys[j]];
        pred += s->coef[j] * (isfinite(p) ? p : fill);
    }
    double sd = sqrt(M_PI / 2) * (s->sigma_a + s->sigma_b * (isfinite(std10) ? std10 : 5.0) +
                                  s->sigma_c * (isfinite(pred) ? pred : 0));
    if (sigma) *sigma = sd > 2.0 ? sd : 2.0;
    if (present < 2) return NAN;
    return pred;
}

int sw_stack_to_json(const sw_stack *s, char **data, size_t *len, sw_error *err)
{
    sw_jw *w = sw_jw_create(SW_JW_JSON_PRETTY);
    if (!w) return sw_fail(err, SW_NOMEM, "out of memory");
    sw_jw_obj_begin(w);
    sw_jw_kstr(w, "kind", "ridge-stack");
    sw_jw_key(w, "systems");
    sw_jw_arr_begin(w);
    for (int j = 0; j < s->k; j++) sw_jw_str(w, sw_system_name(s->sys[j]));
    sw_jw_arr_end(w);
    sw_jw_key(w, "coefficients");
    sw_jw_arr_begin(w);
    for (int j = 0; j < s->k; j++) sw_jw_f64(w, s->coef[j]);
    sw_jw_arr_end(w);
    sw_jw_kf64(w, "intercept", s->intercept);
    sw_jw_kf64(w, "lambda", s->lambda);
    sw_jw_kf64(w, "sigma_a", s->sigma_a);
    sw_jw_kf64(w, "sigma_b", s->sigma_b);
    sw_jw_kf64(w, "sigma_c", s->sigma_c);
    sw_jw_kint(w, "rows", s->rows);
    sw_jw_kf64(w, "mae", s->mae);
    sw_jw_key(w, "market");
    sw_jw_obj_begin(w);
    sw_jw_kint(w, "fitted_w", s->mk.fitted_w);
    sw_jw_kint(w, "fitted_p", s->mk.fitted_p);
    sw_jw_kint(w, "rows", s->mk.rows);
    sw_jw_kint(w, "rows_line", s->mk.rows_line);
    sw_jw_kint(w, "rows_prob", s->mk.rows_prob);
    static const char *const mk_keys[] = {"shift",           "bias",          "w",
                                          "a",               "b",             "c",
                                          "shrink_rows",     "prior",         "holdout_mae_model",
                                          "holdout_mae_market", "holdout_logloss_model", "holdout_logloss_market"};
    const double mk_vals[] = {s->mk.shift,          s->mk.bias,          s->mk.w,           s->mk.a,
                              s->mk.b,              s->mk.c,             s->mk.shrink_rows, s->mk.prior,
                              s->mk.hold_mae_model, s->mk.hold_mae_market, s->mk.hold_ll_model, s->mk.hold_ll_market};
    for (int i = 0; i < 12; i++) sw_jw_kf64(w, mk_keys[i], mk_vals[i]);
    sw_jw_obj_end(w);
    sw_jw_key(w, "mae_systems");
    sw_jw_arr_begin(w);
    for (int j = 0; j < s->k; j++) sw_jw_f64(w, s->mae_sys[j]);
    sw_jw_arr_end(w);
    sw_jw_obj_end(w);
    const char *buf;
    size_t n;
    int rc = sw_jw_finish(w, &buf, &n);
    if (rc == SW_OK) {
        *data = sw_malloc(n + 1);
        if (*data) {
            memcpy(*data, buf, n);
            (*data)[n] = 0;
            *len = n;
        } else {
            rc = SW_NOMEM;
        }
    }
    sw_jw_free(w);
    return rc ? sw_fail(err, rc, "out of memory") : SW_OK;
}

int sw_stack_from_json(const char *name, const char *data, size_t len, sw_stack *out, sw_error *err)
{
    memset(out, 0, sizeof *out);
    sw_json *doc = NULL;
    int rc = sw_json_parse(name, data, len, &doc, err);
    if (rc) return rc;
    sw_jnode root = sw_json_root(doc);
    sw_jnode sys = sw_json_get(doc, root, "systems"), coef = sw_json_get(doc, root, "coefficients");
    if (!sw_json_streq(doc, sw_json_get(doc, root, "kind"), "ridge-stack") || sys == SW_JNONE || coef == SW_JNONE ||
        sw_json_type_of(doc, sys) != SW_JSON_ARRAY || sw_json_len(doc, sys) != sw_json_len(doc, coef) ||
        sw_json_len(doc, sys) < 1 || sw_json_len(doc, sys) > SW_SYS_COUNT) {
        rc = sw_error_set(err, SW_FORMAT, name, 0, 0, -1, "not a swish stack (kind, systems, coefficients)");
        goto done;
    }
    out->k = (int)sw_json_len(doc, sys);
    int j = 0;
    for (sw_jnode c = sw_json_first(doc, sys); c != SW_JNONE; c = sw_json_next(doc, c), j++) {
        size_t n;
        const char *str = sw_json_str(doc, c, &n);
        char nm[32] = "";
        if (str && n < sizeof nm) memcpy(nm, str, n);
        out->sys[j] = sw_system_find(nm);
        if (out->sys[j] < 0) {
            rc = sw_error_set(err, SW_FORMAT, name, 0, 0, sw_json_offset(doc, c), "unknown system '%s'", nm);
            goto done;
        }
    }
    if ((rc = sw_json_read_f64s(doc, coef, out->coef, (uint32_t)out->k, err))) goto done;
    static const char *const keys[] = {"intercept", "lambda", "sigma_a", "sigma_b", "mae"};
    double *dst[] = {&out->intercept, &out->lambda, &out->sigma_a, &out->sigma_b, &out->mae};
    for (size_t i = 0; i < 5; i++) {
        sw_jnode v = sw_json_get(doc, root, keys[i]);
        if (v == SW_JNONE) {
            rc = sw_error_set(err, SW_FORMAT, name, 0, 0, -1, "stack lacks '%s'", keys[i]);
            goto done;
        }
        if ((rc = sw_json_f64(doc, v, 0, dst[i], err))) goto done;
    }
    sw_jnode sc = sw_json_get(doc, root, "sigma_c"); /* absent in stacks written before it: 0 */
    if (sc != SW_JNONE && (rc = sw_json_f64(doc, sc, 0, &out->sigma_c, err))) goto done;
    if (!isfinite(out->sigma_c)) {
        rc = sw_error_set(err, SW_FORMAT, name, 0, 0, sw_json_offset(doc, sc), "sigma_c is not finite");
        goto done;
    }
    long long rows = 0;
    sw_jnode r = sw_json_get(doc, root, "rows");
    if (r != SW_JNONE && (rc = sw_json_i64(doc, r, 0, &rows, err))) goto done;
    out->rows = (long)rows;
    sw_jnode ms = sw_json_get(doc, root, "mae_systems");
    if (ms != SW_JNONE && (rc = sw_json_read_f64s(doc, ms, out->mae_sys, (uint32_t)out->k, err))) goto done;
    /* the market part; a stack written before it has the defaults (the market alone) */
    sw_market_init(&out->mk);
    sw_jnode mk = sw_json_get(doc, root, "market");
    if (mk != SW_JNONE) {
        static const char *const ik[] = {"fitted_w", "fitted_p", "rows", "rows_line", "rows_prob"};
        long long iv[5];
        for (int i = 0; i < 5; i++)
            if ((rc = sw_json_i64(doc, sw_json_get(doc, mk, ik[i]), 0, &iv[i], err))) goto done;
        static const char *const fk[] = {"shift", "bias", "w", "a", "b", "c", "shrink_rows", "prior"};
        double *fd[] = {&out->mk.shift, &out->mk.bias, &out->mk.w, &out->mk.a,
                        &out->mk.b, &out->mk.c, &out->mk.shrink_rows, &out->mk.prior};
        for (int i = 0; i < 8; i++)
            if ((rc = sw_json_f64(doc, sw_json_get(doc, mk, fk[i]), 0, fd[i], err))) goto done;
        static const char *const hk[] = {"holdout_mae_model", "holdout_mae_market", "holdout_logloss_model",
                                         "holdout_logloss_market"};
        double *hd[] = {&out->mk.hold_mae_model, &out->mk.hold_mae_market, &out->mk.hold_ll_model,
                        &out->mk.hold_ll_market};
        for (int i = 0; i < 4; i++) { /* figures for people; null when not measured */
            sw_jnode h = sw_json_get(doc, mk, hk[i]);
            *hd[i] = NAN;
            if (h != SW_JNONE && sw_json_type_of(doc, h) == SW_JSON_NUMBER &&
                (rc = sw_json_f64(doc, h, 0, hd[i], err)))
                goto done;
        }
        for (int i = 0; i < 6; i++)
            if (!isfinite(*fd[i])) {
                rc = sw_error_set(err, SW_FORMAT, name, 0, 0, sw_json_offset(doc, mk), "market.%s is not finite", fk[i]);
                goto done;
            }
        out->mk.fitted_w = iv[0] != 0;
        out->mk.fitted_p = iv[1] != 0;
        out->mk.rows = (long)iv[2];
        out->mk.rows_line = (long)iv[3];
        out->mk.rows_prob = (long)iv[4];
    }
    for (j = 0; j < out->k; j++)
        if (!isfinite(out->coef[j])) {
            rc = sw_error_set(err, SW_FORMAT, name, 0, 0, -1, "coefficient %d is not finite", j);
            goto done;
        }
done:
    sw_json_free(doc);
    return rc;
}
