// Q5_1: 32-value blocks of an f16 scale d, an f16 minimum m, a 32-bit word of fifth bits and 16
// bytes of nibbles: y = d·q + m, the minimum an offset per 32-block (see q5_blocks.h).
#ifndef LS_TYPE_ENTRIES_ONLY
#pragma STDC FP_CONTRACT OFF
#include "q5_blocks.h"

// ggml: y = d * q + m, no fused multiply-add.
static void q5_1_dequantize(const uint8_t *p, float *dst, int n) {
    for (int b = 0; b < n / 32; b++, p += 24, dst += 32) {
        __m128 dm = ls_half2_to_float(p);
        __m256 d = _mm256_broadcastss_ps(dm), m = _mm256_broadcastss_ps(_mm_movehdup_ps(dm));
        __m256i q = ls_q5_decode_block(p + 4, p + 8);
        for (int g = 0; g < 4; g++)
            _mm256_storeu_ps(dst + 8 * g, _mm256_add_ps(_mm256_mul_ps(d, _mm256_cvtepi32_ps(ls_q5_group8(q, g))), m));
    }
}

static inline __attribute__((always_inline)) weight_pair widen_q5_1(const uint8_t *row, int p, int blocks) {
    const uint8_t *a, *b;
    ls_pair_blocks(row, p, blocks, 24, &a, &b);
    weight_pair w;
    __m128 head = ls_pair_heads(a, b);
    w.d = ls_head_scales(head);
    w.dm = _mm_movehdup_ps(head);  // [mA, mA, mB, mB]
    ls_widen_q5(ls_load_two(a + 8, b + 8), ls_load_u32(a + 4), ls_load_u32(b + 4), &w);
    return w;
}

LS_PAIR_KERNELS(q5_1, widen_q5_1)
#pragma STDC FP_CONTRACT DEFAULT
#endif

LS_TYPE(q5_1, 7, .block_values = 32, .block_bytes = 24, .dequantize = q5_1_dequantize, .dot = q5_1_dot,
        .widen = q5_1_widen, .widened_max = 31, .offsets = 1)
