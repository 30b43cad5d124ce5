// Q5_K: Q4_K's super-blocks with 32 bytes of fifth bits before the nibbles (see k_blocks.h):
// bit j of byte l is value 32j + l's fifth bit.
#ifndef LS_TYPE_ENTRIES_ONLY
#pragma STDC FP_CONTRACT OFF
#include "k_blocks.h"

static void q5_k_dequantize(const uint8_t *p, float *dst, int n) { k_dequantize(p, dst, n, 176, 1); }

/// Pair `k` (0..3) of a Q5_K super-block.
static inline __attribute__((always_inline)) weight_pair q5_k_pair(const uint8_t *block, const k_sub_scales *s, int k) {
    weight_pair w;
    k_scales(s, k, &w);
    k_nibbles(block + 48 + 32 * k, &w);
    // Fifth bits: bit 2k of qh[l] for sub-block 2k, bit 2k+1 for 2k+1.
    const __m256i bit = _mm256_set1_epi16(0x0010);
    __m256i qh = _mm256_loadu_si256((const __m256i *)(block + 16));
    __m256i hx = ls_dup_shift(qh, 0, 2 * k, 2 * k + 1), hy = ls_dup_shift(qh, 1, 2 * k, 2 * k + 1);
    w.e[0] = _mm256_or_si256(w.e[0], _mm256_and_si256(_mm256_slli_epi16(hx, 4), bit));
    w.e[1] = _mm256_or_si256(w.e[1], _mm256_and_si256(_mm256_slli_epi16(hy, 4), bit));
    w.e[2] = _mm256_or_si256(w.e[2], _mm256_and_si256(_mm256_srli_epi16(hx, 4), bit));
    w.e[3] = _mm256_or_si256(w.e[3], _mm256_and_si256(_mm256_srli_epi16(hy, 4), bit));
    return w;
}

LS_K_KERNELS(q5_k, 176, q5_k_pair)
#pragma STDC FP_CONTRACT DEFAULT
#endif

LS_TYPE(q5_k, 13, .block_values = 256, .block_bytes = 176, .dequantize = q5_k_dequantize, .dot = q5_k_dot,
        .widen = q5_k_widen, .widened_max = 31, .offsets = 1)
