// Q4_K packed 16 rows to a group (packed.h): the layout the bulk of a Q4_K_M model's layer
// weights is held in, built once at load (ls_pack).
//
// Per group and super-block column, 2,304 bytes (144 per row, as in the file): the rows' f16 d,
// the rows' f16 dmin, the twelve bytes of 6-bit sub-block scales and minimums as twelve runs of
// 16 (byte t of row i at 64 + 16t + i), then the eight sub-blocks' nibbles as Q4_1_x16 holds a
// block's (ls_pack_nibbles), 256 bytes each. A super-block's sixteen d·sc and -dmin·m come out
// of the runs with byte-wide masks and shifts, once per super-block for all its rows.
//
// Against the file's layout (`lightserve-bench kernels` on Qwen2.5-Coder-1.5B, Zen 4, two
// threads, one layer with its Q6_K parts packed too, then the Q6_K head; same run, ms): 1 row
// 1.03 -> 0.55 and 5.84 -> 4.34, 4 rows 2.75 -> 1.44, 8 rows 6.65 -> 2.79 (the GEMM: 6.04). One
// stream's decode then reads its 980 MB of weights per token at 0.84-0.9 of the read baseline.
#ifndef LS_TYPE_ENTRIES_ONLY
#include "../packed.h"

#define GROUP LS_PACKED_ROWS
#define HEAD_BYTES (4 * GROUP + 12 * GROUP)

static void q4_k_x16_pack_block(const uint8_t *block, uint8_t *out, int i) {
    memcpy(out + 2 * i, block, 2);
    memcpy(out + 2 * GROUP + 2 * i, block + 2, 2);
    for (int t = 0; t < 12; t++) out[4 * GROUP + GROUP * t + i] = block[4 + t];
    for (int j = 0; j < 8; j++) {
        uint8_t q[32];
        for (int l = 0; l < 32; l++) q[l] = (block[16 + 32 * (j / 2) + l] >> (4 * (j & 1))) & 0x0F;
        ls_pack_nibbles(q, out + HEAD_BYTES + 256 * j, i);
    }
}

static void q4_k_x16_pack(const uint8_t *src, int rows, int cols, uint8_t *dst) {
    ls_pack_rows(q4_k_x16_pack_block, 256, 144, 144 * GROUP, src, rows, cols, dst);
}

static inline __attribute__((always_inline)) void q4_k_x16_unit(const uint8_t *words, int c, vint e[4]) {
    ls_unpack_nibbles(vint_loadu(words + 64 * c), e);
}

/// d·sc and -dmin·m of the eight sub-blocks: the 6-bit fields unpacked as k_decode_scales does
/// for one row (k_blocks.h), here a byte per row.
static inline __attribute__((always_inline)) void q4_k_x16_head(const uint8_t *super, int h, vfloat *d, vfloat *m) {
    vfloat dd = vfloat_halves(super + 2 * LS_VECTOR_LANES * h);
    vfloat dmin = vfloat_mul(vfloat_halves(super + 2 * GROUP + 2 * LS_VECTOR_LANES * h), vfloat_set1(-1.0f));
    __m128i b[12];
    for (int t = 0; t < 12; t++) b[t] = _mm_loadu_si128((const __m128i *)(super + 4 * GROUP + GROUP * t + LS_VECTOR_LANES * h));
    const __m128i six = _mm_set1_epi8(0x3F), low = _mm_set1_epi8(0x0F), top = _mm_set1_epi8(0x30);
    for (int j = 0; j < 4; j++) {
        d[j] = vfloat_mul(dd, vfloat_from_u8(_mm_and_si128(b[j], six)));
        m[j] = vfloat_mul(dmin, vfloat_from_u8(_mm_and_si128(b[j + 4], six)));
        __m128i sc = _mm_or_si128(_mm_and_si128(b[j + 8], low), _mm_and_si128(_mm_srli_epi16(b[j], 2), top));
        __m128i mn = _mm_or_si128(_mm_and_si128(_mm_srli_epi16(b[j + 8], 4), low), _mm_and_si128(_mm_srli_epi16(b[j + 4], 2), top));
        d[j + 4] = vfloat_mul(dd, vfloat_from_u8(sc));
        m[j + 4] = vfloat_mul(dmin, vfloat_from_u8(mn));
    }
}

LS_PACKED_KERNELS(q4_k_x16, q4_k_x16_unit, q4_k_x16_head, NULL, ((ls_packed_shape){HEAD_BYTES, 64 * 4, 8, 1, 1}))

#undef GROUP
#undef HEAD_BYTES
#endif

LS_TYPE(q4_k_x16, 1012, .block_values = 256, .block_bytes = 144, .dot = q4_k_x16_dot, .widened_max = 15, .offsets = 1,
        .packed_rows = LS_PACKED_ROWS, .packs = 12, .pack = q4_k_x16_pack, .widen_group = q4_k_x16_widen_group)
