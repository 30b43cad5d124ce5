// IQ4_XS: super-blocks of 256 values: an f16 d, a 6-bit signed scale per 32 values (their high
// bits in 2 bytes, low nibbles in 4) and 128 bytes of level indexes: y = d·(ls - 32)·level (see
// iq4_levels.h).
#ifndef LS_TYPE_ENTRIES_ONLY
#pragma STDC FP_CONTRACT OFF
#include "iq4_levels.h"

/// Sub-block `ib`'s 6-bit scale of a super-block, minus 32.
static inline __attribute__((always_inline)) int xs_scale(const uint8_t *block, int ib) {
    int low = (block[4 + ib / 2] >> (4 * (ib & 1))) & 0x0F;
    int high = ((block[2] | block[3] << 8) >> (2 * ib)) & 3;
    return (low | high << 4) - 32;
}

// gguf: dl = d·(ls - 32) rounded to float, then dl·level.
static void iq4_xs_dequantize(const uint8_t *p, float *dst, int n) {
    for (int b = 0; b < n / 256; b++, p += 136, dst += 256) {
        float d = _mm_cvtss_f32(ls_half2_to_float(p));
        for (int ib = 0; ib < 8; ib++) ls_iq4_store_levels(p + 8 + 16 * ib, _mm256_set1_ps(d * (float)xs_scale(p, ib)), dst + 32 * ib);
    }
}

static inline __attribute__((always_inline)) weight_pair widen_iq4_xs(const uint8_t *row, int p, int blocks) {
    (void)blocks;
    const uint8_t *block = row + (size_t)(p >> 2) * 136;
    int k = p & 3;
    float d = _mm_cvtss_f32(ls_half2_to_float(block));
    weight_pair w;
    w.d = ls_spread2(d * (float)xs_scale(block, 2 * k), d * (float)xs_scale(block, 2 * k + 1));
    w.dm = _mm_setzero_ps();
    const uint8_t *qs = block + 8 + 32 * k;
    ls_iq4_widen_levels(ls_load_two(qs, qs + 16), &w);
    return w;
}

LS_PAIR_KERNELS(iq4_xs, widen_iq4_xs)
#pragma STDC FP_CONTRACT DEFAULT
#endif

LS_TYPE(iq4_xs, 23, .block_values = 256, .block_bytes = 136, .dequantize = iq4_xs_dequantize, .dot = iq4_xs_dot,
        .widen = iq4_xs_widen, .widened_max = 127, .offsets = 0)
