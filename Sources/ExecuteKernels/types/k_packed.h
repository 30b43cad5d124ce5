// What the packed layouts of Q4_K and Q5_K share (packed.h): a super-block's heads per group, the
// rows' f16 d, the rows' f16 dmin and the twelve bytes of 6-bit sub-block scales and minimums as
// twelve runs of 16 (byte t of row i at 4·16 + 16t + i), 256 bytes before the sub-blocks' words.
#pragma once

#include "../packed.h"

#define LS_K_PACKED_HEAD_BYTES (16 * LS_PACKED_ROWS)

/// Row `i`'s heads from the file's super-block `block` (d, dmin, then the twelve scale bytes).
static inline void ls_k_pack_head(const uint8_t *block, uint8_t *out, int i) {
    memcpy(out + 2 * i, block, 2);
    memcpy(out + 2 * LS_PACKED_ROWS + 2 * i, block + 2, 2);
    for (int t = 0; t < 12; t++) out[4 * LS_PACKED_ROWS + LS_PACKED_ROWS * t + i] = block[4 + t];
}

/// The eight sub-blocks' 6-bit scales `sc[j]` and minimums `mn[j]` of rows [LANES·h, ...), a byte
/// per row: the fields unpacked as k_decode_scales does for one row (k_blocks.h), here with
/// byte-wide masks and shifts once per super-block for all its rows.
static inline __attribute__((always_inline)) void ls_k_packed_fields(const uint8_t *super, int h, __m128i sc[8],
                                                                     __m128i mn[8]) {
    __m128i b[12];
    for (int t = 0; t < 12; t++)
        b[t] = _mm_loadu_si128((const __m128i *)(super + 4 * LS_PACKED_ROWS + LS_PACKED_ROWS * t + LS_VECTOR_LANES * h));
    const __m128i six = _mm_set1_epi8(0x3F), low = _mm_set1_epi8(0x0F), top = _mm_set1_epi8(0x30);
    for (int j = 0; j < 4; j++) {
        sc[j] = _mm_and_si128(b[j], six);
        mn[j] = _mm_and_si128(b[j + 4], six);
        sc[j + 4] = _mm_or_si128(_mm_and_si128(b[j + 8], low), _mm_and_si128(_mm_srli_epi16(b[j], 2), top));
        mn[j + 4] = _mm_or_si128(_mm_and_si128(_mm_srli_epi16(b[j + 8], 4), low), _mm_and_si128(_mm_srli_epi16(b[j + 4], 2), top));
    }
}

/// -dmin·m of the eight sub-blocks into `m`; returns the super-block's d.
static inline __attribute__((always_inline)) vfloat ls_k_packed_offsets(const uint8_t *super, int h, const __m128i mn[8],
                                                                        vfloat *m) {
    vfloat dmin = vfloat_mul(vfloat_halves(super + 2 * LS_PACKED_ROWS + 2 * LS_VECTOR_LANES * h), vfloat_set1(-1.0f));
    for (int j = 0; j < 8; j++) m[j] = vfloat_mul(dmin, vfloat_from_u8(mn[j]));
    return vfloat_halves(super + 2 * LS_VECTOR_LANES * h);
}

/// d·sc and -dmin·m of the eight sub-blocks (ls_packed_head_fn).
static inline __attribute__((always_inline)) void ls_k_packed_head(const uint8_t *super, int h, vfloat *d, vfloat *m) {
    __m128i sc[8], mn[8];
    ls_k_packed_fields(super, h, sc, mn);
    vfloat dd = ls_k_packed_offsets(super, h, mn, m);
    for (int j = 0; j < 8; j++) d[j] = vfloat_mul(dd, vfloat_from_u8(sc[j]));
}

/// d, the sub-blocks' integer scales and -dmin·m (ls_packed_super_head_fn): the heads of the
/// GEMM's widening, which folds the integer scales into the weights.
static inline __attribute__((always_inline)) void ls_k_packed_super_head(const uint8_t *super, int h, vfloat *d,
                                                                         __m128i *scale, vfloat *m) {
    __m128i mn[8];
    ls_k_packed_fields(super, h, scale, mn);
    *d = ls_k_packed_offsets(super, h, mn, m);
}
