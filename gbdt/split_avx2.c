/* split_avx2: the split scan of split.c (scan_cuts) with AVX2 intrinsics.
 *
 * The generic-vector version in split.c is the reference: this one performs the
 * same IEEE operations on the same lanes in the same order (GCC's generic
 * float-to-double conversion goes through memory, which made that version
 * twice as slow), so the model does not depend on which one runs; the
 * determinism test compares them. */
#include <immintrin.h>

#include "train_impl.h"

static inline __m256d soft_sq(__m256d g, __m256d alpha, __m256d absm)
{
    __m256d t = _mm256_sub_pd(_mm256_and_pd(g, absm), alpha);
    t = _mm256_and_pd(t, _mm256_cmp_pd(t, _mm256_setzero_pd(), _CMP_GT_OQ));
    return _mm256_mul_pd(t, t);
}

typedef struct {
    __m256d bn, bd, bk;
} acc;

static inline void scan_dir(acc *a, __m256d gl, __m256d hl, __m256d key, __m256d in, __m256d G, __m256d H,
                            __m256d lambda, __m256d alpha, __m256d mcw, __m256d absm)
{
    __m256d gr = _mm256_sub_pd(G, gl), hr = _mm256_sub_pd(H, hl);
    __m256d ok = _mm256_and_pd(_mm256_and_pd(in, _mm256_cmp_pd(hl, mcw, _CMP_NLT_UQ)),
                               _mm256_cmp_pd(hr, mcw, _CMP_NLT_UQ));
    __m256d la = _mm256_add_pd(hl, lambda), lb = _mm256_add_pd(hr, lambda);
    __m256d num = _mm256_add_pd(_mm256_mul_pd(soft_sq(gl, alpha, absm), lb), _mm256_mul_pd(soft_sq(gr, alpha, absm), la));
    __m256d den = _mm256_mul_pd(la, lb);
    __m256d take = _mm256_and_pd(ok, _mm256_cmp_pd(_mm256_mul_pd(num, a->bd), _mm256_mul_pd(a->bn, den), _CMP_GT_OQ));
    a->bn = _mm256_blendv_pd(a->bn, num, take);
    a->bd = _mm256_blendv_pd(a->bd, den, take);
    a->bk = _mm256_blendv_pd(a->bk, key, take);
}

/* bins i..i+3 as doubles: g and h in bin order */
static inline void load4(const sw__gpair *h, __m256d *g, __m256d *hh)
{
    __m256d x0 = _mm256_cvtps_pd(_mm_loadu_ps(&h[0].g)), x1 = _mm256_cvtps_pd(_mm_loadu_ps(&h[2].g));
    *g = _mm256_permute4x64_pd(_mm256_unpacklo_pd(x0, x1), 0xD8);
    *hh = _mm256_permute4x64_pd(_mm256_unpackhi_pd(x0, x1), 0xD8);
}

/* inclusive prefix sum of four lanes: x + [0, x0, x1, x2], then + [0, 0, y0, y1] */
static inline __m256d prefix4(__m256d x)
{
    const __m256d zero = _mm256_setzero_pd();
    x = _mm256_add_pd(x, _mm256_blend_pd(_mm256_permute4x64_pd(x, 0x90), zero, 0x1));
    return _mm256_add_pd(x, _mm256_permute2f128_pd(x, x, 0x08));
}

void sw__scan_cuts_avx2(const sw__gpair *h, int ncuts, double G_, double H_, double Gm, double Hm, int ndir,
                        double lambda_, double alpha_, double mcw_, double *GLs, double *HLs, double *gains,
                        long long *keys)
{
    const __m256d absm = _mm256_castsi256_pd(_mm256_set1_epi64x(0x7fffffffffffffffLL));
    const __m256d G = _mm256_set1_pd(G_), H = _mm256_set1_pd(H_), lambda = _mm256_set1_pd(lambda_);
    const __m256d alpha = _mm256_set1_pd(alpha_), mcw = _mm256_set1_pd(mcw_), vGm = _mm256_set1_pd(Gm);
    const __m256d vHm = _mm256_set1_pd(Hm), nc = _mm256_set1_pd((double)ncuts);
    const __m256d none = _mm256_castsi256_pd(_mm256_set1_epi64x(0x7fffffffffffffffLL));
    acc A[4];
    for (int j = 0; j < 4; j++) {
        A[j].bn = _mm256_set1_pd(-__builtin_inf());
        A[j].bd = _mm256_set1_pd(1.0);
        A[j].bk = none;
    }
    __m256i sva = _mm256_setr_epi64x(1, 2, 3, 4), svb = _mm256_setr_epi64x(5, 6, 7, 8);
    const __m256i eight = _mm256_set1_epi64x(8), one = _mm256_set1_epi64x(1);
    __m256d sda = _mm256_setr_pd(1, 2, 3, 4), sdb = _mm256_setr_pd(5, 6, 7, 8);
    const __m256d eightd = _mm256_set1_pd(8.0);
    __m256d cg = _mm256_setzero_pd(), ch = _mm256_setzero_pd();
    for (int i = 0; i < ncuts; i += 8) {
        __m256d pga, pha, pgb, phb;
        load4(h + i, &pga, &pha);
        load4(h + i + 4, &pgb, &phb);
        pga = prefix4(pga);
        pha = prefix4(pha);
        pgb = prefix4(pgb);
        phb = prefix4(phb);
        pgb = _mm256_add_pd(pgb, _mm256_permute4x64_pd(pga, 0xFF));
        phb = _mm256_add_pd(phb, _mm256_permute4x64_pd(pha, 0xFF));
        __m256d gla = _mm256_add_pd(cg, pga), hla = _mm256_add_pd(ch, pha);
        __m256d glb = _mm256_add_pd(cg, pgb), hlb = _mm256_add_pd(ch, phb);
        cg = _mm256_permute4x64_pd(glb, 0xFF);
        ch = _mm256_permute4x64_pd(hlb, 0xFF);
        _mm256_storeu_pd(GLs + i, gla);
        _mm256_storeu_pd(HLs + i, hla);
        _mm256_storeu_pd(GLs + i + 4, glb);
        _mm256_storeu_pd(HLs + i + 4, hlb);
        __m256d ina = _mm256_cmp_pd(sda, nc, _CMP_LE_OQ), inb = _mm256_cmp_pd(sdb, nc, _CMP_LE_OQ);
        __m256i ka = _mm256_add_epi64(sva, sva), kb = _mm256_add_epi64(svb, svb);
        scan_dir(&A[0], gla, hla, _mm256_castsi256_pd(ka), ina, G, H, lambda, alpha, mcw, absm);
        scan_dir(&A[1], glb, hlb, _mm256_castsi256_pd(kb), inb, G, H, lambda, alpha, mcw, absm);
        if (ndir > 1) {
            scan_dir(&A[2], _mm256_add_pd(gla, vGm), _mm256_add_pd(hla, vHm),
                     _mm256_castsi256_pd(_mm256_add_epi64(ka, one)), ina, G, H, lambda, alpha, mcw, absm);
            scan_dir(&A[3], _mm256_add_pd(glb, vGm), _mm256_add_pd(hlb, vHm),
                     _mm256_castsi256_pd(_mm256_add_epi64(kb, one)), inb, G, H, lambda, alpha, mcw, absm);
        }
        sva = _mm256_add_epi64(sva, eight);
        svb = _mm256_add_epi64(svb, eight);
        sda = _mm256_add_pd(sda, eightd);
        sdb = _mm256_add_pd(sdb, eightd);
    }
    for (int j = 0; j < 4; j++) {
        _mm256_storeu_pd(gains + 4 * j, _mm256_div_pd(A[j].bn, A[j].bd));
        _mm256_storeu_si256((__m256i *)(keys + 4 * j), _mm256_castpd_si256(A[j].bk));
    }
}
