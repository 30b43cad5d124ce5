// Q5_0: 32-value blocks of an f16 scale d, a 32-bit word of fifth bits and 16 bytes of nibbles:
// y = d·(q - 16), the -16·d an offset per 32-block (see q5_blocks.h for the widening).
#ifndef LS_TYPE_ENTRIES_ONLY
#pragma STDC FP_CONTRACT OFF
#include "q5_blocks.h"

// ggml: y = d * (q - 16).
static void q5_0_dequantize(const uint8_t *p, float *dst, int n) {
    for (int b = 0; b < n / 32; b++, p += 22, dst += 32) {
        __m256 d = _mm256_set1_ps(_mm_cvtss_f32(ls_half2_to_float(p)));
        __m256i q = ls_q5_decode_block(p + 2, p + 6);
        for (int g = 0; g < 4; g++)
            _mm256_storeu_ps(dst + 8 * g, _mm256_mul_ps(d, _mm256_cvtepi32_ps(_mm256_sub_epi32(ls_q5_group8(q, g), _mm256_set1_epi32(16)))));
    }
}

static inline __attribute__((always_inline)) weight_pair widen_q5_0(const uint8_t *row, int p, int blocks) {
    const uint8_t *a, *b;
    ls_pair_blocks(row, p, blocks, 22, &a, &b);
    weight_pair w;
    __m128 d2;
    w.d = ls_pair_scales(a, b, &d2);
    w.dm = _mm_mul_ps(_mm_unpacklo_ps(d2, d2), _mm_set1_ps(-16));  // [-16dA, -16dA, -16dB, -16dB]
    ls_widen_q5(ls_load_two(a + 6, b + 6), ls_load_u32(a + 2), ls_load_u32(b + 2), &w);
    return w;
}

LS_PAIR_KERNELS(q5_0, widen_q5_0)
#pragma STDC FP_CONTRACT DEFAULT
#endif

LS_TYPE(q5_0, 6, .block_values = 32, .block_bytes = 22, .dequantize = q5_0_dequantize, .dot = q5_0_dot,
        .widen = q5_0_widen, .widened_max = 31, .offsets = 1)
