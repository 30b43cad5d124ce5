// IQ4_XS packed 16 rows to a group (packed.h), built once at load (ls_pack).
//
// Per group and super-block column, 2,176 bytes (136 per row, as in the file): the rows' f16 d,
// the six bytes of 6-bit sub-block scales as six runs of 16 (file byte 2 + t of row i at
// 32 + 16t + i), then the eight sub-blocks' level indexes as Q4_1_x16 holds a block's nibbles
// (ls_pack_nibbles), 256 bytes each, looked up in the sixteen-level table after widening
// (ls_iq4_lookup).
//
// Against the file's layout (`lightserve-bench kernels` on Qwen2.5-Coder-1.5B requantized to
// IQ4_XS by llama-quantize, Zen 4, two threads, one layer; same run, ms): 1 row 1.30 -> 0.64,
// 4 rows 2.53 -> 1.51, 8 rows 6.49 -> 2.90.
#ifndef LS_TYPE_ENTRIES_ONLY
#include "../packed.h"
#include "iq4_levels.h"

#define GROUP LS_PACKED_ROWS
#define HEAD_BYTES (2 * GROUP + 6 * GROUP)

static void iq4_xs_x16_pack_block(const uint8_t *block, uint8_t *out, int i) {
    memcpy(out + 2 * i, block, 2);
    for (int t = 0; t < 6; t++) out[2 * GROUP + GROUP * t + i] = block[2 + t];
    for (int j = 0; j < 8; j++) {
        uint8_t q[32];
        ls_split_nibbles(block + 8 + 16 * j, q);
        ls_pack_nibbles(q, out + HEAD_BYTES + 256 * j, i);
    }
}

static void iq4_xs_x16_pack(const uint8_t *src, int rows, int cols, uint8_t *dst) {
    ls_pack_rows(iq4_xs_x16_pack_block, 256, 136, 136 * GROUP, src, rows, cols, dst);
}

/// d·(ls - 32) of the eight sub-blocks: ls's low nibble from the runs of file bytes 4-7, its top
/// two bits from those of bytes 2-3.
static inline __attribute__((always_inline)) void iq4_xs_x16_head(const uint8_t *super, int h, vfloat *d, vfloat *m) {
    (void)m;
    vfloat dd = vfloat_halves(super + 2 * LS_VECTOR_LANES * h);
    __m128i b[6];
    for (int t = 0; t < 6; t++) b[t] = _mm_loadu_si128((const __m128i *)(super + 2 * GROUP + GROUP * t + LS_VECTOR_LANES * h));
    const __m128i low = _mm_set1_epi8(0x0F), top = _mm_set1_epi8(0x30);
    for (int j = 0; j < 8; j++) {
        __m128i lo = j & 1 ? _mm_and_si128(_mm_srli_epi16(b[2 + j / 2], 4), low) : _mm_and_si128(b[2 + j / 2], low);
        // Bits 2(j%4), 2(j%4)+1 of byte j/4 moved to bits 4-5 (shifts of at most 4 stay in each byte's bits).
        int at = 2 * (j % 4);
        __m128i hi = at <= 4 ? _mm_slli_epi16(b[j / 4], 4 - at) : _mm_srli_epi16(b[j / 4], at - 4);
        __m128i ls = _mm_or_si128(lo, _mm_and_si128(hi, top));
        d[j] = vfloat_mul(dd, vfloat_add(vfloat_from_u8(ls), vfloat_set1(-32.0f)));
    }
}

LS_PACKED_KERNELS(iq4_xs_x16, ls_iq4_nibble_unit, iq4_xs_x16_head, NULL, NULL, ((ls_packed_shape){HEAD_BYTES, 64 * 4, 8, 1, 0}))

#undef GROUP
#undef HEAD_BYTES
#endif

LS_TYPE(iq4_xs_x16, 1023, .block_values = 256, .block_bytes = 136, .dot = iq4_xs_x16_dot, .widened_max = 127,
        .offsets = 0, .packed_rows = LS_PACKED_ROWS, .packs = 23, .pack = iq4_xs_x16_pack,
        .widen_group = iq4_xs_x16_widen_group)
