/* registry: the model store on a directory or an object store (see registry.h). */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/fileio.h"
#include "core/hash.h"
#include "core/json.h"
#include "io/model.h"
#include "registry.h"
#include "core/clock.h"

#define MANIFEST_MAX (1 << 20)
#define POINTER_MAX (16 << 20)

void sw_manifest_init(sw_manifest *m, const char *system)
{
    memset(m, 0, sizeof *m);
    snprintf(m->system, sizeof m->system, "%s", system ? system : "");
}

int sw_manifest_trained_to(const sw_manifest *m, char out[11])
{
    if (m->train_to[0]) {
        snprintf(out, 11, "%s", m->train_to);
        return 0;
    }
    snprintf(out, 11, "%.10s", m->created);
    return 1;
}

void sw_manifest_add_metric(sw_manifest *m, const char *name, double value)
{
    if (m->n_metrics >= SW_MANIFEST_MAX_METRICS) return;
    snprintf(m->metric_name[m->n_metrics], sizeof m->metric_name[0], "%s", name);
    m->metric[m->n_metrics++] = value;
}

static int valid_name(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n >= max || s[0] == '.') return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
              c == '.'))
            return 0;
    }
    return 1;
}

static void now_utc(char out[24], char compact[16])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 24, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (compact) strftime(compact, 16, "%Y%m%d-%H%M%S", &tm);
}

/* ---- process-wide settings, open stores, the offline mark ---- */

#define OPEN_MAX 4

static pthread_mutex_t g_mu = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP; /* sync holds two stores */
static struct {
    int set;
    sw_objstore_opts opts;
    char endpoint[512], region[64], key[256], secret[256], token[2048];
    char cache[2048];
    char actor[128], command[256];
} g_cfg;
static struct {
    char loc[2048];
    sw_objstore *os;
    int busy;
} g_open[OPEN_MAX];
static int g_offline;
static char g_offline_why[512];

static void copy_opt(char *dst, size_t cap, const char **field)
{
    if (*field) {
        snprintf(dst, cap, "%s", *field);
        *field = dst;
    }
}

void sw_registry_configure(const sw_objstore_opts *opts, const char *cache_dir, const char *command)
{
    pthread_mutex_lock(&g_mu);
    memset(&g_cfg.opts, 0, sizeof g_cfg.opts);
    if (opts) {
        g_cfg.opts = *opts;
        copy_opt(g_cfg.endpoint, sizeof g_cfg.endpoint, &g_cfg.opts.endpoint);
        copy_opt(g_cfg.region, sizeof g_cfg.region, &g_cfg.opts.region);
        copy_opt(g_cfg.key, sizeof g_cfg.key, &g_cfg.opts.access_key);
        copy_opt(g_cfg.secret, sizeof g_cfg.secret, &g_cfg.opts.secret_key);
        copy_opt(g_cfg.token, sizeof g_cfg.token, &g_cfg.opts.session_token);
    }
    g_cfg.set = 1;
    snprintf(g_cfg.cache, sizeof g_cfg.cache, "%s", cache_dir ? cache_dir : "");
    snprintf(g_cfg.command, sizeof g_cfg.command, "%s", command ? command : "");
    for (int i = 0; i < OPEN_MAX; i++) { /* new settings: reopen */
        sw_objstore_close(g_open[i].os);
        memset(&g_open[i], 0, sizeof g_open[i]);
    }
    pthread_mutex_unlock(&g_mu);
}

int sw_registry_offline(char *why, size_t cap)
{
    pthread_mutex_lock(&g_mu);
    int o = g_offline;
    if (why && cap) snprintf(why, cap, "%s", g_offline_why);
    pthread_mutex_unlock(&g_mu);
    return o;
}

static void cache_root(char *out, size_t cap)
{
    if (g_cfg.cache[0]) {
        snprintf(out, cap, "%s", g_cfg.cache);
        return;
    }
    const char *x = getenv("XDG_CACHE_HOME"), *h = getenv("HOME");
    if (x && *x) snprintf(out, cap, "%s/swish", x);
    else if (h && *h) snprintf(out, cap, "%s/.cache/swish", h);
    else snprintf(out, cap, "/tmp/swish-cache-%ld", (long)getuid());
}

static void actor(char out[128])
{
    char host[64] = "?";
    gethostname(host, sizeof host);
    host[sizeof host - 1] = 0;
    const char *u = getenv("USER");
    struct passwd *pw = u && *u ? NULL : getpwuid(getuid());
    snprintf(out, 128, "%s@%s", u && *u ? u : pw ? pw->pw_name : "?", host);
}

/* A store of this process, held with g_mu locked by the caller (reg_begin). */
typedef struct {
    sw_objstore *os;
    int slot, remote;
    char loc[2048];
    char copies[2600]; /* cache/stores/<hash> for a remote store */
    char objects[2600];
} reg;

static int reg_begin(const char *loc, reg *r, sw_error *err)
{
    memset(r, 0, sizeof *r);
    if (!loc || !*loc) return sw_fail(err, SW_ARG, "no model store given (paths.models or --models)");
    pthread_mutex_lock(&g_mu);
    int slot = -1;
    for (int i = 0; i < OPEN_MAX && slot < 0; i++)
        if (g_open[i].os && !strcmp(g_open[i].loc, loc)) slot = i;
    if (slot < 0) { /* a free slot, else one not in use */
        for (int i = 0; i < OPEN_MAX && slot < 0; i++)
            if (!g_open[i].os) slot = i;
        for (int i = 0; i < OPEN_MAX && slot < 0; i++)
            if (!g_open[i].busy) slot = i;
        sw_objstore_close(g_open[slot].os);
        g_open[slot].os = NULL;
        int rc = sw_objstore_open(loc, g_cfg.set ? &g_cfg.opts : NULL, &g_open[slot].os, err);
        if (rc) {
            pthread_mutex_unlock(&g_mu);
            return rc;
        }
        snprintf(g_open[slot].loc, sizeof g_open[slot].loc, "%s", loc);
    }
    r->os = g_open[slot].os;
    r->slot = slot;
    g_open[slot].busy++;
    r->remote = sw_objstore_kind(r->os) != SW_OBJ_LOCAL;
    snprintf(r->loc, sizeof r->loc, "%s", sw_objstore_location(r->os));
    if (r->remote) {
        char root[2048], hex[65];
        cache_root(root, sizeof root);
        sw_sha256_hex(r->loc, strlen(r->loc), hex);
        snprintf(r->copies, sizeof r->copies, "%s/stores/%.16s", root, hex);
        snprintf(r->objects, sizeof r->objects, "%s/objects", root);
    }
    return SW_OK;
}

static void reg_end(reg *r)
{
    g_open[r->slot].busy--;
    pthread_mutex_unlock(&g_mu);
}

static void mark_offline(const reg *r, const sw_error *e)
{
    if (g_offline) return;
    g_offline = 1;
    char msg[400];
    sw_error_format(e, msg, sizeof msg);
    snprintf(g_offline_why, sizeof g_offline_why, "%.500s", msg);
    (void)r;
}

static void copy_path(const reg *r, const char *key, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s", r->copies, key);
}

static void save_copy(const reg *r, const char *key, const void *data, size_t len)
{
    char path[4096];
    copy_path(r, key, path, sizeof path);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = 0;
    sw_error e;
    if (sw_mkdirs(dir, &e) == SW_OK) sw_write_file_atomic(path, data, len, &e); /* a cache: best effort */
}

/* ---- remote reads, remembered briefly ----
 * A command reads the same pointer and listing several times within
 * milliseconds (pick, load, the candidate), so remote pointers and the
 * store's listing are kept in the process for MEMO_TTL seconds (a write of
 * this process replaces or drops them); writes always read afresh with the
 * etag.  Manifests never change once written: a copy in the cache is used
 * as is. */
#define MEMO_TTL 1.0
#define MEMO_MAX 16

static struct {
    char key[2300]; /* location + '\n' + key */
    unsigned char *data;
    size_t len;
    double t;
} g_memo[MEMO_MAX];
static struct {
    char loc[2048];
    char **keys, **stamps; /* the listing's ETags */
    int n;
    double t;
} g_list_memo;

static int memo_slot(const reg *r, const char *key, int make)
{
    char k[2300];
    snprintf(k, sizeof k, "%s\n%s", r->loc, key);
    int oldest = 0;
    for (int i = 0; i < MEMO_MAX; i++) {
        if (!strcmp(g_memo[i].key, k)) return i;
        if (g_memo[i].t < g_memo[oldest].t) oldest = i;
    }
    if (!make) return -1;
    sw_free(g_memo[oldest].data);
    g_memo[oldest].data = NULL;
    snprintf(g_memo[oldest].key, sizeof g_memo[oldest].key, "%s", k);
    return oldest;
}

static void memo_put(const reg *r, const char *key, const void *data, size_t len)
{
    int i = memo_slot(r, key, 1);
    sw_free(g_memo[i].data);
    g_memo[i].data = NULL;
    unsigned char *d = sw_malloc(len + 1);
    if (!d) {
        g_memo[i].key[0] = 0;
        return;
    }
    memcpy(d, data, len);
    g_memo[i].data = d;
    g_memo[i].len = len;
    g_memo[i].t = sw_clock_now();
}

static int memo_get(const reg *r, const char *key, unsigned char **data, size_t *len)
{
    int i = memo_slot(r, key, 0);
    if (i < 0 || !g_memo[i].data || sw_clock_now() - g_memo[i].t > MEMO_TTL) return 0;
    *data = sw_malloc(g_memo[i].len + 1);
    if (!*data) return 0;
    memcpy(*data, g_memo[i].data, g_memo[i].len);
    *len = g_memo[i].len;
    return 1;
}

static void list_memo_drop(void)
{
    sw_free(g_list_memo.keys);
    sw_free(g_list_memo.stamps);
    memset(&g_list_memo, 0, sizeof g_list_memo);
}

void sw_registry_forget(void)
{
    pthread_mutex_lock(&g_mu);
    for (int i = 0; i < MEMO_MAX; i++) {
        sw_free(g_memo[i].data);
        memset(&g_memo[i], 0, sizeof g_memo[i]);
    }
    list_memo_drop();
    pthread_mutex_unlock(&g_mu);
}

/* The fresh listing's stamp of a key: 1 found (stamp set), 0 absent from the
 * listing, -1 no fresh listing of this store. */
static int list_stamp(const reg *r, const char *key, const char **stamp)
{
    if (strcmp(g_list_memo.loc, r->loc) != 0 || sw_clock_now() - g_list_memo.t > MEMO_TTL) return -1;
    int lo = 0, hi = g_list_memo.n - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2, c = strcmp(g_list_memo.keys[mid], key);
        if (c == 0) {
            *stamp = g_list_memo.stamps[mid];
            return 1;
        }
        if (c < 0) lo = mid + 1;
        else hi = mid - 1;
    }
    return 0;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

/* A remote read that needs no request: a manifest's cached copy (manifests
 * never change), a pointer remembered by this process, or a pointer's cached
 * copy whose saved ETag is the one the store's fresh listing gives.  1 when
 * *data is filled; 0 to ask the store; -1 when the fresh listing says the
 * pointer does not exist. */
static int read_cached(reg *r, const char *key, const char *path, size_t max, unsigned char **data, size_t *len)
{
    if (ends_with(key, "/manifest.json"))
        return sw_file_exists(path) && sw_read_file(path, (long long)max, data, len, NULL) == SW_OK;
    if (!ends_with(key, "/champion.json")) return 0;
    if (memo_get(r, key, data, len)) return 1;
    const char *stamp;
    int ls = list_stamp(r, key, &stamp);
    if (ls == 0) return -1;
    if (ls < 0 || !stamp[0]) return 0;
    char sp[4200], have[SW_ETAG_MAX] = "";
    snprintf(sp, sizeof sp, "%s.etag", path);
    FILE *fp = fopen(sp, "r");
    if (fp) {
        if (!fgets(have, sizeof have, fp)) have[0] = 0;
        fclose(fp);
    }
    if (strcmp(have, stamp) != 0 || sw_read_file(path, (long long)max, data, len, NULL) != SW_OK) return 0;
    memo_put(r, key, *data, *len);
    return 1;
}

/* A small object (manifest, pointer).  Remote: a copy is kept (a pointer's with
 * its ETag); when the store cannot be reached, the copy is read and the process
 * marked offline.  Reads for a write (etag wanted) always ask the store. */
static int reg_get(reg *r, const char *key, size_t max, unsigned char **data, size_t *len, char etag[SW_ETAG_MAX],
                   sw_error *err)
{
    sw_error e;
    sw_error_clear(&e);
    char path[4096], got[SW_ETAG_MAX] = "";
    if (r->remote) {
        copy_path(r, key, path, sizeof path);
        int c = etag ? 0 : read_cached(r, key, path, max, data, len);
        if (c > 0) return SW_OK;
        if (c < 0) return sw_fail(err, SW_NOT_FOUND, "%s/%s: no such object", r->loc, key);
    }
    int rc = sw_objstore_get(r->os, key, max, data, len, etag ? etag : got, &e);
    if (!r->remote) {
        if (rc && err) *err = e;
        return rc;
    }
    if (rc == SW_OK) {
        save_copy(r, key, *data, *len);
        if (ends_with(key, "/champion.json")) {
            memo_put(r, key, *data, *len);
            char sp[4200];
            snprintf(sp, sizeof sp, "%s.etag", path);
            const char *et = etag ? etag : got;
            sw_error ee;
            sw_write_file_atomic(sp, et, strlen(et), &ee); /* best effort: a cache */
        }
    } else if (rc == SW_NOT_FOUND) {
        unlink(path);
    } else if (rc == SW_NET && sw_file_exists(path) && sw_read_file(path, (long long)max, data, len, err) == SW_OK) {
        mark_offline(r, &e);
        if (etag) etag[0] = 0;
        return SW_OK;
    }
    if (rc && err) *err = e;
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Keys under a prefix of the copies (offline listing). */
static int list_copies(const reg *r, const char *prefix, char ***keys, int *n, sw_error *err)
{
    *keys = NULL;
    *n = 0;
    size_t cap = 0, bytes = 0, used = 0;
    char **tmp = NULL;
    int rc = SW_OK;
    /* two levels: <system>/<version>/<file> and <system>/<file> */
    DIR *d1 = opendir(r->copies);
    struct dirent *a;
    while (d1 && rc == SW_OK && (a = readdir(d1))) {
        if (a->d_name[0] == '.') continue;
        char p1[4200];
        snprintf(p1, sizeof p1, "%s/%s", r->copies, a->d_name);
        DIR *d2 = opendir(p1);
        struct dirent *b;
        while (d2 && rc == SW_OK && (b = readdir(d2))) {
            if (b->d_name[0] == '.') continue;
            char p2[4500], k2[600];
            snprintf(p2, sizeof p2, "%s/%s", p1, b->d_name);
            snprintf(k2, sizeof k2, "%s/%s", a->d_name, b->d_name);
            struct stat sb;
            if (stat(p2, &sb) != 0) continue;
            char cands[2][700];
            int nc = 0;
            if (S_ISDIR(sb.st_mode)) {
                snprintf(cands[nc++], sizeof cands[0], "%s/manifest.json", k2);
            } else {
                snprintf(cands[nc++], sizeof cands[0], "%s", k2);
            }
            for (int c = 0; c < nc; c++) {
                char full[5000];
                snprintf(full, sizeof full, "%s/%s", r->copies, cands[c]);
                if (!sw_file_exists(full) || strncmp(cands[c], prefix, strlen(prefix)) != 0) continue;
                if (used == cap) {
                    cap = cap ? 2 * cap : 32;
                    char **nt = sw_realloc(tmp, cap * sizeof *nt);
                    if (!nt) {
                        rc = sw_fail(err, SW_NOMEM, "out of memory");
                        break;
                    }
                    tmp = nt;
                }
                tmp[used] = sw_malloc(strlen(cands[c]) + 1);
                if (!tmp[used]) {
                    rc = sw_fail(err, SW_NOMEM, "out of memory");
                    break;
                }
                strcpy(tmp[used], cands[c]);
                bytes += strlen(cands[c]) + 1;
                used++;
            }
        }
        if (d2) closedir(d2);
    }
    if (d1) closedir(d1);
    if (rc == SW_OK && used) {
        qsort(tmp, used, sizeof *tmp, cmp_str);
        char **out = sw_malloc(used * sizeof *out + bytes);
        if (!out) rc = sw_fail(err, SW_NOMEM, "out of memory");
        else {
            char *p = (char *)(out + used);
            for (size_t i = 0; i < used; i++) {
                out[i] = p;
                strcpy(p, tmp[i]);
                p += strlen(tmp[i]) + 1;
            }
            *keys = out;
            *n = (int)used;
        }
    }
    for (size_t i = 0; i < used; i++) sw_free(tmp[i]);
    sw_free(tmp);
    return rc;
}

/* The remote listing of the whole store, remembered for MEMO_TTL; the keys
 * under `prefix` copied out. */
static int list_remote(reg *r, const char *prefix, char ***keys, int *n, sw_error *err)
{
    if (strcmp(g_list_memo.loc, r->loc) != 0 || sw_clock_now() - g_list_memo.t > MEMO_TTL) {
        list_memo_drop();
        char **all = NULL, **stamps = NULL;
        int na = 0;
        int rc = sw_objstore_list_stamped(r->os, "", &all, &stamps, &na, err);
        if (rc) return rc;
        g_list_memo.keys = all;
        g_list_memo.stamps = stamps;
        g_list_memo.n = na;
        g_list_memo.t = sw_clock_now();
        snprintf(g_list_memo.loc, sizeof g_list_memo.loc, "%s", r->loc);
    }
    size_t pl = strlen(prefix), bytes = 0;
    int m = 0;
    for (int i = 0; i < g_list_memo.n; i++)
        if (!strncmp(g_list_memo.keys[i], prefix, pl)) m++, bytes += strlen(g_list_memo.keys[i]) + 1;
    char **out = sw_malloc(sizeof *out * (size_t)(m + 1) + bytes + 1);
    if (!out) return sw_fail(err, SW_NOMEM, "out of memory");
    char *p = (char *)(out + m + 1);
    int j = 0;
    for (int i = 0; i < g_list_memo.n; i++)
        if (!strncmp(g_list_memo.keys[i], prefix, pl)) {
            out[j++] = p;
            strcpy(p, g_list_memo.keys[i]);
            p += strlen(p) + 1;
        }
    out[j] = NULL;
    *keys = out;
    *n = m;
    return SW_OK;
}

static int reg_list(reg *r, const char *prefix, char ***keys, int *n, sw_error *err)
{
    sw_error e;
    sw_error_clear(&e);
    int rc = r->remote ? list_remote(r, prefix, keys, n, &e) : sw_objstore_list(r->os, prefix, keys, n, &e);
    if (rc == SW_NET && r->remote) {
        struct stat sb;
        if (stat(r->copies, &sb) == 0) {
            mark_offline(r, &e);
            return list_copies(r, prefix, keys, n, err);
        }
    }
    if (rc && err) *err = e;
    return rc;
}

/* ---- manifest JSON ---- */

static int manifest_to_json(const sw_manifest *m, char **out, size_t *len)
{
    sw_jw *w = sw_jw_create(SW_JW_JSON_PRETTY);
    if (!w) return SW_NOMEM;
    sw_jw_obj_begin(w);
    sw_jw_kstr(w, "system", m->system);
    sw_jw_kstr(w, "version", m->version);
    sw_jw_kstr(w, "created", m->created);
    sw_jw_key(w, "training");
    sw_jw_obj_begin(w);
    sw_jw_kstr(w, "from", m->train_from);
    sw_jw_kstr(w, "to", m->train_to);
    sw_jw_kint(w, "rows", m->train_rows);
    sw_jw_obj_end(w);
    sw_jw_kstr(w, "feature_set", m->feature_set);
    sw_jw_key(w, "features");
    sw_jw_arr_begin(w);
    for (int i = 0; i < m->n_features; i++) sw_jw_str(w, m->features[i]);
    sw_jw_arr_end(w);
    sw_jw_key(w, "metrics");
    sw_jw_obj_begin(w);
    for (int i = 0; i < m->n_metrics; i++) {
        sw_jw_key(w, m->metric_name[i]);
        sw_jw_f64(w, m->metric[i]);
    }
    sw_jw_obj_end(w);
    sw_jw_kstr(w, "params", m->params);
    sw_jw_kstr(w, "parent", m->parent);
    sw_jw_kstr(w, "source", m->source);
    sw_jw_key(w, "files");
    sw_jw_arr_begin(w);
    for (int i = 0; i < m->n_files; i++) {
        sw_jw_obj_begin(w);
        sw_jw_kstr(w, "role", m->files[i].role);
        sw_jw_kstr(w, "name", m->files[i].name);
        sw_jw_kint(w, "bytes", m->files[i].bytes);
        sw_jw_kstr(w, "sha256", m->files[i].sha256);
        sw_jw_obj_end(w);
    }
    sw_jw_arr_end(w);
    sw_jw_obj_end(w);
    const char *buf;
    size_t n;
    int rc = sw_jw_finish(w, &buf, &n);
    if (rc == SW_OK) {
        *out = sw_malloc(n + 1);
        if (*out) {
            memcpy(*out, buf, n);
            (*out)[n] = '\n';
            *len = n + 1;
        } else {
            rc = SW_NOMEM;
        }
    }
    sw_jw_free(w);
    return rc;
}

static void get_str(const sw_json *doc, sw_jnode obj, const char *key, char *dst, size_t cap)
{
    dst[0] = 0;
    sw_jnode n = sw_json_get(doc, obj, key);
    size_t len;
    const char *s = n == SW_JNONE ? NULL : sw_json_str(doc, n, &len);
    if (!s) return;
    if (len >= cap) len = cap - 1;
    memcpy(dst, s, len);
    dst[len] = 0;
}

static int manifest_parse(const char *path, const char *data, size_t len, sw_manifest *m, sw_error *err)
{
    memset(m, 0, sizeof *m);
    sw_json *doc = NULL;
    int rc = sw_json_parse(path, data, len, &doc, err);
    if (rc) return rc;
    sw_jnode root = sw_json_root(doc);
    if (sw_json_type_of(doc, root) != SW_JSON_OBJECT) {
        rc = sw_error_set(err, SW_FORMAT, path, 0, 0, 0, "a manifest is a JSON object");
        goto done;
    }
    get_str(doc, root, "system", m->system, sizeof m->system);
    get_str(doc, root, "version", m->version, sizeof m->version);
    get_str(doc, root, "created", m->created, sizeof m->created);
    get_str(doc, root, "feature_set", m->feature_set, sizeof m->feature_set);
    get_str(doc, root, "params", m->params, sizeof m->params);
    get_str(doc, root, "parent", m->parent, sizeof m->parent);
    get_str(doc, root, "source", m->source, sizeof m->source);
    sw_jnode tr = sw_json_get(doc, root, "training");
    if (tr != SW_JNONE) {
        get_str(doc, tr, "from", m->train_from, sizeof m->train_from);
        get_str(doc, tr, "to", m->train_to, sizeof m->train_to);
        long long rows = 0;
        sw_jnode r = sw_json_get(doc, tr, "rows");
        if (r != SW_JNONE && (rc = sw_json_i64(doc, r, 0, &rows, err))) goto done;
        m->train_rows = (long)rows;
    }
    sw_jnode fs = sw_json_get(doc, root, "features");
    if (fs != SW_JNONE)
        for (sw_jnode c = sw_json_first(doc, fs); c != SW_JNONE && m->n_features < SW_MANIFEST_MAX_FEATURES;
             c = sw_json_next(doc, c)) {
            size_t n;
            const char *s = sw_json_str(doc, c, &n);
            if (!s || n >= sizeof m->features[0]) continue;
            memcpy(m->features[m->n_features], s, n);
            m->features[m->n_features++][n] = 0;
        }
    sw_jnode ms = sw_json_get(doc, root, "metrics");
    if (ms != SW_JNONE)
        for (sw_jnode c = sw_json_first(doc, ms); c != SW_JNONE && m->n_metrics < SW_MANIFEST_MAX_METRICS;
             c = sw_json_next(doc, c)) {
            size_t n;
            const char *k = sw_json_key(doc, c, &n);
            double v = NAN;
            if (sw_json_type_of(doc, c) == SW_JSON_NUMBER && (rc = sw_json_f64(doc, c, 0, &v, err))) goto done;
            if (!k || n >= sizeof m->metric_name[0]) continue;
            memcpy(m->metric_name[m->n_metrics], k, n);
            m->metric_name[m->n_metrics][n] = 0;
            m->metric[m->n_metrics++] = v;
        }
    sw_jnode files = sw_json_get(doc, root, "files");
    if (files == SW_JNONE || sw_json_type_of(doc, files) != SW_JSON_ARRAY) {
        rc = sw_error_set(err, SW_FORMAT, path, 0, 0, -1, "manifest lists no files");
        goto done;
    }
    for (sw_jnode c = sw_json_first(doc, files); c != SW_JNONE; c = sw_json_next(doc, c)) {
        if (m->n_files >= SW_MANIFEST_MAX_FILES) {
            rc = sw_error_set(err, SW_FORMAT, path, 0, 0, sw_json_offset(doc, c), "more than %d files",
                              SW_MANIFEST_MAX_FILES);
            goto done;
        }
        sw_manifest_file *f = &m->files[m->n_files++];
        get_str(doc, c, "role", f->role, sizeof f->role);
        get_str(doc, c, "name", f->name, sizeof f->name);
        get_str(doc, c, "sha256", f->sha256, sizeof f->sha256);
        long long b = -1;
        sw_jnode bn = sw_json_get(doc, c, "bytes");
        if (bn != SW_JNONE && (rc = sw_json_i64(doc, bn, 0, &b, err))) goto done;
        f->bytes = b;
        if (!valid_name(f->name, sizeof f->name) || strlen(f->sha256) != 64 || !f->role[0]) {
            rc = sw_error_set(err, SW_FORMAT, path, 0, 0, sw_json_offset(doc, c),
                              "file entry %d needs a plain name, a role and a sha256", m->n_files);
            goto done;
        }
    }
    if (!valid_name(m->system, sizeof m->system) || !valid_name(m->version, sizeof m->version))
        rc = sw_error_set(err, SW_FORMAT, path, 0, 0, -1, "manifest needs a system and a version");
done:
    sw_json_free(doc);
    return rc;
}


static int manifest_key(const char *system, const char *version, char *key, size_t cap, sw_error *err)
{
    if (!valid_name(system, 32) || !valid_name(version, 64))
        return sw_fail(err, SW_ARG, "invalid system or version name '%s' '%s'", system, version);
    snprintf(key, cap, "%s/%s/manifest.json", system, version);
    return SW_OK;
}

static int reg_manifest(reg *r, const char *system, const char *version, sw_manifest *m, sw_error *err)
{
    char key[256], where[2400];
    int rc = manifest_key(system, version, key, sizeof key, err);
    if (rc) return rc;
    snprintf(where, sizeof where, "%s/%s", r->loc, key);
    unsigned char *data = NULL;
    size_t len = 0;
    rc = reg_get(r, key, MANIFEST_MAX, &data, &len, NULL, err);
    if (rc == SW_NOT_FOUND)
        return sw_error_set(err, SW_NOT_FOUND, where, 0, 0, -1, "no version '%s' of system '%s' in the store",
                            version, system);
    if (rc) return rc;
    rc = manifest_parse(where, (const char *)data, len, m, err);
    sw_free(data);
    if (rc == SW_OK && (strcmp(m->system, system) != 0 || strcmp(m->version, version) != 0))
        rc = sw_error_set(err, SW_CORRUPT, where, 0, 0, -1, "manifest names %s %s, not %s %s", m->system, m->version,
                          system, version);
    return rc;
}

int sw_registry_manifest(const char *dir, const char *system, const char *version, sw_manifest *m, sw_error *err)
{
    reg r;
    int rc = reg_begin(dir, &r, err);
    if (rc) return rc;
    rc = reg_manifest(&r, system, version, m, err);
    reg_end(&r);
    return rc;
}

/* ---- stages ---- */

static const char *const stage_names[] = {"candidate", "shadow", "canary", "champion", "rolled_back", "archived"};

const char *sw_stage_name(sw_stage s)
{
    return (unsigned)s < sizeof stage_names / sizeof stage_names[0] ? stage_names[s] : "?";
}

static int stage_parse(const char *s, sw_stage *out)
{
    for (int i = 0; i < (int)(sizeof stage_names / sizeof stage_names[0]); i++)
        if (!strcmp(s, stage_names[i])) {
            *out = (sw_stage)i;
            return 0;
        }
    return -1;
}

sw_stage sw_reg_stage_of(const sw_reg_state *st, const char *version, int *share)
{
    if (share) *share = 0;
    if (!strcmp(st->champion, version)) {
        if (share) *share = 100;
        return SW_STAGE_CHAMPION;
    }
    if (st->rollout[0] && !strcmp(st->rollout, version)) {
        if (share && st->rollout_stage == SW_STAGE_CANARY) *share = st->share;
        return st->rollout_stage;
    }
    for (int i = st->n_marks - 1; i >= 0; i--)
        if (!strcmp(st->mark_version[i], version)) return st->mark[i];
    return SW_STAGE_CANDIDATE;
}

static void stage_text(const sw_reg_state *st, const char *version, char out[24])
{
    int share;
    sw_stage s = sw_reg_stage_of(st, version, &share);
    if (s == SW_STAGE_CANARY) snprintf(out, 24, "canary %d%%", share);
    else snprintf(out, 24, "%s", sw_stage_name(s));
}

void sw_registry_state_free(sw_reg_state *st)
{
    sw_free(st->events);
    st->events = NULL;
    st->n_events = 0;
}

/* ---- the pointer (<system>/champion.json) ---- */

static int state_parse(const char *where, const unsigned char *data, size_t len, sw_reg_state *st, sw_error *err)
{
    sw_json *doc = NULL;
    int rc = sw_json_parse(where, (const char *)data, len, &doc, err);
    if (rc) return rc;
    sw_jnode root = sw_json_root(doc);
    if (sw_json_type_of(doc, root) != SW_JSON_OBJECT) {
        sw_json_free(doc);
        return sw_error_set(err, SW_CORRUPT, where, 0, 0, 0, "the pointer is not a JSON object");
    }
    get_str(doc, root, "champion", st->champion, sizeof st->champion);
    sw_jnode h = sw_json_get(doc, root, "history");
    if (h != SW_JNONE)
        for (sw_jnode c = sw_json_first(doc, h); c != SW_JNONE && st->n_history < SW_REG_HISTORY_MAX;
             c = sw_json_next(doc, c)) {
            size_t n;
            const char *s = sw_json_str(doc, c, &n);
            if (!s || n >= 64) continue;
            memcpy(st->history[st->n_history], s, n);
            st->history[st->n_history++][n] = 0;
        }
    sw_jnode ro = sw_json_get(doc, root, "rollout");
    if (ro != SW_JNONE && sw_json_type_of(doc, ro) == SW_JSON_OBJECT) {
        char stage[24];
        get_str(doc, ro, "version", st->rollout, sizeof st->rollout);
        get_str(doc, ro, "stage", stage, sizeof stage);
        get_str(doc, ro, "since", st->since, sizeof st->since);
        get_str(doc, ro, "baseline", st->baseline, sizeof st->baseline);
        long long share = 0;
        sw_jnode sh = sw_json_get(doc, ro, "share");
        if (sh != SW_JNONE) sw_json_i64(doc, sh, 0, &share, NULL);
        st->share = (int)share;
        if (stage_parse(stage, &st->rollout_stage) ||
            (st->rollout_stage != SW_STAGE_SHADOW && st->rollout_stage != SW_STAGE_CANARY) ||
            (st->rollout_stage == SW_STAGE_CANARY && (share < 1 || share > 99)) || !valid_name(st->rollout, 64))
            rc = sw_error_set(err, SW_CORRUPT, where, 0, 0, sw_json_offset(doc, ro),
                              "invalid rollout (version '%s', stage '%s', share %lld)", st->rollout, stage, share);
    }
    sw_jnode mk = sw_json_get(doc, root, "marks");
    if (mk != SW_JNONE)
        for (sw_jnode c = sw_json_first(doc, mk); c != SW_JNONE && st->n_marks < SW_REG_MARKS_MAX;
             c = sw_json_next(doc, c)) {
            size_t n;
            const char *k = sw_json_key(doc, c, &n);
            char v[24];
            size_t vn;
            const char *s = sw_json_str(doc, c, &vn);
            if (!k || n >= 64 || !s || vn >= sizeof v) continue;
            memcpy(v, s, vn);
            v[vn] = 0;
            sw_stage stg;
            if (stage_parse(v, &stg)) continue;
            memcpy(st->mark_version[st->n_marks], k, n);
            st->mark_version[st->n_marks][n] = 0;
            st->mark[st->n_marks++] = stg;
        }
    sw_jnode ev = sw_json_get(doc, root, "events");
    int nev = 0;
    if (ev != SW_JNONE)
        for (sw_jnode c = sw_json_first(doc, ev); c != SW_JNONE; c = sw_json_next(doc, c)) nev++;
    if (rc == SW_OK && nev) {
        st->events = sw_alloc_array((size_t)nev, sizeof *st->events);
        if (!st->events) rc = sw_fail(err, SW_NOMEM, "out of memory");
        for (sw_jnode c = sw_json_first(doc, ev); rc == SW_OK && c != SW_JNONE; c = sw_json_next(doc, c)) {
            sw_reg_event *e = &st->events[st->n_events++];
            memset(e, 0, sizeof *e);
            get_str(doc, c, "at", e->at, sizeof e->at);
            get_str(doc, c, "actor", e->actor, sizeof e->actor);
            get_str(doc, c, "command", e->command, sizeof e->command);
            get_str(doc, c, "action", e->action, sizeof e->action);
            get_str(doc, c, "version", e->version, sizeof e->version);
            get_str(doc, c, "from", e->from, sizeof e->from);
            get_str(doc, c, "to", e->to, sizeof e->to);
            get_str(doc, c, "note", e->note, sizeof e->note);
        }
    }
    sw_json_free(doc);
    if (rc == SW_OK && st->champion[0] && !valid_name(st->champion, 64))
        rc = sw_error_set(err, SW_CORRUPT, where, 0, 0, -1, "invalid champion '%s'", st->champion);
    if (rc) sw_registry_state_free(st);
    return rc;
}

void sw_reg_event_json(sw_jw *w, const sw_reg_event *e)
{
    sw_jw_obj_begin(w);
    sw_jw_kstr(w, "at", e->at);
    sw_jw_kstr(w, "actor", e->actor);
    sw_jw_kstr(w, "command", e->command);
    sw_jw_kstr(w, "action", e->action);
    sw_jw_kstr(w, "version", e->version);
    sw_jw_kstr(w, "from", e->from);
    sw_jw_kstr(w, "to", e->to);
    sw_jw_kstr(w, "note", e->note);
    sw_jw_obj_end(w);
}

static int state_json(const sw_reg_state *st, const char **buf, size_t *n, sw_jw **wout)
{
    sw_jw *w = sw_jw_create(SW_JW_JSON_PRETTY);
    if (!w) return SW_NOMEM;
    sw_jw_obj_begin(w);
    sw_jw_kstr(w, "champion", st->champion);
    sw_jw_key(w, "history");
    sw_jw_arr_begin(w);
    for (int i = 0; i < st->n_history; i++) sw_jw_str(w, st->history[i]);
    sw_jw_arr_end(w);
    if (st->rollout[0]) {
        sw_jw_key(w, "rollout");
        sw_jw_obj_begin(w);
        sw_jw_kstr(w, "version", st->rollout);
        sw_jw_kstr(w, "stage", sw_stage_name(st->rollout_stage));
        sw_jw_kint(w, "share", st->rollout_stage == SW_STAGE_CANARY ? st->share : 0);
        sw_jw_kstr(w, "since", st->since);
        sw_jw_kstr(w, "baseline", st->baseline);
        sw_jw_obj_end(w);
    }
    sw_jw_key(w, "marks");
    sw_jw_obj_begin(w);
    for (int i = 0; i < st->n_marks; i++) sw_jw_kstr(w, st->mark_version[i], sw_stage_name(st->mark[i]));
    sw_jw_obj_end(w);
    sw_jw_key(w, "events");
    sw_jw_arr_begin(w);
    for (int i = 0; i < st->n_events; i++) sw_reg_event_json(w, &st->events[i]);
    sw_jw_arr_end(w);
    sw_jw_obj_end(w);
    *wout = w;
    return sw_jw_finish(w, buf, n);
}

static int reg_state(reg *r, const char *system, sw_reg_state *st, char etag[SW_ETAG_MAX], sw_error *err)
{
    memset(st, 0, sizeof *st);
    if (etag) etag[0] = 0;
    if (!valid_name(system, 32)) return sw_fail(err, SW_ARG, "invalid system name '%s'", system);
    char key[64], where[2200];
    snprintf(key, sizeof key, "%s/champion.json", system);
    snprintf(where, sizeof where, "%s/%s", r->loc, key);
    unsigned char *data = NULL;
    size_t len = 0;
    int rc = reg_get(r, key, POINTER_MAX, &data, &len, etag, err);
    if (rc == SW_NOT_FOUND) {
        if (etag) etag[0] = 0;
        return SW_OK; /* no pointer yet: the conditional write requires it absent */
    }
    if (rc) return rc;
    rc = state_parse(where, data, len, st, err);
    sw_free(data);
    return rc;
}

int sw_registry_state(const char *store, const char *system, sw_reg_state *st, sw_error *err)
{
    reg r;
    memset(st, 0, sizeof *st);
    int rc = reg_begin(store, &r, err);
    if (rc) return rc;
    rc = reg_state(&r, system, st, NULL, err);
    reg_end(&r);
    return rc;
}

static int add_event(sw_reg_state *st, const char *action, const char *version, const char *from, const char *to,
                     const char *note, sw_error *err)
{
    sw_reg_event *ne = sw_realloc(st->events, sizeof *ne * (size_t)(st->n_events + 1));
    if (!ne) return sw_fail(err, SW_NOMEM, "out of memory");
    st->events = ne;
    sw_reg_event *e = &ne[st->n_events++];
    memset(e, 0, sizeof *e);
    now_utc(e->at, NULL);
    actor(e->actor);
    snprintf(e->command, sizeof e->command, "%s", g_cfg.command);
    snprintf(e->action, sizeof e->action, "%s", action);
    snprintf(e->version, sizeof e->version, "%s", version ? version : "");
    snprintf(e->from, sizeof e->from, "%s", from ? from : "");
    snprintf(e->to, sizeof e->to, "%s", to ? to : "");
    snprintf(e->note, sizeof e->note, "%s", note ? note : "");
    return SW_OK;
}

/* Write the pointer only if it is still the one read (etag; "" = absent). */
static int reg_put_state(reg *r, const char *system, const sw_reg_state *st, const char *etag, sw_error *err)
{
    const char *buf;
    size_t n;
    sw_jw *w = NULL;
    int rc = state_json(st, &buf, &n, &w);
    if (rc) {
        sw_jw_free(w);
        return sw_fail(err, rc, "out of memory");
    }
    char key[64];
    snprintf(key, sizeof key, "%s/champion.json", system);
    sw_error e;
    sw_error_clear(&e);
    rc = sw_objstore_put(r->os, key, buf, n, etag, NULL, &e);
    if (r->remote) {
        int i = memo_slot(r, key, 0);
        if (i >= 0) g_memo[i].key[0] = 0;
        if (rc == SW_OK) memo_put(r, key, buf, n);
    }
    if (rc == SW_CONFLICT)
        rc = sw_error_set(err, SW_CONFLICT, key, 0, 0, -1,
                          "%s/%s was changed by another writer since it was read; nothing was changed (run the "
                          "command again)",
                          r->loc, key);
    else if (rc && err) *err = e;
    else if (r->remote) save_copy(r, key, buf, n);
    sw_jw_free(w);
    return rc;
}

static void mark_set(sw_reg_state *st, const char *version, sw_stage s)
{
    for (int i = 0; i < st->n_marks; i++)
        if (!strcmp(st->mark_version[i], version)) {
            if (s == SW_STAGE_CANDIDATE) {
                memmove(&st->mark_version[i], &st->mark_version[i + 1], sizeof st->mark_version[0] * (size_t)(st->n_marks - i - 1));
                memmove(&st->mark[i], &st->mark[i + 1], sizeof st->mark[0] * (size_t)(st->n_marks - i - 1));
                st->n_marks--;
            } else {
                st->mark[i] = s;
            }
            return;
        }
    if (s == SW_STAGE_CANDIDATE) return;
    if (st->n_marks == SW_REG_MARKS_MAX) { /* the oldest mark goes */
        memmove(&st->mark_version[0], &st->mark_version[1], sizeof st->mark_version[0] * (SW_REG_MARKS_MAX - 1));
        memmove(&st->mark[0], &st->mark[1], sizeof st->mark[0] * (SW_REG_MARKS_MAX - 1));
        st->n_marks--;
    }
    snprintf(st->mark_version[st->n_marks], 64, "%s", version);
    st->mark[st->n_marks++] = s;
}

static void push_history(sw_reg_state *st)
{
    if (!st->champion[0]) return;
    if (st->n_history == SW_REG_HISTORY_MAX) {
        memmove(st->history[0], st->history[1], sizeof st->history[0] * (SW_REG_HISTORY_MAX - 1));
        st->n_history--;
    }
    memcpy(st->history[st->n_history++], st->champion, sizeof st->champion);
}

int sw_registry_champion(const char *dir, const char *system, char version[64], sw_error *err)
{
    version[0] = 0;
    sw_reg_state st;
    int rc = sw_registry_state(dir, system, &st, err);
    if (rc) return rc;
    if (st.champion[0]) snprintf(version, 64, "%s", st.champion);
    else rc = sw_fail(err, SW_NOT_FOUND, "no champion for system '%s' in %s", system, dir);
    sw_registry_state_free(&st);
    return rc;
}

/* ---- files ---- */

static const sw_manifest_file *file_of(const sw_manifest *m, const char *role)
{
    for (int i = 0; i < m->n_files; i++)
        if (strcmp(m->files[i].role, role) == 0) return &m->files[i];
    return NULL;
}

static int check_sha(const char *where, const unsigned char *data, size_t len, const char *want, sw_error *err)
{
    char hex[65];
    sw_sha256_hex(data, len, hex);
    if (strcmp(hex, want) == 0) return SW_OK;
    return sw_error_set(err, SW_CORRUPT, where, 0, 0, -1,
                        "checksum mismatch: sha256 %.16s... but the manifest says %.16s...; refusing the file", hex,
                        want);
}

/* A version's file, verified.  Remote: from the cache when it holds the
 * object (verified again), else downloaded, verified and then cached. */
static int reg_read(reg *r, const sw_manifest *m, const char *role, unsigned char **data, size_t *len, sw_error *err)
{
    *data = NULL;
    const sw_manifest_file *f = file_of(m, role);
    if (!f) return sw_fail(err, SW_NOT_FOUND, "%s %s has no '%s' file", m->system, m->version, role);
    char key[256], where[2400];
    snprintf(key, sizeof key, "%s/%s/%s", m->system, m->version, f->name);
    snprintf(where, sizeof where, "%s/%s", r->loc, key);
    int rc;
    if (r->remote) {
        char cpath[2800];
        snprintf(cpath, sizeof cpath, "%s/%s", r->objects, f->sha256);
        if (sw_file_exists(cpath) && sw_read_file(cpath, 0, data, len, NULL) == SW_OK) {
            if (check_sha(cpath, *data, *len, f->sha256, NULL) == SW_OK) return SW_OK;
            sw_free(*data); /* a damaged cache entry: fetch again */
            *data = NULL;
            unlink(cpath);
        }
        rc = sw_objstore_get(r->os, key, 0, data, len, NULL, err);
        if (rc) return rc;
        if ((rc = check_sha(where, *data, *len, f->sha256, err))) {
            sw_free(*data);
            *data = NULL;
            return rc;
        }
        sw_error e;
        if (sw_mkdirs(r->objects, &e) == SW_OK) sw_write_file_atomic(cpath, *data, *len, &e);
        return SW_OK;
    }
    const char *dir = sw_objstore_dir(r->os);
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, key);
    if ((rc = sw_read_file(path, 0, data, len, err))) return rc;
    if ((rc = check_sha(path, *data, *len, f->sha256, err))) {
        sw_free(*data);
        *data = NULL;
    }
    return rc;
}

int sw_registry_read(const char *dir, const sw_manifest *m, const char *role, unsigned char **data, size_t *len,
                     sw_error *err)
{
    reg r;
    *data = NULL;
    int rc = reg_begin(dir, &r, err);
    if (rc) return rc;
    rc = reg_read(&r, m, role, data, len, err);
    reg_end(&r);
    return rc;
}

static int verify_all(reg *r, const sw_manifest *m, sw_error *err)
{
    for (int i = 0; i < m->n_files; i++) {
        unsigned char *d = NULL;
        size_t n;
        int rc = reg_read(r, m, m->files[i].role, &d, &n, err);
        sw_free(d);
        if (rc) return rc;
    }
    return SW_OK;
}

/* ---- registering ---- */

static int same_files(const sw_manifest *a, const sw_manifest *b)
{
    int same = a->n_files == b->n_files;
    for (int i = 0; same && i < a->n_files; i++)
        same = !strcmp(a->files[i].sha256, b->files[i].sha256) && !strcmp(a->files[i].role, b->files[i].role) &&
               !strcmp(a->files[i].name, b->files[i].name);
    return same;
}

/* Files first, the manifest last and only if absent: a version is visible
 * whole or not at all.  The same files again are a no-op (*m = the stored
 * manifest); other files under the version are SW_ARG. */
static int put_version(reg *r, sw_manifest *m, const sw_reg_blob *blobs, int n_blobs, sw_error *err)
{
    sw_manifest old;
    sw_error e;
    sw_error_clear(&e);
    int rc = reg_manifest(r, m->system, m->version, &old, &e);
    for (int attempt = 0; attempt < 2; attempt++) {
        if (rc == SW_OK) {
            if (!same_files(&old, m))
                return sw_fail(err, SW_ARG, "version '%s' of '%s' already exists with other files", m->version,
                               m->system);
            *m = old;
            return SW_OK;
        }
        if (rc != SW_NOT_FOUND || attempt) {
            if (err) *err = e;
            return rc;
        }
        char key[256];
        for (int i = 0; i < n_blobs; i++) {
            snprintf(key, sizeof key, "%s/%s/%s", m->system, m->version, blobs[i].name);
            if ((rc = sw_objstore_put(r->os, key, blobs[i].data, blobs[i].len, NULL, NULL, err))) return rc;
        }
        char *js = NULL;
        size_t jl = 0;
        if ((rc = manifest_to_json(m, &js, &jl))) return sw_fail(err, rc, "out of memory");
        snprintf(key, sizeof key, "%s/%s/manifest.json", m->system, m->version);
        rc = sw_objstore_put(r->os, key, js, jl, "", NULL, &e);
        list_memo_drop();
        if (rc == SW_OK && r->remote) save_copy(r, key, js, jl);
        sw_free(js);
        if (rc == SW_OK) return SW_OK;
        if (rc != SW_CONFLICT) {
            if (err) *err = e;
            return rc;
        }
        rc = reg_manifest(r, m->system, m->version, &old, &e); /* another writer was first */
    }
    return rc;
}

int sw_registry_add(const char *dir, sw_manifest *m, const sw_reg_blob *blobs, int n_blobs, int promote,
                    sw_error *err)
{
    if (!valid_name(m->system, sizeof m->system)) return sw_fail(err, SW_ARG, "invalid system name '%s'", m->system);
    if (n_blobs < 1 || n_blobs > SW_MANIFEST_MAX_FILES)
        return sw_fail(err, SW_ARG, "a version holds 1 to %d files", SW_MANIFEST_MAX_FILES);
    sw_sha256 all;
    sw_sha256_init(&all);
    m->n_files = n_blobs;
    for (int i = 0; i < n_blobs; i++) {
        if (!valid_name(blobs[i].name, sizeof m->files[i].name) || strcmp(blobs[i].name, "manifest.json") == 0 ||
            strcmp(blobs[i].name, "champion.json") == 0)
            return sw_fail(err, SW_ARG, "invalid file name '%s'", blobs[i].name);
        for (int j = 0; j < i; j++)
            if (!strcmp(blobs[i].role, blobs[j].role) || !strcmp(blobs[i].name, blobs[j].name))
                return sw_fail(err, SW_ARG, "file role or name given twice ('%s')", blobs[i].name);
        sw_manifest_file *f = &m->files[i];
        snprintf(f->role, sizeof f->role, "%s", blobs[i].role);
        snprintf(f->name, sizeof f->name, "%s", blobs[i].name);
        f->bytes = (long long)blobs[i].len;
        sw_sha256_hex(blobs[i].data, blobs[i].len, f->sha256);
        sw_sha256_update(&all, f->sha256, 64);
    }
    unsigned char digest[32];
    sw_sha256_final(&all, digest);
    char compact[16];
    now_utc(m->created, compact);
    if (!m->version[0])
        snprintf(m->version, sizeof m->version, "%s-%02x%02x%02x%02x", compact, digest[0], digest[1], digest[2],
                 digest[3]);
    if (!valid_name(m->version, sizeof m->version)) return sw_fail(err, SW_ARG, "invalid version '%s'", m->version);

    reg r;
    int rc = reg_begin(dir, &r, err);
    if (rc) return rc;
    sw_reg_state st;
    char etag[SW_ETAG_MAX];
    if ((rc = reg_state(&r, m->system, &st, etag, err))) goto out;
    snprintf(m->parent, sizeof m->parent, "%s", st.champion);
    if ((rc = put_version(&r, m, blobs, n_blobs, err))) goto out;
    if ((promote || !st.champion[0]) && strcmp(st.champion, m->version) != 0) {
        char from[24];
        stage_text(&st, m->version, from);
        push_history(&st);
        snprintf(st.champion, sizeof st.champion, "%s", m->version);
        if (!strcmp(st.rollout, m->version)) st.rollout[0] = 0;
        mark_set(&st, m->version, SW_STAGE_CANDIDATE);
        if ((rc = add_event(&st, "promote", m->version, from, "champion",
                            st.n_history ? "registered and promoted" : "registered: the system's first version",
                            err)) == SW_OK)
            rc = reg_put_state(&r, m->system, &st, etag, err);
    }
out:
    sw_registry_state_free(&st);
    reg_end(&r);
    return rc;
}

/* ---- stage changes ---- */

static int rank(sw_stage s)
{
    switch (s) {
    case SW_STAGE_SHADOW: return 1;
    case SW_STAGE_CANARY: return 2;
    case SW_STAGE_CHAMPION: return 3;
    default: return 0; /* candidate, rolled back: may enter a rollout again */
    }
}

int sw_registry_rollout(const char *store, const char *system, const char *version, sw_stage to, int share,
                        const char *note, sw_error *err)
{
    if (to != SW_STAGE_SHADOW && to != SW_STAGE_CANARY && to != SW_STAGE_CHAMPION)
        return sw_fail(err, SW_ARG, "a rollout moves a version to shadow, a canary share or champion");
    if (to == SW_STAGE_CANARY && (share < 1 || share > 99))
        return sw_fail(err, SW_ARG, "a canary share is 1 to 99 percent (100 is champion), not %d", share);
    reg r;
    int rc = reg_begin(store, &r, err);
    if (rc) return rc;
    sw_manifest m;
    sw_reg_state st;
    memset(&st, 0, sizeof st);
    char etag[SW_ETAG_MAX];
    if ((rc = reg_manifest(&r, system, version, &m, err)) || (rc = verify_all(&r, &m, err)) ||
        (rc = reg_state(&r, system, &st, etag, err)))
        goto out;
    int cur_share;
    sw_stage cur = sw_reg_stage_of(&st, version, &cur_share);
    char from[24], target[24];
    stage_text(&st, version, from);
    if (to == SW_STAGE_CANARY) snprintf(target, sizeof target, "canary %d%%", share);
    else snprintf(target, sizeof target, "%s", sw_stage_name(to));
    if (cur == SW_STAGE_ARCHIVED) {
        rc = sw_fail(err, SW_ARG, "%s %s is archived", system, version);
        goto out;
    }
    if (cur == SW_STAGE_CHAMPION) {
        rc = sw_fail(err, SW_ARG, "%s %s is already the champion", system, version);
        goto out;
    }
    if (st.rollout[0] && strcmp(st.rollout, version) != 0) {
        rc = sw_fail(err, SW_ARG, "%s %s is in rollout (%s); finish it or 'swish models rollback %s' first", system,
                     st.rollout, st.rollout_stage == SW_STAGE_CANARY ? "canary" : "shadow", system);
        goto out;
    }
    if (rank(to) < rank(cur) || (to == cur && (to != SW_STAGE_CANARY || share <= cur_share))) {
        rc = sw_fail(err, SW_ARG, "%s %s is at %s: a rollout only moves forward (to %s refused; 'swish models "
                     "rollback %s' ends it)",
                     system, version, from, target, system);
        goto out;
    }
    char now[24];
    now_utc(now, NULL);
    if (to == SW_STAGE_CHAMPION) {
        push_history(&st);
        snprintf(st.champion, sizeof st.champion, "%s", version);
        st.rollout[0] = 0;
    } else {
        if (!st.rollout[0]) snprintf(st.baseline, sizeof st.baseline, "%s", st.champion);
        snprintf(st.rollout, sizeof st.rollout, "%s", version);
        st.rollout_stage = to;
        st.share = to == SW_STAGE_CANARY ? share : 0;
        snprintf(st.since, sizeof st.since, "%s", now);
    }
    mark_set(&st, version, SW_STAGE_CANDIDATE);
    if ((rc = add_event(&st, to == SW_STAGE_CHAMPION && cur == SW_STAGE_CANDIDATE ? "promote" : "rollout", version,
                        from, target, note, err)) == SW_OK)
        rc = reg_put_state(&r, system, &st, etag, err);
out:
    sw_registry_state_free(&st);
    reg_end(&r);
    return rc;
}

int sw_registry_promote(const char *dir, const char *system, const char *version, sw_error *err)
{
    return sw_registry_rollout(dir, system, version, SW_STAGE_CHAMPION, 100, "promoted by hand", err);
}

int sw_registry_rollback_note(const char *store, const char *system, const char *note, char version[64],
                              char ended[64], sw_error *err)
{
    version[0] = 0;
    if (ended) ended[0] = 0;
    reg r;
    int rc = reg_begin(store, &r, err);
    if (rc) return rc;
    sw_reg_state st;
    char etag[SW_ETAG_MAX], from[24], out_v[64];
    if ((rc = reg_state(&r, system, &st, etag, err))) goto out;
    if (st.rollout[0]) {
        stage_text(&st, st.rollout, from);
        snprintf(out_v, sizeof out_v, "%s", st.rollout);
        st.rollout[0] = 0;
    } else {
        if (st.n_history == 0) {
            rc = sw_fail(err, SW_NOT_FOUND, "system '%s' has no rollout in progress and no previous champion to roll "
                         "back to", system);
            goto out;
        }
        sw_manifest m;
        const char *prev = st.history[st.n_history - 1];
        if ((rc = reg_manifest(&r, system, prev, &m, err)) || (rc = verify_all(&r, &m, err))) goto out;
        snprintf(from, sizeof from, "champion");
        snprintf(out_v, sizeof out_v, "%s", st.champion);
        memmove(st.champion, prev, sizeof st.champion);
        st.n_history--;
    }
    mark_set(&st, out_v, SW_STAGE_ROLLED_BACK);
    if ((rc = add_event(&st, "rollback", out_v, from, "rolled_back", note, err)) == SW_OK &&
        (rc = reg_put_state(&r, system, &st, etag, err)) == SW_OK) {
        snprintf(version, 64, "%s", st.champion);
        if (ended) snprintf(ended, 64, "%s", out_v);
    }
out:
    sw_registry_state_free(&st);
    reg_end(&r);
    return rc;
}

int sw_registry_rollback(const char *dir, const char *system, char version[64], sw_error *err)
{
    return sw_registry_rollback_note(dir, system, "rolled back by hand", version, NULL, err);
}

int sw_registry_archive(const char *store, const char *system, const char *version, sw_error *err)
{
    reg r;
    int rc = reg_begin(store, &r, err);
    if (rc) return rc;
    sw_manifest m;
    sw_reg_state st;
    memset(&st, 0, sizeof st);
    char etag[SW_ETAG_MAX], from[24];
    if ((rc = reg_manifest(&r, system, version, &m, err)) || (rc = reg_state(&r, system, &st, etag, err))) goto out;
    sw_stage cur = sw_reg_stage_of(&st, version, NULL);
    if (cur == SW_STAGE_CHAMPION || cur == SW_STAGE_SHADOW || cur == SW_STAGE_CANARY) {
        rc = sw_fail(err, SW_ARG, "%s %s is %s: only a version that does not serve can be archived", system, version,
                     sw_stage_name(cur));
        goto out;
    }
    stage_text(&st, version, from);
    mark_set(&st, version, SW_STAGE_ARCHIVED);
    if ((rc = add_event(&st, "archive", version, from, "archived", "", err)) == SW_OK)
        rc = reg_put_state(&r, system, &st, etag, err);
out:
    sw_registry_state_free(&st);
    reg_end(&r);
    return rc;
}

/* ---- listing ---- */

static int cmp_manifest(const void *a, const void *b)
{
    const sw_manifest *x = a, *y = b;
    int c = strcmp(x->system, y->system);
    if (c) return c;
    c = strcmp(x->created, y->created);
    return c ? c : strcmp(x->version, y->version);
}

/* Every manifest under `prefix` ("" or "<system>/").  With n_bad, an
 * unreadable manifest is counted and skipped; without, it is the error. */
static int collect(reg *r, const char *prefix, sw_manifest **out, int *n, int *n_bad, sw_error *err)
{
    *out = NULL;
    *n = 0;
    char **keys = NULL;
    int nk = 0, cap = 0;
    int rc = reg_list(r, prefix, &keys, &nk, err);
    if (rc == SW_NOT_FOUND) return SW_OK;
    if (rc) return rc;
    for (int i = 0; i < nk && rc == SW_OK; i++) {
        char sys[64], ver[128], file[64];
        const char *k = keys[i], *s1 = strchr(k, '/'), *s2 = s1 ? strchr(s1 + 1, '/') : NULL;
        if (!s1 || !s2 || strchr(s2 + 1, '/') || strcmp(s2 + 1, "manifest.json") != 0) continue;
        if ((size_t)(s1 - k) >= sizeof sys || (size_t)(s2 - s1 - 1) >= sizeof ver) continue;
        snprintf(sys, sizeof sys, "%.*s", (int)(s1 - k), k);
        snprintf(ver, sizeof ver, "%.*s", (int)(s2 - s1 - 1), s1 + 1);
        snprintf(file, sizeof file, "%s", s2 + 1);
        if (!valid_name(sys, 32) || !valid_name(ver, 64)) continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            sw_manifest *nm = sw_realloc(*out, sizeof **out * (size_t)cap);
            if (!nm) {
                rc = sw_fail(err, SW_NOMEM, "out of memory");
                break;
            }
            *out = nm;
        }
        sw_error e;
        sw_error_clear(&e);
        rc = reg_manifest(r, sys, ver, &(*out)[*n], &e);
        if (rc == SW_OK) (*n)++;
        else if (n_bad && rc != SW_NOMEM && rc != SW_NET) (*n_bad)++, rc = SW_OK;
        if (rc && err) *err = e;
        else if (n_bad && *n_bad && err && err->code == SW_OK) *err = e;
    }
    sw_free(keys);
    if (rc) {
        sw_free(*out);
        *out = NULL;
        *n = 0;
        return rc;
    }
    if (*n) qsort(*out, (size_t)*n, sizeof **out, cmp_manifest);
    return SW_OK;
}

int sw_registry_list(const char *dir, sw_manifest **out, int *n, sw_error *err)
{
    reg r;
    *out = NULL;
    *n = 0;
    int rc = reg_begin(dir, &r, err);
    if (rc) return rc;
    rc = collect(&r, "", out, n, NULL, err);
    reg_end(&r);
    return rc;
}

int sw_registry_versions(const char *dir, const char *system, sw_manifest **out, int *n, int *n_bad,
                         sw_error *err)
{
    *out = NULL;
    *n = *n_bad = 0;
    if (!valid_name(system, 32)) return sw_fail(err, SW_ARG, "invalid system name '%s'", system);
    reg r;
    int rc = reg_begin(dir, &r, err);
    if (rc) return rc;
    char prefix[64];
    snprintf(prefix, sizeof prefix, "%s/", system);
    rc = collect(&r, prefix, out, n, n_bad, err);
    reg_end(&r);
    return rc;
}

int sw_registry_exists(const char *store, sw_error *err)
{
    reg r;
    int rc = reg_begin(store, &r, err);
    if (rc) return rc;
    if (!r.remote) {
        struct stat sb;
        const char *dir = sw_objstore_dir(r.os);
        if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
            rc = sw_error_set(err, SW_NOT_FOUND, dir, 0, 0, -1,
                              "the model store does not exist (paths.models or --models; 'swish retrain' creates one)");
    } else {
        char **keys = NULL;
        int n = 0;
        rc = reg_list(&r, "", &keys, &n, err);
        sw_free(keys);
        if (rc == SW_NOT_FOUND)
            rc = sw_error_set(err, SW_NOT_FOUND, r.loc, 0, 0, -1, "the model store does not exist (no such bucket)");
    }
    reg_end(&r);
    return rc;
}

int sw_registry_load_bundle(const char *dir, const char *system, const char *version, sw_model_bundle *b,
                            sw_manifest *m, sw_error *err)
{
    memset(b, 0, sizeof *b);
    reg r;
    int rc = reg_begin(dir, &r, err);
    if (rc) return rc;
    char v[64];
    sw_manifest local;
    if (!m) m = &local;
    if (!version) {
        sw_reg_state st;
        if ((rc = reg_state(&r, system, &st, NULL, err))) goto out;
        snprintf(v, sizeof v, "%s", st.champion);
        sw_registry_state_free(&st);
        if (!v[0]) {
            rc = sw_fail(err, SW_NOT_FOUND, "no champion for system '%s' in %s", system, r.loc);
            goto out;
        }
        version = v;
    }
    if ((rc = reg_manifest(&r, system, version, m, err))) goto out;
    static const char *const roles[3] = {"mean", "q10", "q90"};
    sw_forest **dst[3] = {&b->mean, &b->q_lo, &b->q_hi};
    for (int i = 0; i < 3; i++) {
        const sw_manifest_file *f = file_of(m, roles[i]);
        if (!f) {
            if (i == 0) {
                rc = sw_fail(err, SW_NOT_FOUND, "%s %s has no 'mean' model file", system, version);
                break;
            }
            continue;
        }
        unsigned char *data = NULL;
        size_t len = 0;
        if ((rc = reg_read(&r, m, roles[i], &data, &len, err))) break;
        char name[4096];
        snprintf(name, sizeof name, "%s/%s/%s/%s", r.loc, system, version, f->name);
        rc = sw_model_read(name, data, len, dst[i], err);
        sw_free(data);
        if (rc) break;
    }
    if (rc) {
        sw_forest_free(b->mean);
        sw_forest_free(b->q_lo);
        sw_forest_free(b->q_hi);
        memset(b, 0, sizeof *b);
        goto out;
    }
    snprintf(b->version, sizeof b->version, "%s", version);
    snprintf(b->train_from, sizeof b->train_from, "%s", m->train_from);
    snprintf(b->train_to, sizeof b->train_to, "%s", m->train_to);
out:
    reg_end(&r);
    return rc;
}

/* ---- copying a store ---- */

static int copy_version(reg *src, reg *dst, const sw_manifest *m, FILE *log, sw_sync_stats *ss, sw_error *err)
{
    int rc = SW_OK;
    for (int i = 0; i < m->n_files && rc == SW_OK; i++) {
        const sw_manifest_file *f = &m->files[i];
        unsigned char *data = NULL, *back = NULL;
        size_t len = 0, blen = 0;
        char key[256], where[2400];
        snprintf(key, sizeof key, "%s/%s/%s", m->system, m->version, f->name);
        snprintf(where, sizeof where, "%s/%s", dst->loc, key);
        if ((rc = reg_read(src, m, f->role, &data, &len, err)) == SW_OK &&
            (rc = sw_objstore_put(dst->os, key, data, len, NULL, NULL, err)) == SW_OK &&
            (rc = sw_objstore_get(dst->os, key, 0, &back, &blen, NULL, err)) == SW_OK)
            rc = check_sha(where, back, blen, f->sha256, err); /* what the destination holds */
        if (rc == SW_OK) {
            ss->files_copied++;
            ss->bytes += (long long)len;
        }
        sw_free(data);
        sw_free(back);
    }
    if (rc) return rc;
    char *js = NULL;
    size_t jl = 0;
    if ((rc = manifest_to_json(m, &js, &jl))) return sw_fail(err, rc, "out of memory");
    char key[256];
    snprintf(key, sizeof key, "%s/%s/manifest.json", m->system, m->version);
    rc = sw_objstore_put(dst->os, key, js, jl, "", NULL, err);
    list_memo_drop();
    sw_free(js);
    if (rc == SW_CONFLICT)
        return sw_error_set(err, SW_CONFLICT, key, 0, 0, -1, "%s/%s appeared while copying; run the sync again",
                            dst->loc, key);
    if (rc == SW_OK) {
        ss->versions_copied++;
        if (log) fprintf(log, "copied %s %s (%d files)\n", m->system, m->version, m->n_files);
    }
    return rc;
}

int sw_registry_sync(const char *from, const char *to, FILE *log, sw_sync_stats *stats, sw_error *err)
{
    sw_sync_stats local;
    sw_sync_stats *ss = stats ? stats : &local;
    memset(ss, 0, sizeof *ss);
    reg src, dst;
    int rc = reg_begin(from, &src, err);
    if (rc) return rc;
    if ((rc = reg_begin(to, &dst, err))) {
        reg_end(&src);
        return rc;
    }
    if (!strcmp(src.loc, dst.loc)) {
        rc = sw_fail(err, SW_ARG, "sync: %s is both the source and the destination", src.loc);
        goto out;
    }
    sw_manifest *ms = NULL;
    int n = 0;
    if ((rc = collect(&src, "", &ms, &n, NULL, err))) goto out;
    for (int i = 0; i < n && rc == SW_OK; i++) {
        sw_manifest have;
        sw_error e;
        sw_error_clear(&e);
        int hrc = reg_manifest(&dst, ms[i].system, ms[i].version, &have, &e);
        if (hrc == SW_OK) {
            if (!same_files(&have, &ms[i]))
                rc = sw_fail(err, SW_CONFLICT, "%s %s exists in %s with other files; nothing of it copied",
                             ms[i].system, ms[i].version, dst.loc);
            else
                ss->versions_skipped++;
            continue;
        }
        if (hrc != SW_NOT_FOUND) {
            if (err) *err = e;
            rc = hrc;
            break;
        }
        rc = copy_version(&src, &dst, &ms[i], log, ss, err);
    }
    /* the pointers, once every version they name is there */
    for (int i = 0; i < n && rc == SW_OK; i++) {
        if (i > 0 && !strcmp(ms[i].system, ms[i - 1].system)) continue;
        sw_reg_state a, b;
        char etag[SW_ETAG_MAX];
        if ((rc = reg_state(&src, ms[i].system, &a, NULL, err))) break;
        if ((rc = reg_state(&dst, ms[i].system, &b, etag, err))) {
            sw_registry_state_free(&a);
            break;
        }
        const char *ja, *jb;
        size_t na, nb;
        sw_jw *wa = NULL, *wb = NULL;
        int ra = state_json(&a, &ja, &na, &wa), rb = state_json(&b, &jb, &nb, &wb);
        if (ra || rb) rc = sw_fail(err, SW_NOMEM, "out of memory");
        else if (a.champion[0] && (na != nb || memcmp(ja, jb, na) != 0)) {
            rc = reg_put_state(&dst, ms[i].system, &a, etag, err);
            if (rc == SW_OK) {
                ss->pointers_copied++;
                if (log) fprintf(log, "pointer %s: champion %s\n", ms[i].system, a.champion);
            }
        }
        sw_jw_free(wa);
        sw_jw_free(wb);
        sw_registry_state_free(&a);
        sw_registry_state_free(&b);
    }
    sw_free(ms);
out:
    reg_end(&dst);
    reg_end(&src);
    return rc;
}
