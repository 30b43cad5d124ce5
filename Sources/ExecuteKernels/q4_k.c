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

/// A super-block's eight sub-block scales d·sc and offsets -dmin·m, decoded together once for
/// its four pairs (decoding them per pair, two at a time with scalar code, made the Q4_K decode
/// kernel ~1.5x slower per byte than Q4_1's).
typedef struct {
    __m256 d;
    __m256 dm;
} k_sub_scales;

static inline __attribute__((always_inline)) k_sub_scales k_decode_scales(const uint8_t *block) {
    // 12 bytes: sc0-3 | m0-3 (low 6 bits, whose top 2 bits are sc4-7's and m4-7's high bits) |
    // sc4-7 low nibbles, m4-7 high nibbles.
    uint32_t s0 = ls_load_u32(block + 4), s1 = ls_load_u32(block + 8), s2 = ls_load_u32(block + 12);
    uint32_t sc_lo = s0 & 0x3F3F3F3Fu, m_lo = s1 & 0x3F3F3F3Fu;
    uint32_t sc_hi = (s2 & 0x0F0F0F0Fu) | ((s0 >> 2) & 0x30303030u);
    uint32_t m_hi = ((s2 >> 4) & 0x0F0F0F0Fu) | ((s1 >> 2) & 0x30303030u);
    __m256 sc = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_setr_epi32((int)sc_lo, (int)sc_hi, 0, 0)));
    __m256 m = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_setr_epi32((int)m_lo, (int)m_hi, 0, 0)));
    __m128 dd = ls_half2_to_float(block);
    k_sub_scales out;
    out.d = _mm256_mul_ps(_mm256_broadcastss_ps(dd), sc);
    // dmin·(-m), as the reference computes it: negating m is exact.
    out.dm = _mm256_mul_ps(_mm256_broadcastss_ps(_mm_movehdup_ps(dd)), _mm256_xor_ps(m, _mm256_set1_ps(-0.0f)));
    return out;
}

/// Scales [d·scA x4 | d·scB x4] and offsets [-dmin·mA x2, -dmin·mB x2] of sub-blocks 2k, 2k+1.
static inline __attribute__((always_inline)) void k_scales(const k_sub_scales *s, int k, weight_pair *w) {
    __m256i pick = _mm256_set1_epi32(2 * k);
    w->d = _mm256_permutevar8x32_ps(s->d, _mm256_add_epi32(pick, _mm256_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1)));
    w->dm = _mm256_castps256_ps128(
        _mm256_permutevar8x32_ps(s->dm, _mm256_add_epi32(pick, _mm256_setr_epi32(0, 0, 1, 1, 0, 0, 0, 0))));
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

/// Pair `k` (0..3) of a Q4_K super-block.
static inline __attribute__((always_inline)) weight_pair q4_k_pair(const uint8_t *block, const k_sub_scales *s, int k) {
    weight_pair w;
    k_scales(s, k, &w);
    k_nibbles(block + 16 + 32 * k, &w);
    return w;
}

/// Pair `k` (0..3) of a Q5_K super-block.
static inline __attribute__((always_inline)) weight_pair q5_k_pair(const uint8_t *block, const k_sub_scales *s, int k) {
    weight_pair w;
    k_scales(s, k, &w);
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

static inline __attribute__((always_inline)) weight_pair widen_q4_k(const uint8_t *row, int p, int blocks) {
    (void)blocks;
    const uint8_t *block = row + (size_t)(p >> 2) * 144;
    k_sub_scales s = k_decode_scales(block);
    return q4_k_pair(block, &s, p & 3);
}

static inline __attribute__((always_inline)) weight_pair widen_q5_k(const uint8_t *row, int p, int blocks) {
    (void)blocks;
    const uint8_t *block = row + (size_t)(p >> 2) * 176;
    k_sub_scales s = k_decode_scales(block);
    return q5_k_pair(block, &s, p & 3);
}

/// The decode kernel's loop, super-block by super-block: scales decoded once, then four pairs.
static inline __attribute__((always_inline)) void k_dot(int five, const uint8_t *w, int cols, const qrow *rows, int R,
                                                         float *result) {
    size_t bytes = five ? 176 : 144;
    ls_row_sums sums;
    ls_sums_start(&sums, R);
    for (int b = 0; b < cols / 256; b++) {
        const uint8_t *block = w + (size_t)b * bytes;
        k_sub_scales s = k_decode_scales(block);
        for (int k = 0; k < 4; k++) {
            weight_pair wp = five ? q5_k_pair(block, &s, k) : q4_k_pair(block, &s, k);
            ls_sums_add(&sums, &wp, rows, R, 4 * b + k);
        }
    }
    ls_sums_finish(&sums, R, result);
}

static inline __attribute__((always_inline)) void q4_k_body(const uint8_t *w, int cols, const qrow *rows, int R,
                                                             float *result) {
    k_dot(0, w, cols, rows, R, result);
}

static inline __attribute__((always_inline)) void q5_k_body(const uint8_t *w, int cols, const qrow *rows, int R,
                                                             float *result) {
    k_dot(1, w, cols, rows, R, result);
}

LS_DOT_BY_ROWS(q4_k_dot, q4_k_body)
LS_DOT_BY_ROWS(q5_k_dot, q5_k_body)

static void q4_k_widen(const uint8_t *w, int cols, uint8_t *scratch) { ls_widen_pairs(widen_q4_k, w, cols, scratch); }
static void q5_k_widen(const uint8_t *w, int cols, uint8_t *scratch) { ls_widen_pairs(widen_q5_k, w, cols, scratch); }

const ls_quant_kernels ls_q4_k_kernels = {256, 144, q4_k_dequantize, q4_k_dot, q4_k_widen, 15, 1};
const ls_quant_kernels ls_q5_k_kernels = {256, 176, q5_k_dequantize, q5_k_dot, q5_k_widen, 31, 1};
