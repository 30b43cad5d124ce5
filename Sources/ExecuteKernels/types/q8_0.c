// Q8_0: 32-value blocks of an f16 scale d and 32 signed bytes q: y = d·q. Read as 16-bit lanes,
// a block's bytes hold elements (2i, 2i+1) in lane i, which sign-extending shifts pull out in the
// activations' order (quantized.h). Output heads in Q8_0 are held packed (q8_0_x16.c).
#ifndef LS_TYPE_ENTRIES_ONLY
#include "../quantized.h"

static void q8_0_dequantize(const uint8_t *p, float *dst, int n) {
    for (int b = 0; b < n / 32; b++, p += 34) {
        __m256 d = _mm256_broadcastss_ps(ls_half2_to_float(p));
        for (int j = 0; j < 32; j += 8) {
            __m256i q = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(p + 2 + j)));
            _mm256_storeu_ps(dst + 32 * b + j, _mm256_mul_ps(_mm256_cvtepi32_ps(q), d));
        }
    }
}

static inline __attribute__((always_inline)) weight_pair widen_q8_0(const uint8_t *row, int p, int blocks) {
    const uint8_t *a, *b;
    ls_pair_blocks(row, p, blocks, 34, &a, &b);
    weight_pair w;
    w.d = ls_pair_scales(a, b, NULL);
    w.dm = _mm_setzero_ps();
    ls_widen_signed_bytes(ls_load_two(a + 2, b + 2), ls_load_two(a + 18, b + 18), &w);
    return w;
}

LS_PAIR_KERNELS(q8_0, widen_q8_0)
#endif

LS_TYPE(q8_0, 8, .block_values = 32, .block_bytes = 34, .dequantize = q8_0_dequantize, .dot = q8_0_dot,
        .widen = q8_0_widen, .widened_max = 128, .offsets = 0)
