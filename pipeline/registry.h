/* registry: the local model store.
 *
 *   DIR/<system>/<version>/manifest.json   what the model is (below)
 *   DIR/<system>/<version>/<files>         the model files it lists
 *   DIR/<system>/champion.json             {"champion": V, "history": [earlier champions]}
 *
 * A manifest records the system, version, creation time, training window and
 * rows, feature set and names, metrics, parameters, the parent (the champion
 * when it was made), and each file's role, name, size and sha256.  Reading a
 * file verifies its checksum: a changed file is SW_CORRUPT naming it.
 * Versions are made once and never change: a version directory is assembled
 * under a temporary name and renamed into place; champion.json is replaced by
 * an atomic rename; changes are serialised by a lock on DIR/.lock.
 *
 * Ownership: manifests are plain values; file buffers are the caller's
 * (sw_free).  Thread-safety: reentrant; processes coordinate through the lock.
 */
#ifndef SW_REGISTRY_H
#define SW_REGISTRY_H

#include <stddef.h>

#include "core/status.h"
#include "systems.h"

#define SW_MANIFEST_MAX_FILES 8
#define SW_MANIFEST_MAX_METRICS 24
#define SW_MANIFEST_MAX_FEATURES 64

typedef struct {
    char role[16];   /* "mean", "q10", "q90", "stack" */
    char name[64];   /* file name inside the version directory */
    char sha256[65];
    long long bytes;
} sw_manifest_file;

typedef struct {
    char system[32];
    char version[64];
    char created[24];          /* UTC, ISO 8601 */
    char train_from[11], train_to[11];
    long train_rows;
    char feature_set[48];
    int n_features;
    char features[SW_MANIFEST_MAX_FEATURES][48];
    int n_metrics;
    char metric_name[SW_MANIFEST_MAX_METRICS][32];
    double metric[SW_MANIFEST_MAX_METRICS];
    char params[512];          /* training parameters, free text */
    char parent[64];
    char source[256];          /* where an added file came from */
    int n_files;
    sw_manifest_file files[SW_MANIFEST_MAX_FILES];
} sw_manifest;

/* A file to register: its role, its name in the store and its bytes. */
typedef struct {
    const char *role, *name;
    const unsigned char *data;
    size_t len;
} sw_reg_blob;

void sw_manifest_init(sw_manifest *m, const char *system);
/* The last date the version may have seen (YYYY-MM-DD): its training window's
 * end, or, when the window is unknown (a model added without one), the day it
 * was registered, since no file can have seen games played after it existed.
 * Returns 1 when the date is that bound, 0 when it is the recorded window. */
int sw_manifest_trained_to(const sw_manifest *m, char out[11]);
void sw_manifest_add_metric(sw_manifest *m, const char *name, double value);

/* Register a new version of m->system with these files.  An empty m->version
 * is filled ("YYYYMMDD-HHMMSS-" + 8 hex digits of the files' hash); created,
 * parent and the file entries are filled here.  Registering the same files
 * under an existing version is a no-op; other content under an existing
 * version is SW_ARG.  With `promote`, or when the system has no champion,
 * the version becomes champion. */
int sw_registry_add(const char *dir, sw_manifest *m, const sw_reg_blob *blobs, int n_blobs, int promote,
                    sw_error *err);

/* The champion of a system; SW_NOT_FOUND when none. */
int sw_registry_champion(const char *dir, const char *system, char version[64], sw_error *err);
/* Make `version` the champion (its files verified first); the old champion
 * goes on the history. */
int sw_registry_promote(const char *dir, const char *system, const char *version, sw_error *err);
/* Back to the previous champion; SW_NOT_FOUND when there is none.  Fills
 * `version` with the new champion. */
int sw_registry_rollback(const char *dir, const char *system, char version[64], sw_error *err);

int sw_registry_manifest(const char *dir, const char *system, const char *version, sw_manifest *m, sw_error *err);
/* All manifests, sorted by system then creation; *out is the caller's (sw_free). */
int sw_registry_list(const char *dir, sw_manifest **out, int *n, sw_error *err);

/* Every version of one system, sorted by creation; manifests that cannot be
 * read are skipped and counted in *n_bad (their error in `err`, the call
 * still succeeds).  *out is the caller's (sw_free). */
int sw_registry_versions(const char *dir, const char *system, sw_manifest **out, int *n, int *n_bad,
                         sw_error *err);

/* A file of a version by role, checksum verified (SW_CORRUPT when it differs,
 * SW_NOT_FOUND when the manifest has no such role). */
int sw_registry_read(const char *dir, const sw_manifest *m, const char *role, unsigned char **data, size_t *len,
                     sw_error *err);

/* The models of a system's version (NULL: the champion) for sw_system_create_model:
 * roles mean (required), q10 and q90. */
int sw_registry_load_bundle(const char *dir, const char *system, const char *version, sw_model_bundle *b,
                            sw_manifest *m, sw_error *err);

#endif
