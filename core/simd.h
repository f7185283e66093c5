/* simd: which vector instruction sets this CPU can run, chosen once.
 *
 * The only place swish asks the CPU about its ISA.  Kernels come in variants
 * (scalar, AVX2, AVX-512) written per ISA in files named *_avx2.c /
 * *_avx512.c, which alone get the ISA flags: the two differ in more than width
 * (AVX-512's byte permutes and mask registers have no AVX2 counterpart, AVX2
 * needs shuffles, blends and movemasks instead), so one body would serve one
 * of them badly.  A few portable loops use GCC vector types with a clone per
 * ISA instead.  Callers pick a variant through sw_isa_best(), which honours
 * SW_FORCE_ISA=scalar|avx2|avx512, or take it as a parameter (the scorer, the
 * trainer).
 * Thread-safety: pure queries. */
#ifndef SW_SIMD_H
#define SW_SIMD_H

typedef enum { SW_ISA_AUTO = 0, SW_ISA_SCALAR, SW_ISA_AVX2, SW_ISA_AVX512 } sw_isa;

/* Whether this CPU (and this build) can run the variant. */
int sw_isa_supported(sw_isa isa);
/* The best supported variant, or SW_FORCE_ISA when set (-1 if SW_FORCE_ISA names
 * an unknown or unsupported variant). */
int sw_isa_best(void);
const char *sw_isa_name(sw_isa isa);
/* "scalar"/"avx2"/"avx512"/"auto" -> isa; -1 if unknown. */
int sw_isa_from_name(const char *name);

#endif
