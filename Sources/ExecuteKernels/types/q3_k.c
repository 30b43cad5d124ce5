// Q3_K: super-blocks of 256 3-bit values (2-bit fields plus a bit mask) in sixteen sub-blocks of
// 16 with 6-bit signed scales: y = d·(sc - 32)·(q - 4·!hbit).
//
// Widening follows Q4_K (the 2-bit fields of two sub-block pairs share 32 bytes at shifts 2j and
// 2j+2) and folds the per-16 scales into the int16 weights as Q6_K does (|q·sc| <= 128).
#ifndef LS_TYPE_ENTRIES_ONLY
#pragma STDC FP_CONTRACT OFF
#include "../quantized.h"

/// Scale `i` (0..15) of a super-block's 12 packed bytes, minus 32.
static inline __attribute__((always_inline)) int q3_scale(const uint8_t *s, int i) {
    int low = i < 8 ? s[i] & 0x0F : s[i - 8] >> 4;
    int high = (s[8 + (i & 3)] >> (2 * (i >> 2))) & 3;
    return (low | high << 4) - 32;
}

static void q3_k_dequantize(const uint8_t *p, float *dst, int n) {
    const __m256i two = _mm256_set1_epi32(3), one = _mm256_set1_epi32(1);
    for (int b = 0; b < n / 256; b++, p += 110, dst += 256) {
        float d = ls_half_to_float((uint16_t)(p[108] | p[109] << 8));
        const uint8_t *hmask = p, *scales = p + 96;
        for (int c = 0; c < 2; c++) {
            const uint8_t *qs = p + 32 + 32 * c;
            for (int j = 0; j < 4; j++) {
                __m128i shift = _mm_cvtsi32_si128(2 * j), bit = _mm_cvtsi32_si128(4 * c + j);
                for (int l = 0; l < 32; l += 8) {
                    __m256i q = _mm256_and_si256(_mm256_srl_epi32(_mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(qs + l))), shift), two);
                    __m256i h = _mm256_and_si256(_mm256_srl_epi32(_mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(hmask + l))), bit), one);
                    // 4 is subtracted where the mask bit is clear.
                    q = _mm256_sub_epi32(q, _mm256_slli_epi32(_mm256_xor_si256(h, one), 2));
                    int index = 128 * c + 32 * j + l;
                    __m256 dl = _mm256_set1_ps(d * (float)q3_scale(scales, index / 16));
                    _mm256_storeu_ps(dst + index, _mm256_mul_ps(dl, _mm256_cvtepi32_ps(q)));
                }
            }
        }
    }
}

static inline __attribute__((always_inline)) weight_pair widen_q3_k(const uint8_t *row, int p, int blocks) {
    (void)blocks;
    const uint8_t *block = row + (size_t)(p >> 2) * 110;
    int c = (p >> 1) & 1, j = 2 * (p & 1);  // blocks A, B: fields j and j+1 of chunk c
    weight_pair w;
    w.d = _mm256_set1_ps(ls_half_to_float((uint16_t)(block[108] | block[109] << 8)));
    w.dm = _mm_setzero_ps();
    const __m256i two = _mm256_set1_epi16(3), third = _mm256_set1_epi16(4);
    __m256i raw = _mm256_loadu_si256((const __m256i *)(block + 32 + 32 * c));
    __m256i x = ls_dup_shift(raw, 0, 2 * j, 2 * j + 2), y = ls_dup_shift(raw, 1, 2 * j, 2 * j + 2);
    __m256i h = _mm256_loadu_si256((const __m256i *)block);
    int bit = 4 * c + j;
    __m256i hx = ls_dup_shift(h, 0, bit, bit + 1), hy = ls_dup_shift(h, 1, bit, bit + 1);
    __m256i e0 = _mm256_or_si256(_mm256_and_si256(x, two), _mm256_and_si256(_mm256_slli_epi16(hx, 2), third));
    __m256i e1 = _mm256_or_si256(_mm256_and_si256(y, two), _mm256_and_si256(_mm256_slli_epi16(hy, 2), third));
    __m256i e2 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(x, 8), two),
                                 _mm256_and_si256(_mm256_srli_epi16(hx, 6), third));
    __m256i e3 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(y, 8), two),
                                 _mm256_and_si256(_mm256_srli_epi16(hy, 6), third));
    const uint8_t *s = block + 96;
    int first = 8 * c + 2 * j;  // scale of A's first 16 values; B's is two further on
    __m256i lo = ls_spread16(q3_scale(s, first), q3_scale(s, first + 2));
    __m256i hi = ls_spread16(q3_scale(s, first + 1), q3_scale(s, first + 3));
    w.e[0] = _mm256_mullo_epi16(_mm256_sub_epi16(e0, third), lo);
    w.e[2] = _mm256_mullo_epi16(_mm256_sub_epi16(e2, third), lo);
    w.e[1] = _mm256_mullo_epi16(_mm256_sub_epi16(e1, third), hi);
    w.e[3] = _mm256_mullo_epi16(_mm256_sub_epi16(e3, third), hi);
    return w;
}

LS_PAIR_KERNELS(q3_k, widen_q3_k)

#pragma STDC FP_CONTRACT DEFAULT
#endif

LS_TYPE(q3_k, 11, .block_values = 256, .block_bytes = 110, .dequantize = q3_k_dequantize, .dot = q3_k_dot,
        .widen = q3_k_widen, .widened_max = 128, .offsets = 0)
