/* simd: CPU feature detection (GCC/clang __builtin_cpu_supports on x86-64). */
#include "simd.h"

#include <stdlib.h>
#include <string.h>

const char *sw_isa_name(sw_isa isa)
{
    switch (isa) {
    case SW_ISA_SCALAR: return "scalar";
    case SW_ISA_AVX2: return "avx2";
    case SW_ISA_AVX512: return "avx512";
    default: return "auto";
    }
}

int sw_isa_from_name(const char *name)
{
    if (!name) return -1;
    if (strcmp(name, "scalar") == 0) return SW_ISA_SCALAR;
    if (strcmp(name, "avx2") == 0) return SW_ISA_AVX2;
    if (strcmp(name, "avx512") == 0) return SW_ISA_AVX512;
    if (strcmp(name, "auto") == 0) return SW_ISA_AUTO;
    return -1;
}

int sw_isa_supported(sw_isa isa)
{
    switch (isa) {
    case SW_ISA_SCALAR: return 1;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    case SW_ISA_AVX2:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("bmi2");
    case SW_ISA_AVX512:
        __builtin_cpu_init();
        return sw_isa_supported(SW_ISA_AVX2) && __builtin_cpu_supports("avx512f") &&
               __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
               __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vbmi");
#endif
    default: return 0;
    }
}

int sw_isa_best(void)
{
    const char *force = getenv("SW_FORCE_ISA");
    if (force && *force && strcmp(force, "auto") != 0) {
        int k = sw_isa_from_name(force);
        if (k <= 0 || !sw_isa_supported((sw_isa)k)) return -1;
        return k;
    }
    if (sw_isa_supported(SW_ISA_AVX512)) return SW_ISA_AVX512;
    if (sw_isa_supported(SW_ISA_AVX2)) return SW_ISA_AVX2;
    return SW_ISA_SCALAR;
}
