// IQ4_NL: 32-value blocks of an f16 d and 16 bytes of level indexes: y = d·level (see
// iq4_levels.h). IQ4_XS mixes fall back to it where rows are not whole super-blocks.
#ifndef LS_TYPE_ENTRIES_ONLY
#pragma STDC FP_CONTRACT OFF
#include "iq4_levels.h"

static void iq4_nl_dequantize(const uint8_t *p, float *dst, int n) {
    for (int b = 0; b < n / 32; b++, p += 18) ls_iq4_store_levels(p + 2, _mm256_set1_ps(_mm_cvtss_f32(ls_half2_to_float(p))), dst + 32 * b);
}

static inline __attribute__((always_inline)) weight_pair widen_iq4_nl(const uint8_t *row, int p, int blocks) {
    const uint8_t *a, *b;
    ls_pair_blocks(row, p, blocks, 18, &a, &b);
    weight_pair w;
    w.d = ls_pair_scales(a, b, NULL);
    w.dm = _mm_setzero_ps();
    ls_iq4_widen_levels(ls_load_two(a + 2, b + 2), &w);
    return w;
}

LS_PAIR_KERNELS(iq4_nl, widen_iq4_nl)
#pragma STDC FP_CONTRACT DEFAULT
#endif

LS_TYPE(iq4_nl, 20, .block_values = 32, .block_bytes = 18, .dequantize = iq4_nl_dequantize, .dot = iq4_nl_dot,
        .widen = iq4_nl_widen, .widened_max = 127, .offsets = 0)
