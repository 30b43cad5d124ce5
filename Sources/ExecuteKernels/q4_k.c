// Q4_K and Q5_K: super-blocks of 256 values in eight sub-blocks of 32, each with a 6-bit scale
// and a 6-bit minimum (y = d·sc·q - dmin·m), 4-bit values (plus Q5_K's fifth bits).
//
// A pair of activation blocks (64 values) meets sub-blocks 2k and 2k+1, which share 32 bytes
// of nibbles (low and high halves): the bytes are duplicated into both 128-bit lanes and
// shifted by 0 and 4 per lane, so the same masks as Q4_0 produce the activation order.
#pragma STDC FP_CONTRACT OFF
#include "quantized.h"

static void q4_k_dequantize(const uint8_t *p, float *dst, int n) {
    for (int b = 0; b < n / 256; b++, p += 144, dst += 256) {
        __m128 dd = ls_half2_to_float(p);
        float d = _mm_cvtss_f32(dd), dmin = _mm_cvtss_f32(_mm_movehdup_ps(dd));
        for (int j = 0; j < 8; j++) {
            int sc, m;
            ls_k_scale_min(p + 4, j, &sc, &m);
            float dl = d * (float)sc, ml = dmin * (float)m;
            const uint8_t *qs = p + 16 + 32 * (j / 2);
            int shift = 4 * (j & 1);
            for (int l = 0; l < 32; l++) {
                float scaled = dl * (float)((qs[l] >> shift) & 0x0F);
                dst[32 * j + l] = scaled - ml;
            }
        }
    }
}

static void q5_k_dequantize(const uint8_t *p, float *dst, int n) {
    for (int b = 0; b < n / 256; b++, p += 176, dst += 256) {
        __m128 dd = ls_half2_to_float(p);
        float d = _mm_cvtss_f32(dd), dmin = _mm_cvtss_f32(_mm_movehdup_ps(dd));
        const uint8_t *qh = p + 16;
        for (int j = 0; j < 8; j++) {
            int sc, m;
            ls_k_scale_min(p + 4, j, &sc, &m);
            float dl = d * (float)sc, ml = dmin * (float)m;
            const uint8_t *qs = p + 48 + 32 * (j / 2);
            int shift = 4 * (j & 1);
            for (int l = 0; l < 32; l++) {
                int q = ((qs[l] >> shift) & 0x0F) | (((qh[l] >> j) & 1) << 4);
                float scaled = dl * (float)q;
                dst[32 * j + l] = scaled - ml;
            }
        }
    }
}

/// Scales [d·scA x4 | d·scB x4] and offsets [-dmin·mA x2, -dmin·mB x2] of sub-blocks 2k, 2k+1.
static inline __attribute__((always_inline)) void k_scales(const uint8_t *block, int k, weight_pair *w) {
    __m128 dd = ls_half2_to_float(block);
    int scA, mA, scB, mB;
    ls_k_scale_min(block + 4, 2 * k, &scA, &mA);
    ls_k_scale_min(block + 4, 2 * k + 1, &scB, &mB);
    __m128 d = _mm_broadcastss_ps(dd), dmin = _mm_permute_ps(dd, 0x55);
    __m128 s = _mm_mul_ps(d, _mm_setr_ps((float)scA, (float)scA, (float)scB, (float)scB));
    w->d = _mm256_permutevar8x32_ps(_mm256_castps128_ps256(s), _mm256_setr_epi32(0, 0, 0, 0, 2, 2, 2, 2));
    w->dm = _mm_mul_ps(dmin, _mm_setr_ps((float)-mA, (float)-mA, (float)-mB, (float)-mB));
}

static inline __attribute__((always_inline)) void k_nibbles(const uint8_t *qs, weight_pair *w) {
    const __m256i mask = _mm256_set1_epi16(0x000F);
    __m256i raw = _mm256_loadu_si256((const __m256i *)qs);
    __m256i x = ls_dup_shift(raw, 0, 0, 4), y = ls_dup_shift(raw, 1, 0, 4);
    w->e[0] = _mm256_and_si256(x, mask);
    w->e[1] = _mm256_and_si256(y, mask);
    w->e[2] = _mm256_and_si256(_mm256_srli_epi16(x, 8), mask);
    w->e[3] = _mm256_and_si256(_mm256_srli_epi16(y, 8), mask);
}

static inline __attribute__((always_inline)) weight_pair widen_q4_k(const uint8_t *row, int p, int blocks) {
    (void)blocks;
    const uint8_t *block = row + (size_t)(p >> 2) * 144;
    int k = p & 3;
    weight_pair w;
    k_scales(block, k, &w);
    k_nibbles(block + 16 + 32 * k, &w);
    return w;
}

static inline __attribute__((always_inline)) weight_pair widen_q5_k(const uint8_t *row, int p, int blocks) {
    (void)blocks;
    const uint8_t *block = row + (size_t)(p >> 2) * 176;
    int k = p & 3;
    weight_pair w;
    k_scales(block, k, &w);
    k_nibbles(block + 48 + 32 * k, &w);
    // Fifth bits: bit 2k of qh[l] for sub-block 2k, bit 2k+1 for 2k+1.
    const __m256i bit = _mm256_set1_epi16(0x0010);
    __m256i qh = _mm256_loadu_si256((const __m256i *)(block + 16));
    __m256i hx = ls_dup_shift(qh, 0, 2 * k, 2 * k + 1), hy = ls_dup_shift(qh, 1, 2 * k, 2 * k + 1);
    w.e[0] = _mm256_or_si256(w.e[0], _mm256_and_si256(_mm256_slli_epi16(hx, 4), bit));
    w.e[1] = _mm256_or_si256(w.e[1], _mm256_and_si256(_mm256_slli_epi16(hy, 4), bit));
    w.e[2] = _mm256_or_si256(w.e[2], _mm256_and_si256(_mm256_srli_epi16(hx, 4), bit));
    w.e[3] = _mm256_or_si256(w.e[3], _mm256_and_si256(_mm256_srli_epi16(hy, 4), bit));
    return w;
}

LS_PAIR_KERNELS(q4_k, widen_q4_k)
LS_PAIR_KERNELS(q5_k, widen_q5_k)

const ls_quant_kernels ls_q4_k_kernels = {256, 144, q4_k_dequantize, q4_k_dot, q4_k_widen};
const ls_quant_kernels ls_q5_k_kernels = {256, 176, q5_k_dequantize, q5_k_dot, q5_k_widen};
