// Q5_K packed 16 rows to a group (packed.h): the layout of the bulk of a Q5_K_M model's weights,
// built once at load (ls_pack).
//
// Per group and super-block column, 2,816 bytes (176 per row, as in the file): Q4_K_x16's heads
// (k_packed.h), then per sub-block 320 bytes: its values' low four bits as Q4_1_x16 holds a
// block's (ls_pack_nibbles), then a 64-byte chunk of their fifth bits as Q5_0_x16 holds them
// (ls_pack_fifth_bits). Values stay unsigned (0..31), the minimums an offset as in Q4_K.
//
// Against the file's layout (`lightserve-bench kernels` on Qwen2.5-Coder-1.5B requantized with
// `lightserve quantize --mix Q5_K_M`, Zen 4, two threads, one layer; same run, ms): 1 row 1.27 ->
// 0.66, 4 rows 2.93 -> 1.52, 8 rows 6.51 -> 3.01.
#ifndef LS_TYPE_ENTRIES_ONLY
#include "k_packed.h"

#define HEAD_BYTES LS_K_PACKED_HEAD_BYTES

static void q5_k_x16_pack_block(const uint8_t *block, uint8_t *out, int i) {
    ls_k_pack_head(block, out, i);
    for (int j = 0; j < 8; j++) {
        // Value l of sub-block j: nibble l of the run j/2 (low or high), bit j of qh[l].
        uint8_t q[32], fifth[32];
        for (int l = 0; l < 32; l++) {
            q[l] = (block[48 + 32 * (j / 2) + l] >> (4 * (j & 1))) & 0x0F;
            fifth[l] = (block[16 + l] >> j) & 1;
        }
        uint8_t *words = out + HEAD_BYTES + 320 * j;
        ls_pack_nibbles(q, words, i);
        ls_pack_fifth_bits(fifth, words + 256, i);
    }
}

static void q5_k_x16_pack(const uint8_t *src, int rows, int cols, uint8_t *dst) {
    ls_pack_rows(q5_k_x16_pack_block, 256, 176, 176 * LS_PACKED_ROWS, src, rows, cols, dst);
}

static inline __attribute__((always_inline)) void q5_k_x16_unit(const uint8_t *words, int c, vint e[4]) {
    ls_nibble_unit(words, c, e);
    ls_unpack_fifth_bits(vint_loadu(words + 256), c, e);
}

LS_PACKED_KERNELS(q5_k_x16, q5_k_x16_unit, ls_k_packed_head, NULL, NULL, ((ls_packed_shape){HEAD_BYTES, 64 * 5, 8, 1, 1}))

#undef HEAD_BYTES
#endif

LS_TYPE(q5_k_x16, 1013, .block_values = 256, .block_bytes = 176, .dot = q5_k_x16_dot, .widened_max = 31, .offsets = 1,
        .packed_rows = LS_PACKED_ROWS, .packs = 13, .pack = q5_k_x16_pack, .widen_group = q5_k_x16_widen_group)
