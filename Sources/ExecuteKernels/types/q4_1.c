// Q4_1: 32-value blocks of an f16 scale d, an f16 minimum m and 32 4-bit values q: y = d·q + m.
// The minimum is an offset per 32-block against the activations' sums (see q4_blocks.h for the
// widening). SmolLM2's layer weights, held packed (q4_1_x16.c) for products.
#ifndef LS_TYPE_ENTRIES_ONLY
#include "q4_blocks.h"

static void q4_1_dequantize(const uint8_t *p, float *dst, int n) {
    for (int b = 0; b < n / 32; b++, p += 20) {
        __m128 dm = ls_half2_to_float(p);
        __m256 d = _mm256_broadcastss_ps(dm), m = _mm256_broadcastss_ps(_mm_movehdup_ps(dm));
        __m256i q[4];
        ls_nibbles_int32(p + 4, q);
        for (int g = 0; g < 4; g++) _mm256_storeu_ps(dst + 32 * b + 8 * g, _mm256_fmadd_ps(_mm256_cvtepi32_ps(q[g]), d, m));
    }
}

static inline __attribute__((always_inline)) weight_pair widen_q4_1(const uint8_t *row, int p, int blocks) {
    const uint8_t *a, *b;
    ls_pair_blocks(row, p, blocks, 20, &a, &b);
    weight_pair w;
    __m128 head = ls_pair_heads(a, b);
    w.d = ls_head_scales(head);
    w.dm = _mm_movehdup_ps(head);  // [mA, mA, mB, mB]
    ls_widen_nibbles(ls_load_two(a + 4, b + 4), &w);
    return w;
}

LS_PAIR_KERNELS(q4_1, widen_q4_1)
#endif

LS_TYPE(q4_1, 3, .block_values = 32, .block_bytes = 20, .dequantize = q4_1_dequantize, .dot = q4_1_dot,
        .widen = q4_1_widen, .widened_max = 15, .offsets = 1)
