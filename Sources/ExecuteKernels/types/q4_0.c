// Q4_0: 32-value blocks of an f16 scale d and 32 4-bit values q: y = d·(q - 8). The -8·d is an
// offset per 32-block against the activations' sums (see q4_blocks.h for the widening).
#ifndef LS_TYPE_ENTRIES_ONLY
#include "q4_blocks.h"

// ggml: y = (q - 8)·d, so that q = 8 gives d's signed zero.
static void q4_0_dequantize(const uint8_t *p, float *dst, int n) {
    for (int b = 0; b < n / 32; b++, p += 18) {
        __m256 d = _mm256_set1_ps(_mm_cvtss_f32(ls_half2_to_float(p)));
        __m256i q[4];
        ls_nibbles_int32(p + 2, q);
        for (int g = 0; g < 4; g++)
            _mm256_storeu_ps(dst + 32 * b + 8 * g, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(q[g], _mm256_set1_epi32(8))), d));
    }
}

static inline __attribute__((always_inline)) weight_pair widen_q4_0(const uint8_t *row, int p, int blocks) {
    const uint8_t *a, *b;
    ls_pair_blocks(row, p, blocks, 18, &a, &b);
    weight_pair w;
    __m128 head = ls_pair_heads(a, b);
    w.d = ls_head_scales(head);
    w.dm = _mm_mul_ps(_mm_moveldup_ps(head), _mm_set1_ps(-8));  // [-8dA, -8dA, -8dB, -8dB]
    ls_widen_nibbles(ls_load_two(a + 2, b + 2), &w);
    return w;
}

LS_PAIR_KERNELS(q4_0, widen_q4_0)
#endif

LS_TYPE(q4_0, 2, .block_values = 32, .block_bytes = 18, .dequantize = q4_0_dequantize, .dot = q4_0_dot,
        .widen = q4_0_widen, .widened_max = 15, .offsets = 1)
