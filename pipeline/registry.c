/* registry: the model store on a local directory (see registry.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/fileio.h"
#include "core/hash.h"
#include "core/json.h"
#include "io/model.h"
#include "registry.h"

#define HISTORY_MAX 32

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

/* ---- locking ---- */

static int lock_store(const char *dir, int *fd, sw_error *err)
{
    int rc = sw_mkdirs(dir, err);
    if (rc) return rc;
    char path[4096];
    snprintf(path, sizeof path, "%s/.lock", dir);
    *fd = open(path, O_RDWR | O_CREAT, 0644);
    if (*fd < 0) return sw_error_set(err, SW_IO, path, 0, 0, -1, "cannot open the store's lock: %s", strerror(errno));
    if (flock(*fd, LOCK_EX) != 0) {
        close(*fd);
        return sw_error_set(err, SW_BUSY, path, 0, 0, -1, "cannot lock the model store: %s", strerror(errno));
    }
    return SW_OK;
}

static void unlock_store(int fd)
{
    if (fd >= 0) {
        flock(fd, LOCK_UN);
        close(fd);
    }
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

int sw_registry_manifest(const char *dir, const char *system, const char *version, sw_manifest *m, sw_error *err)
{
    if (!valid_name(system, 32) || !valid_name(version, 64))
        return sw_fail(err, SW_ARG, "invalid system or version name '%s' '%s'", system, version);
    char path[4096];
    snprintf(path, sizeof path, "%s/%s/%s/manifest.json", dir, system, version);
    if (!sw_file_exists(path))
        return sw_error_set(err, SW_NOT_FOUND, path, 0, 0, -1, "no version '%s' of system '%s' in the store", version,
                            system);
    unsigned char *data = NULL;
    size_t len = 0;
    int rc = sw_read_file(path, 1 << 20, &data, &len, err);
    if (rc) return rc;
    rc = manifest_parse(path, (const char *)data, len, m, err);
    sw_free(data);
    if (rc == SW_OK && (strcmp(m->system, system) != 0 || strcmp(m->version, version) != 0))
        rc = sw_error_set(err, SW_CORRUPT, path, 0, 0, -1, "manifest names %s %s, not %s %s", m->system, m->version,
                          system, version);
    return rc;
}

/* ---- champion.json ---- */

typedef struct {
    char champion[64];
    int n_history;
    char history[HISTORY_MAX][64];
} champ_state;

static int champ_read(const char *dir, const char *system, champ_state *st, sw_error *err)
{
    memset(st, 0, sizeof *st);
    char path[4096];
    snprintf(path, sizeof path, "%s/%s/champion.json", dir, system);
    if (!sw_file_exists(path)) return SW_OK;
    unsigned char *data = NULL;
    size_t len = 0;
    int rc = sw_read_file(path, 1 << 20, &data, &len, err);
    if (rc) return rc;
    sw_json *doc = NULL;
    rc = sw_json_parse(path, (const char *)data, len, &doc, err);
    sw_free(data);
    if (rc) return rc;
    sw_jnode root = sw_json_root(doc);
    get_str(doc, root, "champion", st->champion, sizeof st->champion);
    sw_jnode h = sw_json_get(doc, root, "history");
    if (h != SW_JNONE)
        for (sw_jnode c = sw_json_first(doc, h); c != SW_JNONE && st->n_history < HISTORY_MAX; c = sw_json_next(doc, c)) {
            size_t n;
            const char *s = sw_json_str(doc, c, &n);
            if (!s || n >= 64) continue;
            memcpy(st->history[st->n_history], s, n);
            st->history[st->n_history++][n] = 0;
        }
    sw_json_free(doc);
    if (st->champion[0] && !valid_name(st->champion, 64))
        return sw_error_set(err, SW_CORRUPT, path, 0, 0, -1, "invalid champion '%s'", st->champion);
    return SW_OK;
}

static int champ_write(const char *dir, const char *system, const champ_state *st, sw_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s/champion.json", dir, system);
    sw_jw *w = sw_jw_create(SW_JW_JSON_PRETTY);
    if (!w) return sw_fail(err, SW_NOMEM, "out of memory");
    sw_jw_obj_begin(w);
    sw_jw_kstr(w, "champion", st->champion);
    sw_jw_key(w, "history");
    sw_jw_arr_begin(w);
    for (int i = 0; i < st->n_history; i++) sw_jw_str(w, st->history[i]);
    sw_jw_arr_end(w);
    sw_jw_obj_end(w);
    const char *buf;
    size_t n;
    int rc = sw_jw_finish(w, &buf, &n);
    if (rc == SW_OK) rc = sw_write_file_atomic(path, buf, n, err);
    else sw_fail(err, rc, "out of memory");
    sw_jw_free(w);
    return rc;
}

int sw_registry_champion(const char *dir, const char *system, char version[64], sw_error *err)
{
    version[0] = 0;
    if (!valid_name(system, 32)) return sw_fail(err, SW_ARG, "invalid system name '%s'", system);
    champ_state st;
    int rc = champ_read(dir, system, &st, err);
    if (rc) return rc;
    if (!st.champion[0]) return sw_fail(err, SW_NOT_FOUND, "no champion for system '%s' in %s", system, dir);
    snprintf(version, 64, "%s", st.champion);
    return SW_OK;
}

/* ---- files ---- */

int sw_registry_read(const char *dir, const sw_manifest *m, const char *role, unsigned char **data, size_t *len,
                     sw_error *err)
{
    *data = NULL;
    const sw_manifest_file *f = NULL;
    for (int i = 0; i < m->n_files; i++)
        if (strcmp(m->files[i].role, role) == 0) f = &m->files[i];
    if (!f) return sw_fail(err, SW_NOT_FOUND, "%s %s has no '%s' file", m->system, m->version, role);
    char path[4096];
    snprintf(path, sizeof path, "%s/%s/%s/%s", dir, m->system, m->version, f->name);
    int rc = sw_read_file(path, 0, data, len, err);
    if (rc) return rc;
    char hex[65];
    sw_sha256_hex(*data, *len, hex);
    if (strcmp(hex, f->sha256) != 0) {
        sw_free(*data);
        *data = NULL;
        return sw_error_set(err, SW_CORRUPT, path, 0, 0, -1,
                            "checksum mismatch: sha256 %.16s... but the manifest says %.16s...; refusing the file",
                            hex, f->sha256);
    }
    return SW_OK;
}

static int verify_all(const char *dir, const sw_manifest *m, sw_error *err)
{
    for (int i = 0; i < m->n_files; i++) {
        unsigned char *d = NULL;
        size_t n;
        int rc = sw_registry_read(dir, m, m->files[i].role, &d, &n, err);
        sw_free(d);
        if (rc) return rc;
    }
    return SW_OK;
}


static void remove_tree(const char *path)
{
    DIR *d = opendir(path);
    if (d) {
        struct dirent *e;
        char p[4096];
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            snprintf(p, sizeof p, "%s/%s", path, e->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(path);
}

static void now_utc(char out[24], char compact[16])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 24, "%Y-%m-%dT%H:%M:%SZ", &tm);
    strftime(compact, 16, "%Y%m%d-%H%M%S", &tm);
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
        if (!valid_name(blobs[i].name, sizeof m->files[i].name) || strcmp(blobs[i].name, "manifest.json") == 0)
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

    int lockfd = -1, rc = lock_store(dir, &lockfd, err);
    if (rc) return rc;
    char sysdir[4096], final[4200], tmp[4300], path[4400];
    snprintf(sysdir, sizeof sysdir, "%s/%s", dir, m->system);
    snprintf(final, sizeof final, "%s/%s", sysdir, m->version);
    snprintf(tmp, sizeof tmp, "%s/.tmp-%s-%ld", sysdir, m->version, (long)getpid());
    champ_state st;
    if ((rc = sw_mkdirs(sysdir, err)) || (rc = champ_read(dir, m->system, &st, err))) goto out;
    snprintf(m->parent, sizeof m->parent, "%s", st.champion);
    struct stat sb;
    if (stat(final, &sb) == 0) {
        sw_manifest old;
        if ((rc = sw_registry_manifest(dir, m->system, m->version, &old, err))) goto out;
        int same = old.n_files == m->n_files;
        for (int i = 0; same && i < m->n_files; i++)
            same = !strcmp(old.files[i].sha256, m->files[i].sha256) && !strcmp(old.files[i].role, m->files[i].role);
        if (!same) {
            rc = sw_fail(err, SW_ARG, "version '%s' of '%s' already exists with other files", m->version, m->system);
            goto out;
        }
        *m = old;
    } else {
        remove_tree(tmp);
        if (mkdir(tmp, 0755) != 0) {
            rc = sw_error_set(err, SW_IO, tmp, 0, 0, -1, "cannot create: %s", strerror(errno));
            goto out;
        }
        for (int i = 0; i < n_blobs && rc == SW_OK; i++) {
            snprintf(path, sizeof path, "%s/%s", tmp, blobs[i].name);
            rc = sw_write_file(path, blobs[i].data, blobs[i].len, err);
        }
        char *js = NULL;
        size_t jl = 0;
        if (rc == SW_OK) {
            rc = manifest_to_json(m, &js, &jl);
            if (rc) sw_fail(err, rc, "out of memory");
        }
        if (rc == SW_OK) {
            snprintf(path, sizeof path, "%s/manifest.json", tmp);
            rc = sw_write_file(path, js, jl, err);
        }
        sw_free(js);
        if (rc == SW_OK && rename(tmp, final) != 0)
            rc = sw_error_set(err, SW_IO, final, 0, 0, -1, "cannot rename into place: %s", strerror(errno));
        if (rc) {
            remove_tree(tmp);
            goto out;
        }
        int dfd = open(sysdir, O_RDONLY | O_DIRECTORY);
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
    }
    if ((promote || !st.champion[0]) && strcmp(st.champion, m->version) != 0) {
        if (st.champion[0]) {
            if (st.n_history == HISTORY_MAX) {
                memmove(st.history[0], st.history[1], sizeof st.history[0] * (HISTORY_MAX - 1));
                st.n_history--;
            }
            memcpy(st.history[st.n_history++], st.champion, sizeof st.champion);
        }
        snprintf(st.champion, sizeof st.champion, "%s", m->version);
        rc = champ_write(dir, m->system, &st, err);
    }
out:
    unlock_store(lockfd);
    return rc;
}

int sw_registry_promote(const char *dir, const char *system, const char *version, sw_error *err)
{
    sw_manifest m;
    int rc = sw_registry_manifest(dir, system, version, &m, err);
    if (rc) return rc;
    if ((rc = verify_all(dir, &m, err))) return rc;
    int lockfd = -1;
    if ((rc = lock_store(dir, &lockfd, err))) return rc;
    champ_state st;
    if ((rc = champ_read(dir, system, &st, err)) == SW_OK && strcmp(st.champion, version) != 0) {
        if (st.champion[0]) {
            if (st.n_history == HISTORY_MAX) {
                memmove(st.history[0], st.history[1], sizeof st.history[0] * (HISTORY_MAX - 1));
                st.n_history--;
            }
            memcpy(st.history[st.n_history++], st.champion, sizeof st.champion);
        }
        snprintf(st.champion, sizeof st.champion, "%s", version);
        rc = champ_write(dir, system, &st, err);
    }
    unlock_store(lockfd);
    return rc;
}

int sw_registry_rollback(const char *dir, const char *system, char version[64], sw_error *err)
{
    version[0] = 0;
    if (!valid_name(system, 32)) return sw_fail(err, SW_ARG, "invalid system name '%s'", system);
    int lockfd = -1, rc = lock_store(dir, &lockfd, err);
    if (rc) return rc;
    champ_state st;
    if ((rc = champ_read(dir, system, &st, err))) goto out;
    if (st.n_history == 0) {
        rc = sw_fail(err, SW_NOT_FOUND, "system '%s' has no previous champion to roll back to", system);
        goto out;
    }
    sw_manifest m;
    const char *prev = st.history[st.n_history - 1];
    if ((rc = sw_registry_manifest(dir, system, prev, &m, err)) || (rc = verify_all(dir, &m, err))) goto out;
    memmove(st.champion, prev, sizeof st.champion);
    st.n_history--;
    if ((rc = champ_write(dir, system, &st, err)) == SW_OK) snprintf(version, 64, "%s", st.champion);
out:
    unlock_store(lockfd);
    return rc;
}

static int cmp_manifest(const void *a, const void *b)
{
    const sw_manifest *x = a, *y = b;
    int c = strcmp(x->system, y->system);
    if (c) return c;
    c = strcmp(x->created, y->created);
    return c ? c : strcmp(x->version, y->version);
}

/* Append the versions of one system to *out (capacity *cap).  With n_bad, an
 * unreadable manifest is counted and skipped; without, it is the error. */
static int collect(const char *dir, const char *system, sw_manifest **out, int *n, int *cap, int *n_bad,
                   sw_error *err)
{
    char sysdir[4096];
    snprintf(sysdir, sizeof sysdir, "%s/%s", dir, system);
    DIR *d = opendir(sysdir);
    if (!d) return errno == ENOENT || errno == ENOTDIR ? SW_OK
                                                       : sw_error_set(err, SW_IO, sysdir, 0, 0, -1, "cannot read: %s", strerror(errno));
    int rc = SW_OK;
    struct dirent *v;
    while (rc == SW_OK && (v = readdir(d))) {
        if (!valid_name(v->d_name, 64)) continue;
        char mp[4400];
        snprintf(mp, sizeof mp, "%s/%s/manifest.json", sysdir, v->d_name);
        if (!sw_file_exists(mp)) continue;
        if (*n == *cap) {
            *cap = *cap ? 2 * *cap : 16;
            sw_manifest *nm = sw_realloc(*out, sizeof **out * (size_t)*cap);
            if (!nm) {
                rc = sw_fail(err, SW_NOMEM, "out of memory");
                break;
            }
            *out = nm;
        }
        rc = sw_registry_manifest(dir, system, v->d_name, &(*out)[*n], err);
        if (rc == SW_OK) (*n)++;
        else if (n_bad && rc != SW_NOMEM) (*n_bad)++, rc = SW_OK;
    }
    closedir(d);
    return rc;
}

static int finish_list(int rc, sw_manifest **out, int *n)
{
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
    *out = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) return errno == ENOENT ? SW_OK : sw_error_set(err, SW_IO, dir, 0, 0, -1, "cannot read: %s", strerror(errno));
    int cap = 0, rc = SW_OK;
    struct dirent *e;
    while (rc == SW_OK && (e = readdir(d)))
        if (valid_name(e->d_name, 32)) rc = collect(dir, e->d_name, out, n, &cap, NULL, err);
    closedir(d);
    return finish_list(rc, out, n);
}

int sw_registry_versions(const char *dir, const char *system, sw_manifest **out, int *n, int *n_bad,
                         sw_error *err)
{
    *out = NULL;
    *n = *n_bad = 0;
    if (!valid_name(system, 32)) return sw_fail(err, SW_ARG, "invalid system name '%s'", system);
    int cap = 0;
    return finish_list(collect(dir, system, out, n, &cap, n_bad, err), out, n);
}

int sw_registry_load_bundle(const char *dir, const char *system, const char *version, sw_model_bundle *b,
                            sw_manifest *m, sw_error *err)
{
    memset(b, 0, sizeof *b);
    char v[64];
    int rc;
    if (!version) {
        if ((rc = sw_registry_champion(dir, system, v, err))) return rc;
        version = v;
    }
    sw_manifest local;
    if (!m) m = &local;
    if ((rc = sw_registry_manifest(dir, system, version, m, err))) return rc;
    static const char *const roles[3] = {"mean", "q10", "q90"};
    sw_forest **dst[3] = {&b->mean, &b->q_lo, &b->q_hi};
    for (int i = 0; i < 3; i++) {
        int has = 0;
        for (int k = 0; k < m->n_files; k++) has |= !strcmp(m->files[k].role, roles[i]);
        if (!has) {
            if (i == 0) {
                rc = sw_fail(err, SW_NOT_FOUND, "%s %s has no 'mean' model file", system, version);
                break;
            }
            continue;
        }
        unsigned char *data = NULL;
        size_t len = 0;
        if ((rc = sw_registry_read(dir, m, roles[i], &data, &len, err))) break;
        char name[4096];
        for (int k = 0; k < m->n_files; k++)
            if (!strcmp(m->files[k].role, roles[i]))
                snprintf(name, sizeof name, "%s/%s/%s/%s", dir, system, version, m->files[k].name);
        rc = sw_model_read(name, data, len, dst[i], err);
        sw_free(data);
        if (rc) break;
    }
    if (rc) {
        sw_forest_free(b->mean);
        sw_forest_free(b->q_lo);
        sw_forest_free(b->q_hi);
        memset(b, 0, sizeof *b);
        return rc;
    }
    snprintf(b->version, sizeof b->version, "%s", version);
    snprintf(b->train_from, sizeof b->train_from, "%s", m->train_from);
    snprintf(b->train_to, sizeof b->train_to, "%s", m->train_to);
    return SW_OK;
}
