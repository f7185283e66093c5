/* fuzz_xgb_legacy: libFuzzer target for the legacy binary XGBoost reader.
 * Invariant: any input gives a status (never a crash, hang or huge
 * allocation), and a model that loads predicts finite numbers.  Built with
 * -DSW_FUZZ_REPLAY the entry point is renamed so that tests/fuzz/replay.c can
 * run the corpus in make test. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_common.h"
#include "io/model.h"

#ifdef SW_FUZZ_REPLAY
#define LLVMFuzzerTestOneInput sw_fuzz_xgb_legacy
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sw_forest *f = NULL;
    sw_error err;
    (void)sw_xgb_legacy_detect(data, size); /* detection reads only what the bytes hold */
    if (sw_xgb_read_legacy("fuzz", data, size, &f, &err) == SW_OK) {
        sw_fuzz_check_forest(f);
        sw_forest_free(f);
    }
    return 0;
}
