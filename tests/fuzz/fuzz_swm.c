/* fuzz_swm: libFuzzer target for the swish .swm model reader.  The reader
 * checks a CRC-32 before anything else, which random mutations almost never
 * pass, so the target rewrites the last four bytes with the checksum of the
 * rest first: the fuzzer then explores the header and payload parsing (a
 * real .swm file is its own fixed point, so real models make good seeds).
 * Invariant: any input gives a status (never a crash, hang or huge
 * allocation), and a model that loads predicts finite numbers.  Built with
 * -DSW_FUZZ_REPLAY the entry point is renamed for tests/fuzz/replay.c. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "fuzz_common.h"
#include "io/model.h"

#ifdef SW_FUZZ_REPLAY
#define LLVMFuzzerTestOneInput sw_fuzz_swm
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char *b = malloc(size ? size : 1);
    if (!b) return 0;
    if (size) memcpy(b, data, size);
    if (size >= 8) {
        uint32_t c = sw_crc32(0, b, size - 4);
        for (int k = 0; k < 4; k++) b[size - 4 + (size_t)k] = (unsigned char)(c >> (8 * k));
    }
    sw_forest *f = NULL;
    sw_error err;
    if (sw_swm_read("fuzz", b, size, &f, &err) == SW_OK) {
        sw_fuzz_check_forest(f);
        sw_forest_free(f);
    }
    free(b);
    return 0;
}
