/* model: reading and writing tree-ensemble model files as sw_forest.
 *
 * Formats: XGBoost JSON (as saved by XGBoost 1.x, 2.x and 3.x), XGBoost UBJSON
 * (.ubj, XGBoost's default since 2.1), XGBoost 1.6-1.7's legacy binary (read
 * only), CatBoost .cbm (flatbuffers model core) and swish's own .swm.
 * sw_model_load picks the format from the file's first bytes.  XGBoost models
 * with categorical splits, several classes (multi:softprob / multi:softmax),
 * several targets (one tree per target a round, one base score or one per
 * target) or a dart booster are read exactly.  Anything swish cannot reproduce
 * exactly is refused with SW_UNSUPPORTED and a message naming it: XGBoost
 * vector leaves (multi_output_tree), one base score per class, legacy files of
 * other versions, boosters other than gbtree and dart (gblinear),
 * XGBoost 3's string category encoders (cats.enc), unknown objectives;
 * CatBoost categorical, CTR, one-hot, text, embedding and estimated features,
 * non-symmetric trees, multi-class or multi-target models (approx dimension
 * > 1), model parts after the core.  .swm holds neither categorical splits nor
 * several classes or targets yet (saving such a forest as .swm is
 * SW_UNSUPPORTED).
 * Malformed files give SW_FORMAT/SW_PARSE with the byte offset; sizes read
 * from a file are checked against the file's length before anything is
 * allocated.
 *
 * Ownership: on success *out is a new forest the caller frees.
 * Thread-safety: reentrant.
 */
#ifndef SW_MODEL_H
#define SW_MODEL_H

#include <stddef.h>

#include "core/status.h"
#include "gbdt/forest.h"

typedef enum {
    SW_MODEL_UNKNOWN = 0,
    SW_MODEL_XGB_JSON,
    SW_MODEL_XGB_UBJ,
    SW_MODEL_CBM,
    SW_MODEL_SWM,
    SW_MODEL_XGB_LEGACY
} sw_model_format;

const char *sw_model_format_name(sw_model_format f); /* "xgboost-json", ... */
/* Guess from content (and the name's extension when the content is ambiguous). */
sw_model_format sw_model_detect(const char *name, const unsigned char *data, size_t len);

int sw_model_load(const char *path, sw_forest **out, sw_error *err);
int sw_model_read(const char *name, const unsigned char *data, size_t len, sw_forest **out,
                  sw_error *err);

int sw_xgb_read_json(const char *name, const char *data, size_t len, sw_forest **out,
                     sw_error *err);
/* As sw_xgb_read_json, taking ownership of a sw_malloc'd buffer with a NUL at
 * data[len] (sw_read_file's): parses in place without a copy. */
int sw_xgb_read_json_owned(const char *name, char *data, size_t len, sw_forest **out,
                           sw_error *err);
int sw_xgb_read_ubjson(const char *name, const unsigned char *data, size_t len,
                       sw_forest **out, sw_error *err);
int sw_cbm_read(const char *name, const unsigned char *data, size_t len, sw_forest **out,
                sw_error *err);
/* XGBoost's legacy binary format (XGBoost 1.6-1.7's save_model to a name not
 * ending in .json or .ubj): read only.  sw_xgb_legacy_detect: 1 when data
 * starts like one (no magic: the learner block, then two known names). */
int sw_xgb_read_legacy(const char *name, const unsigned char *data, size_t len, sw_forest **out,
                       sw_error *err);
int sw_xgb_legacy_detect(const unsigned char *data, size_t len);


/* swish's native format (.swm): versioned, CRC-32 checksummed; both kinds. */
int sw_swm_read(const char *name, const unsigned char *data, size_t len, sw_forest **out,
                sw_error *err);
int sw_swm_write(const sw_forest *f, unsigned char **data, size_t *len, sw_error *err);

/* ---- writers ----------------------------------------------------------------
 * Into a new buffer (sw_free it).  XGBoost formats hold binary-tree forests and
 * load in XGBoost 1.7+; .cbm holds oblivious forests in CatBoost's flatbuffers
 * layout.  A forest of the other kind is SW_UNSUPPORTED. */
int sw_xgb_write(const sw_forest *f, int ubjson, unsigned char **data, size_t *len, sw_error *err);
int sw_cbm_write(const sw_forest *f, unsigned char **data, size_t *len, sw_error *err);
/* Format from the extension (.json, .ubj, .cbm, .swm); written atomically. */
int sw_model_save(const sw_forest *f, const char *path, sw_error *err);

#endif
