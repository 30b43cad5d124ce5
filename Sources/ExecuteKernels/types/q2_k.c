// Q2_K: super-blocks of 256 2-bit values in sixteen sub-blocks of 16, each with a 4-bit scale
// and a 4-bit minimum: y = d·sc·q - dmin·m.
//
// The scales fold into the int16 weights (q·sc <= 45); the minimums, one per 16 values, meet
// the activations' per-16 sums (quantized.h), so no second product is needed.
#ifndef LS_TYPE_ENTRIES_ONLY
#pragma STDC FP_CONTRACT OFF
#include "../quantized.h"

static void q2_k_dequantize(const uint8_t *p, float *dst, int n) {
    const __m256i two = _mm256_set1_epi32(3);
    for (int b = 0; b < n / 256; b++, p += 84, dst += 256) {
        __m128 dd = ls_half2_to_float(p + 80);
        float d = _mm_cvtss_f32(dd), dmin = _mm_cvtss_f32(_mm_movehdup_ps(dd));
        for (int c = 0; c < 2; c++) {
            const uint8_t *qs = p + 16 + 32 * c;
            for (int j = 0; j < 4; j++) {
                __m128i shift = _mm_cvtsi32_si128(2 * j);
                for (int l = 0; l < 32; l += 8) {
                    __m256i q = _mm256_and_si256(_mm256_srl_epi32(_mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(qs + l))), shift), two);
                    int index = 128 * c + 32 * j + l;
                    uint8_t s = p[index / 16];
                    // ggml: (d * sc) * q - dmin * m, each step rounded to float.
                    __m256 dl = _mm256_set1_ps(d * (float)(s & 0x0F)), ml = _mm256_set1_ps(dmin * (float)(s >> 4));
                    _mm256_storeu_ps(dst + index, _mm256_sub_ps(_mm256_mul_ps(dl, _mm256_cvtepi32_ps(q)), ml));
                }
            }
        }
    }
}

static inline __attribute__((always_inline)) weight_pair widen_q2_k(const uint8_t *row, int p, int blocks) {
    (void)blocks;
    const uint8_t *block = row + (size_t)(p >> 2) * 84;
    int c = (p >> 1) & 1, j = 2 * (p & 1);  // blocks A, B: fields j and j+1 of chunk c
    __m128 dd = ls_half2_to_float(block + 80);
    const uint8_t *s = block + 8 * c + 2 * j;  // A's two sub-blocks, then B's
    weight_pair w;
    w.d = _mm256_broadcastss_ps(dd);
    w.dm = _mm_mul_ps(_mm_permute_ps(dd, 0x55), _mm_setr_ps(-(float)(s[0] >> 4), -(float)(s[1] >> 4),
                                                       -(float)(s[2] >> 4), -(float)(s[3] >> 4)));
    const __m256i two = _mm256_set1_epi16(3);
    __m256i raw = _mm256_loadu_si256((const __m256i *)(block + 16 + 32 * c));
    __m256i x = ls_dup_shift(raw, 0, 2 * j, 2 * j + 2), y = ls_dup_shift(raw, 1, 2 * j, 2 * j + 2);
    __m256i lo = ls_spread16(s[0] & 0x0F, s[2] & 0x0F), hi = ls_spread16(s[1] & 0x0F, s[3] & 0x0F);
    w.e[0] = _mm256_mullo_epi16(_mm256_and_si256(x, two), lo);
    w.e[2] = _mm256_mullo_epi16(_mm256_and_si256(_mm256_srli_epi16(x, 8), two), lo);
    w.e[1] = _mm256_mullo_epi16(_mm256_and_si256(y, two), hi);
    w.e[3] = _mm256_mullo_epi16(_mm256_and_si256(_mm256_srli_epi16(y, 8), two), hi);
    return w;
}

LS_PAIR_KERNELS(q2_k, widen_q2_k)

#pragma STDC FP_CONTRACT DEFAULT
#endif

LS_TYPE(q2_k, 10, .block_values = 256, .block_bytes = 84, .dequantize = q2_k_dequantize, .dot = q2_k_dot,
        .widen = q2_k_widen, .widened_max = 45, .offsets = 2)
