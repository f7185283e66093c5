/* registry: the model store, on a local directory or an object store
 * (io/objstore.h: DIR, file://DIR, s3://BUCKET/PREFIX, gs://BUCKET/PREFIX).
 *
 *   <system>/<version>/manifest.json   what the model is (below)
 *   <system>/<version>/<files>         the model files it lists
 *   <system>/champion.json             the system's pointer: champion, earlier
 *                                      champions, the rollout in progress, marks
 *                                      (rolled_back, archived) and the history
 *
 * A manifest records the system, version, creation time, training window and
 * rows, feature set and names, metrics, parameters, the parent (the champion
 * when it was made), and each file's role, name, size and sha256.  Reading a
 * file verifies its checksum: a changed file is SW_CORRUPT naming it.
 * Versions are made once and never change: the files are written first and
 * the manifest last (only if absent), so a version is visible only whole.
 * The pointer is replaced by a conditional write on the version read (ETag,
 * GCS generation, or the content's hash under a lock on a directory): of two
 * writers, the second gets SW_CONFLICT and changes nothing.
 *
 * Remote stores: files are downloaded once into the cache (objects/<sha256>,
 * verified before and after), pointers and manifests copied beside them
 * (stores/<hash of the location>/...).  When the store cannot be reached, reads
 * use those copies and the process is marked offline (sw_registry_offline);
 * writes never fall back.  A file is never used unverified.
 *
 * Stages: candidate (registered) -> shadow (scored and stored, never served)
 * -> canary at a share (the served call follows a stable split) -> champion;
 * rolled_back and archived.  One rollout per system at a time.  Every change
 * of the pointer appends an event (when, who, the command, from, to, note).
 *
 * Ownership: manifests and states are plain values (sw_registry_state_free
 * for events); file buffers are the caller's (sw_free).  Thread-safety:
 * reentrant (store handles are shared under a lock); processes coordinate
 * through the conditional writes.
 */
#ifndef SW_REGISTRY_H
#define SW_REGISTRY_H

#include <stddef.h>
#include <stdio.h>

#include "core/status.h"
#include "io/objstore.h"
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

/* Process-wide: the store settings ([storage] in the config; NULL: the
 * environment), the cache directory (NULL or "": $XDG_CACHE_HOME/swish, else
 * $HOME/.cache/swish) and who acts (the command line, for the history). */
void sw_registry_configure(const sw_objstore_opts *opts, const char *cache_dir, const char *command);
/* 1 when a read of this process used cached copies because the store could not
 * be reached; `why` (may be NULL) gets the first cause. */
int sw_registry_offline(char *why, size_t cap);
/* Forget the remote pointers and listings remembered for a second: the next
 * reads ask the store (a reload a person asked for). */
void sw_registry_forget(void);
/* The store exists: a directory, or a bucket that answers (or, unreachable,
 * one with cached copies: offline).  SW_NOT_FOUND otherwise. */
int sw_registry_exists(const char *store, sw_error *err);

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
/* sw_registry_rollback_note without a note: ends the rollout in progress, or
 * goes back to the previous champion (SW_NOT_FOUND when there is none).
 * Fills `version` with the champion after. */
int sw_registry_rollback(const char *dir, const char *system, char version[64], sw_error *err);

/* ---- stages and rollout ---- */

typedef enum {
    SW_STAGE_CANDIDATE,
    SW_STAGE_SHADOW,
    SW_STAGE_CANARY,
    SW_STAGE_CHAMPION,
    SW_STAGE_ROLLED_BACK,
    SW_STAGE_ARCHIVED
} sw_stage;
const char *sw_stage_name(sw_stage s); /* "candidate", "shadow", ... */

#define SW_REG_HISTORY_MAX 32
#define SW_REG_MARKS_MAX 64

typedef struct {
    char at[24];        /* UTC, ISO 8601 */
    char actor[128];    /* user@host */
    char command[256];  /* the command line */
    char action[16];    /* register, promote, rollout, rollback, archive, demote */
    char version[64];
    char from[24], to[24]; /* stages ("canary 10%") */
    char note[512];     /* gate figures, reasons */
} sw_reg_event;

typedef struct {
    char champion[64];
    int n_history;                         /* earlier champions, oldest first */
    char history[SW_REG_HISTORY_MAX][64];
    char rollout[64];                      /* version in rollout, "" none */
    sw_stage rollout_stage;                /* SHADOW or CANARY */
    int share;                             /* canary share in percent */
    char since[24];                        /* when the current stage began */
    char baseline[64];                     /* the champion when the rollout began */
    int n_marks;                           /* rolled_back / archived versions */
    char mark_version[SW_REG_MARKS_MAX][64];
    sw_stage mark[SW_REG_MARKS_MAX];
    int n_events;
    sw_reg_event *events;                  /* oldest first (sw_registry_state_free) */
} sw_reg_state;

int sw_registry_state(const char *store, const char *system, sw_reg_state *st, sw_error *err);
/* One history event as a JSON object (the pointer's and `models history --json`'s form). */
struct sw_jw;
void sw_reg_event_json(struct sw_jw *w, const sw_reg_event *e);
void sw_registry_state_free(sw_reg_state *st);
/* The stage of a version in a state (and its share for canary). */
sw_stage sw_reg_stage_of(const sw_reg_state *st, const char *version, int *share);

/* Move `version` of `system` to `to` (SHADOW, CANARY with share 1-99, or
 * CHAMPION), recording `note` (gate figures).  Only forward moves: candidate
 * -> shadow -> canary (share rising) -> champion; another version already in
 * rollout is SW_ARG (roll it back first).  The version's files are verified
 * first.  SW_CONFLICT when another writer changed the pointer meanwhile. */
int sw_registry_rollout(const char *store, const char *system, const char *version, sw_stage to, int share,
                        const char *note, sw_error *err);
/* End the rollout in progress (its version rolled_back, the champion
 * unchanged) or, without one, restore the previous champion (the current one
 * rolled_back).  `version` gets the champion after; `ended` the version taken
 * out (may be NULL). */
int sw_registry_rollback_note(const char *store, const char *system, const char *note, char version[64],
                              char ended[64], sw_error *err);
/* Mark a version archived (not the champion, not in rollout). */
int sw_registry_archive(const char *store, const char *system, const char *version, sw_error *err);

/* Copy every version and pointer of `from` to `to`, each file verified
 * against its manifest when read and again when read back from `to`.
 * Versions already in `to` with the same files are skipped; with other
 * files, SW_CONFLICT.  Progress lines go to `log` (may be NULL). */
typedef struct {
    int versions_copied, versions_skipped, files_copied, pointers_copied;
    long long bytes;
} sw_sync_stats;
int sw_registry_sync(const char *from, const char *to, FILE *log, sw_sync_stats *stats, sw_error *err);

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
