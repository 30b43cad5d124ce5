// What Q4_K and Q5_K share: super-blocks of 256 values in eight sub-blocks of 32, each with a
// 6-bit scale and a 6-bit minimum (y = d·sc·q - dmin·m), 4-bit values (plus Q5_K's fifth bits).
//
// A pair of activation blocks (64 values) meets sub-blocks 2k and 2k+1, which share 32 bytes
// of nibbles (low and high halves): the bytes are duplicated into both 128-bit lanes and
// shifted by 0 and 4 per lane, so the same masks as Q4_0 produce the activation order.
#pragma once

#include "../quantized.h"

/// `n` values (whole super-blocks of `bytes`) decoded as ggml does: y = (d·sc)·q - dmin·m, each
/// product rounded to float; Q5_K's fifth bits (`five`) come from the 32 bytes before its nibbles.
static inline __attribute__((always_inline)) void k_dequantize(const uint8_t *p, float *dst, int n, size_t bytes,
                                                                int five) {
    for (int b = 0; b < n / 256; b++, p += bytes, dst += 256) {
        __m128 dd = ls_half2_to_float(p);
        float d = _mm_cvtss_f32(dd), dmin = _mm_cvtss_f32(_mm_movehdup_ps(dd));
        const uint8_t *qh = p + 16;
        for (int j = 0; j < 8; j++) {
            int sc, m;
            ls_k_scale_min(p + 4, j, &sc, &m);
            float dl = d * (float)sc, ml = dmin * (float)m;
            const uint8_t *qs = p + (five ? 48 : 16) + 32 * (j / 2);
            int shift = 4 * (j & 1);
            for (int l = 0; l < 32; l++) {
                int q = ((qs[l] >> shift) & 0x0F) | (five ? ((qh[l] >> j) & 1) << 4 : 0);
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

/// Pair `k` (0..3) of a super-block whose scales are decoded.
typedef weight_pair (*k_pair_fn)(const uint8_t *block, const k_sub_scales *s, int k);

/// The decode kernel's loop, super-block (`bytes` each) by super-block: scales decoded once, then
/// four pairs.
static inline __attribute__((always_inline)) void k_dot(k_pair_fn pair, size_t bytes, const uint8_t *w, int cols,
                                                         const qrow *rows, int R, float *result) {
    ls_row_sums sums;
    ls_sums_start(&sums, R);
    for (int b = 0; b < cols / 256; b++) {
        const uint8_t *block = w + (size_t)b * bytes;
        k_sub_scales s = k_decode_scales(block);
        for (int k = 0; k < 4; k++) {
            weight_pair wp = pair(block, &s, k);
            ls_sums_add(&sums, &wp, rows, R, 4 * b + k);
        }
    }
    ls_sums_finish(&sums, R, result);
}

/// Defines `NAME_dot` and `NAME_widen` for a super-block type of `BYTES` bytes from its `PAIR`
/// function: the decode kernel's loop and the row widener.
#define LS_K_KERNELS(NAME, BYTES, PAIR)                                                                           \
    static inline __attribute__((always_inline)) weight_pair NAME##_widen_pair(const uint8_t *row, int p,       \
                                                                               int blocks) {                     \
        (void)blocks;                                                                                             \
        const uint8_t *block = row + (size_t)(p >> 2) * (BYTES);                                                  \
        k_sub_scales s = k_decode_scales(block);                                                                  \
        return PAIR(block, &s, p & 3);                                                                            \
    }                                                                                                             \
    static inline __attribute__((always_inline)) void NAME##_body(const uint8_t *w, int cols, const qrow *rows,  \
                                                                   int R, float *result) {                       \
        k_dot(PAIR, BYTES, w, cols, rows, R, result);                                                             \
    }                                                                                                             \
    LS_DOT_BY_ROWS(NAME##_dot, NAME##_body)                                                                       \
    static void NAME##_widen(const uint8_t *w, int cols, uint8_t *scratch) {                                     \
        ls_widen_pairs(NAME##_widen_pair, w, cols, scratch);                                                      \
    }
