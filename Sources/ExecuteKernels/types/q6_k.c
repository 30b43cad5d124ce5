// Q6_K: super-blocks of 256 6-bit values (low nibbles, high pairs) in sixteen sub-blocks of 16
// with signed 8-bit scales, one f16 d: y = d·sc·(q - 32). The output head of every K-quant mix.
//
// A pair's first and second 16 values of each block fall in separate activation groups, so
// the decode kernel applies the sub-block scales with one float multiply per group; the
// widened many-row form folds them into the weights instead ((q - 32)·sc fits in ±4096, so
// four pmaddwd sums against 16-bit activations stay in int32).
#ifndef LS_TYPE_ENTRIES_ONLY
#pragma STDC FP_CONTRACT OFF
#include "../quantized.h"

/// A super-block's f16 d, stored last.
static inline __attribute__((always_inline)) float q6_k_d(const uint8_t *block) {
    return ls_half_to_float((uint16_t)(block[208] | block[209] << 8));
}

static void q6_k_dequantize(const uint8_t *p, float *dst, int n) {
    const __m256i mask = _mm256_set1_epi32(0x0F), two = _mm256_set1_epi32(3), bias = _mm256_set1_epi32(32);
    for (int b = 0; b < n / 256; b++, p += 210, dst += 256) {
        float d = q6_k_d(p);
        const int8_t *sc = (const int8_t *)(p + 192);
        for (int half = 0; half < 2; half++) {
            const uint8_t *ql = p + 64 * half, *qh = p + 128 + 32 * half;
            float *y = dst + 128 * half;
            for (int l = 0; l < 32; l += 8) {
                __m256i a = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(ql + l)));
                __m256i c = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(ql + l + 32)));
                __m256i h = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(qh + l)));
                __m256i q[4] = {
                    _mm256_or_si256(_mm256_and_si256(a, mask), _mm256_slli_epi32(_mm256_and_si256(h, two), 4)),
                    _mm256_or_si256(_mm256_and_si256(c, mask), _mm256_slli_epi32(_mm256_and_si256(_mm256_srli_epi32(h, 2), two), 4)),
                    _mm256_or_si256(_mm256_srli_epi32(a, 4), _mm256_slli_epi32(_mm256_and_si256(_mm256_srli_epi32(h, 4), two), 4)),
                    _mm256_or_si256(_mm256_srli_epi32(c, 4), _mm256_slli_epi32(_mm256_srli_epi32(h, 6), 4))};
                for (int g = 0; g < 4; g++) {
                    // ggml: (d * scale) * (q - 32), each product rounded to float.
                    __m256 dl = _mm256_set1_ps(d * (float)sc[8 * half + 2 * g + l / 16]);
                    _mm256_storeu_ps(y + 32 * g + l, _mm256_mul_ps(dl, _mm256_cvtepi32_ps(_mm256_sub_epi32(q[g], bias))));
                }
            }
        }
    }
}

/// Pair `p` of a row as unsigned 6-bit values (0..63) in the four activation groups.
static inline __attribute__((always_inline)) void q6_k_values(const uint8_t *block, int p, __m256i *e) {
    int half = (p >> 1) & 1, t = p & 1;
    const uint8_t *ql = block + 64 * half, *qh = block + 128 + 32 * half;
    // Block A is values 64t..64t+31 of this half (ql[0..31]), block B 64t+32.. (ql[32..63]);
    // t picks low or high nibbles, and qh[l] holds their top bits at 4t and 4t+2.
    const __m256i mask = _mm256_set1_epi16(0x000F), top = _mm256_set1_epi16(0x0030);
    __m256i x = ls_load_two(ql, ql + 32), y = ls_load_two(ql + 16, ql + 48);
    if (t) {
        x = _mm256_srli_epi16(x, 4);
        y = _mm256_srli_epi16(y, 4);
    }
    __m256i h = _mm256_loadu_si256((const __m256i *)qh);
    __m256i hx = ls_dup_shift(h, 0, 4 * t, 4 * t + 2), hy = ls_dup_shift(h, 1, 4 * t, 4 * t + 2);
    e[0] = _mm256_or_si256(_mm256_and_si256(x, mask), _mm256_and_si256(_mm256_slli_epi16(hx, 4), top));
    e[1] = _mm256_or_si256(_mm256_and_si256(y, mask), _mm256_and_si256(_mm256_slli_epi16(hy, 4), top));
    e[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(x, 8), mask), _mm256_and_si256(_mm256_srli_epi16(hx, 4), top));
    e[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(y, 8), mask), _mm256_and_si256(_mm256_srli_epi16(hy, 4), top));
}

/// The widened form (many activation rows): scales folded into the weights.
static inline __attribute__((always_inline)) weight_pair widen_q6_k(const uint8_t *row, int p, int blocks) {
    (void)blocks;
    const uint8_t *block = row + (size_t)(p >> 2) * 210;
    const int8_t *sc = (const int8_t *)(block + 192) + 4 * (p & 3);
    weight_pair w;
    w.d = _mm256_set1_ps(q6_k_d(block));
    w.dm = _mm_setzero_ps();
    const __m256i bias = _mm256_set1_epi16(32);
    __m256i e[4];
    q6_k_values(block, p, e);
    __m256i first = ls_spread16(sc[0], sc[2]), second = ls_spread16(sc[1], sc[3]);
    w.e[0] = _mm256_mullo_epi16(_mm256_sub_epi16(e[0], bias), first);
    w.e[2] = _mm256_mullo_epi16(_mm256_sub_epi16(e[2], bias), first);
    w.e[1] = _mm256_mullo_epi16(_mm256_sub_epi16(e[1], bias), second);
    w.e[3] = _mm256_mullo_epi16(_mm256_sub_epi16(e[3], bias), second);
    return w;
}

/// The decode kernel's loop. Scales stay out of the integer products: groups 0 and 2 of a pair
/// are the first 16 values of blocks A and B, groups 1 and 3 the second 16, so two float
/// multiplies apply the four sub-block scales, and the -32 bias is an offset against the
/// activations' 16-value sums. The sixteen d·sc of a super-block are converted once.
/// bench/run kernels --types Q6_K --rows 1 --threads 1 (Zen 4, best of five interleaved runs):
/// 1.00 -> 0.64 ms per layer against folding the scales into the weights with vpmullw.
static inline __attribute__((always_inline)) void q6_k_body(const uint8_t *w, int cols, const qrow *rows, int R,
                                                             float *result) {
    ls_row_sums sums;
    ls_sums_start(&sums, R);
    for (int b = 0; b < cols / 256; b++) {
        const uint8_t *block = w + (size_t)b * 210;
        __m256 d = _mm256_set1_ps(q6_k_d(block));
        __m128i sc = _mm_loadu_si128((const __m128i *)(block + 192));
        __m256 ds[2] = {_mm256_mul_ps(d, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(sc))),
                        _mm256_mul_ps(d, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(sc, 8))))};
        __m256 bias[2] = {_mm256_mul_ps(ds[0], _mm256_set1_ps(-32)), _mm256_mul_ps(ds[1], _mm256_set1_ps(-32))};
        for (int k = 0; k < 4; k++) {
            int p = 4 * b + k;
            __m256i e[4];
            q6_k_values(block, p, e);
            // Scales 4k..4k+3: [A first, A second, B first, B second].
            const __m256i firsts = _mm256_setr_epi32(0, 0, 0, 0, 2, 2, 2, 2), seconds = _mm256_setr_epi32(1, 1, 1, 1, 3, 3, 3, 3);
            __m256i at = _mm256_set1_epi32(4 * (k & 1));
            __m256 first = _mm256_permutevar8x32_ps(ds[k >> 1], _mm256_add_epi32(firsts, at));
            __m256 second = _mm256_permutevar8x32_ps(ds[k >> 1], _mm256_add_epi32(seconds, at));
            __m128 offset = k & 1 ? _mm256_extractf128_ps(bias[k >> 1], 1) : _mm256_castps256_ps128(bias[k >> 1]);
            for (int r = 0; r < R; r++) {
                const int16_t *a = rows[r].q + 64 * p;
                __m256i p02 = ls_two_products(e[0], a, e[2], a + 32);
                __m256i p13 = ls_two_products(e[1], a + 16, e[3], a + 48);
                __m256 scale = _mm256_loadu_ps(rows[r].scale + 8 * p);
                sums.acc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p02), _mm256_mul_ps(first, scale), sums.acc[r]);
                sums.acc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p13), _mm256_mul_ps(second, scale), sums.acc[r]);
                sums.offset[r] = _mm_fmadd_ps(offset, _mm_loadu_ps(rows[r].sum + 4 * p), sums.offset[r]);
            }
        }
    }
    ls_sums_finish(&sums, R, result);
}

LS_DOT_BY_ROWS(q6_k_dot, q6_k_body)

static void q6_k_widen(const uint8_t *w, int cols, uint8_t *scratch) { ls_widen_pairs(widen_q6_k, w, cols, scratch); }

#pragma STDC FP_CONTRACT DEFAULT
#endif

LS_TYPE(q6_k, 14, .block_values = 256, .block_bytes = 210, .dequantize = q6_k_dequantize, .dot = q6_k_dot,
        .widen = q6_k_widen, .widened_max = 4096, .offsets = 0)
