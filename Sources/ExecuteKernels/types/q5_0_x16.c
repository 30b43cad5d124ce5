// Q5_0 packed 16 rows to a group (packed.h): the layout the bulk of Qwen2.5-Coder-0.5B's and
// Gemma 3's weights is held in (K-quant mixes fall back to Q5_0 for rows that are not whole
// 256-value super-blocks), built once at load (ls_pack).
//
// Per group and 32-block column, 352 bytes (22 per row, as in the file): the rows' f16 d, the
// values' low four bits as Q4_1_x16 holds a block's (ls_pack_nibbles), then one 64-byte chunk of
// each row's word of fifth bits (ls_pack_fifth_bits). Values stay
// unsigned (0..31): the -16 is an offset against the block's activation sum, as in the file's
// kernel (q5_0.c).
//
// Against the file's layout (`lightserve-bench kernels` on Qwen2.5-Coder-0.5B, Zen 4, two
// threads, one layer, its Q4_K and Q6_K parts packed too; same run, ms): 1 row 0.39 -> 0.20,
// 4 rows 0.87 -> 0.47, 8 rows 1.81 -> 0.87. Decode against llama.cpp in the same run went from
// 1.23x to 1.81x (bench/results/compare-20261206-081023.jsonl).
#ifndef LS_TYPE_ENTRIES_ONLY
#include "../packed.h"

#define GROUP LS_PACKED_ROWS
#define BLOCK_BYTES (GROUP * 22)

static void q5_0_x16_pack_block(const uint8_t *block, uint8_t *out, int i) {
    memcpy(out + 2 * i, block, 2);
    uint32_t qh = ls_load_u32(block + 2);
    uint8_t low[32], fifth[32];
    ls_split_nibbles(block + 6, low);
    for (int l = 0; l < 32; l++) fifth[l] = (qh >> l) & 1;
    ls_pack_nibbles(low, out + 2 * GROUP, i);
    ls_pack_fifth_bits(fifth, out + 2 * GROUP + 256, i);
}

static void q5_0_x16_pack(const uint8_t *src, int rows, int cols, uint8_t *dst) {
    ls_pack_rows(q5_0_x16_pack_block, 32, 22, BLOCK_BYTES, src, rows, cols, dst);
}

/// Unit `c`'s values 0..31: the low nibbles as Q4_1_x16's, each fifth bit shifted to bit 4.
static inline __attribute__((always_inline)) void q5_0_x16_unit(const uint8_t *words, int c, vint e[4]) {
    ls_nibble_unit(words, c, e);
    ls_unpack_fifth_bits(vint_loadu(words + 256), c, e);
}

static inline __attribute__((always_inline)) void q5_0_x16_head(const uint8_t *block, int h, vfloat *d, vfloat *m) {
    d[0] = vfloat_halves(block + 2 * LS_VECTOR_LANES * h);
    m[0] = vfloat_mul(d[0], vfloat_set1(-16.0f));
}

LS_PACKED_KERNELS(q5_0_x16, q5_0_x16_unit, q5_0_x16_head, NULL, NULL, ((ls_packed_shape){2 * GROUP, 64 * 5, 1, 1, 1}))

#undef GROUP
#undef BLOCK_BYTES
#endif

LS_TYPE(q5_0_x16, 1006, .block_values = 32, .block_bytes = 22, .dot = q5_0_x16_dot, .widened_max = 31, .offsets = 1,
        .packed_rows = LS_PACKED_ROWS, .packs = 6, .pack = q5_0_x16_pack, .widen_group = q5_0_x16_widen_group)
