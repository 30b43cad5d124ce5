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

static inline __attribute__((always_inline)) weight_pair widen_q4_k(const uint8_t *row, int p, int blocks) {
    (void)blocks;
    const uint8_t *block = row + (size_t)(p >> 2) * 144;
    k_sub_scales s = k_decode_scales(block);
    return q4_k_pair(block, &s, p & 3);
}

static inline __attribute__((always_inline)) void q4_k_body(const uint8_t *w, int cols, const qrow *rows, int R,
                                                             float *result) {
    k_dot(q4_k_pair, 144, w, cols, rows, R, result);
}

LS_DOT_BY_ROWS(q4_k_dot, q4_k_body)

static void q4_k_widen(const uint8_t *w, int cols, uint8_t *scratch) { ls_widen_pairs(widen_q4_k, w, cols, scratch); }
#pragma STDC FP_CONTRACT DEFAULT
#endif

LS_TYPE(q4_k, 12, .block_values = 256, .block_bytes = 144, .dequantize = q4_k_dequantize, .dot = q4_k_dot,
        .widen = q4_k_widen, .widened_max = 15, .offsets = 1)
