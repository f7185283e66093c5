/* model: format detection and the one entry point that loads any model file. */
#include "model.h"

#include <string.h>

#include "core/alloc.h"
#include "core/fileio.h"

#define MAX_MODEL_BYTES (1LL << 30)

const char *sw_model_format_name(sw_model_format f)
{
    switch (f) {
    case SW_MODEL_XGB_JSON: return "xgboost-json";
    case SW_MODEL_XGB_UBJ: return "xgboost-ubj";
    case SW_MODEL_CBM: return "catboost-cbm";
    case SW_MODEL_SWM: return "swish";
    case SW_MODEL_XGB_LEGACY: return "xgboost-legacy";
    default: return "unknown";
    }
}

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

sw_model_format sw_model_detect(const char *name, const unsigned char *data, size_t len)
{
    if (len >= 4 && memcmp(data, "CBM1", 4) == 0) return SW_MODEL_CBM;
    if (len >= 4 && memcmp(data, "SWM1", 4) == 0) return SW_MODEL_SWM;
    if (sw_xgb_legacy_detect(data, len)) return SW_MODEL_XGB_LEGACY;
    size_t i = 0;
    while (i < len && (data[i] == ' ' || data[i] == '\n' || data[i] == '\r' || data[i] == '\t')) i++;
    if (i < len && data[i] == '{') {
        if (i + 1 < len) {
            unsigned char c = data[i + 1];
            /* after '{' JSON has white space, a quote or '}'; UBJSON a length marker */
            if (c == '"' || c == ' ' || c == '\n' || c == '\r' || c == '\t') return SW_MODEL_XGB_JSON;
            if (c == 'U' || c == 'i' || c == 'I' || c == 'l' || c == 'L' || c == '$' || c == '#')
                return SW_MODEL_XGB_UBJ;
        }
        if (name && ends_with(name, ".ubj")) return SW_MODEL_XGB_UBJ;
        return SW_MODEL_XGB_JSON;
    }
    return SW_MODEL_UNKNOWN;
}

int sw_model_read(const char *name, const unsigned char *data, size_t len, sw_forest **out,
                  sw_error *err)
{
    *out = NULL;
    switch (sw_model_detect(name, data, len)) {
    case SW_MODEL_XGB_JSON: return sw_xgb_read_json(name, (const char *)data, len, out, err);
    case SW_MODEL_XGB_UBJ: return sw_xgb_read_ubjson(name, data, len, out, err);
    case SW_MODEL_CBM: return sw_cbm_read(name, data, len, out, err);
    case SW_MODEL_SWM: return sw_swm_read(name, data, len, out, err);
    case SW_MODEL_XGB_LEGACY: return sw_xgb_read_legacy(name, data, len, out, err);
    default:
        return sw_error_set(err, SW_FORMAT, name, 0, 0, 0,
                            "unrecognised model format (expected XGBoost JSON/UBJSON/legacy binary, CatBoost .cbm "
                            "or swish .swm)");
    }
}

int sw_model_load(const char *path, sw_forest **out, sw_error *err)
{
    unsigned char *data;
    size_t len;
    *out = NULL;
    SW_TRY(sw_read_file(path, MAX_MODEL_BYTES, &data, &len, err));
    if (sw_model_detect(path, data, len) == SW_MODEL_XGB_JSON)
        return sw_xgb_read_json_owned(path, (char *)data, len, out, err);
    int rc = sw_model_read(path, data, len, out, err);
    sw_free(data);
    return rc;
}

int sw_model_save(const sw_forest *f, const char *path, sw_error *err)
{
    unsigned char *data = NULL;
    size_t len = 0;
    int rc;
    if (ends_with(path, ".json")) {
        rc = sw_xgb_write(f, 0, &data, &len, err);
    } else if (ends_with(path, ".ubj")) {
        rc = sw_xgb_write(f, 1, &data, &len, err);
    } else if (ends_with(path, ".cbm")) {
        rc = sw_cbm_write(f, &data, &len, err);
    } else if (ends_with(path, ".swm")) {
        rc = sw_swm_write(f, &data, &len, err);
    } else {
        return sw_error_set(err, SW_ARG, path, 0, 0, -1,
                            "unknown model extension (use .json, .ubj, .cbm or .swm)");
    }
    if (rc) return rc;
    rc = sw_write_file_atomic(path, data, len, err);
    sw_free(data);
    return rc;
}
