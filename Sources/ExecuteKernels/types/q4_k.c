// Q4_K: super-blocks of 256 values: f16 d and dmin, 12 bytes of 6-bit sub-block scales and
// minimums, 128 bytes of nibbles (see k_blocks.h). The bulk of a Q4_K_M file's weights.
#ifndef LS_TYPE_ENTRIES_ONLY
#pragma STDC FP_CONTRACT OFF
#include "k_blocks.h"

static void q4_k_dequantize(const uint8_t *p, float *dst, int n) { k_dequantize(p, dst, n, 144, 0); }

/// Pair `k` (0..3) of a Q4_K super-block.
static inline __attribute__((always_inline)) weight_pair q4_k_pair(const uint8_t *block, const k_sub_scales *s, int k) {
    weight_pair w;
    k_scales(s, k, &w);
    k_nibbles(block + 16 + 32 * k, &w);
    return w;
}

LS_K_KERNELS(q4_k, 144, q4_k_pair)
#pragma STDC FP_CONTRACT DEFAULT
#endif

LS_TYPE(q4_k, 12, .block_values = 256, .block_bytes = 144, .dequantize = q4_k_dequantize, .dot = q4_k_dot,
        .widen = q4_k_widen, .widened_max = 15, .offsets = 1)
