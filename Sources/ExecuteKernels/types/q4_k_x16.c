// Q4_K packed 16 rows to a group (packed.h): the layout the bulk of a Q4_K_M model's layer
// weights is held in, built once at load (ls_pack).
//
// Per group and super-block column, 2,304 bytes (144 per row, as in the file): the heads
// (k_packed.h: d, dmin and the 6-bit sub-block scales and minimums, unpacked with byte-wide masks
// and shifts once per super-block for all its rows), then the eight sub-blocks' nibbles as
// Q4_1_x16 holds a block's (ls_pack_nibbles), 256 bytes each.
//
// Against the file's layout (`lightserve-bench kernels` on Qwen2.5-Coder-1.5B, Zen 4, two
// threads, one layer with its Q6_K parts packed too, then the Q6_K head; same run, ms): 1 row
// 1.03 -> 0.55 and 5.84 -> 4.34, 4 rows 2.75 -> 1.44, 8 rows 6.65 -> 2.79 (the GEMM: 6.04). One
// stream's decode then reads its 980 MB of weights per token at 0.84-0.9 of the read baseline.
// Widened for the AVX-512 build's GEMM, each sub-block's 6-bit scale is multiplied into its
// weights (up to 945), so that the GEMM scales a super-block's integer sums once (gemm.c). The
// AVX2 build, whose multiply-adds take two instructions, gained nothing by it and lost at 96
// rows (1.5B layer, three alternations, ms: 512 rows 177-191 -> 180-197, 96 rows 34.3-36.6 ->
// 37.2-39.6), so it widens as before.
#ifndef LS_TYPE_ENTRIES_ONLY
#include "k_packed.h"

#define HEAD_BYTES LS_K_PACKED_HEAD_BYTES
#ifdef LS_VNNI
#define SUPER_HEAD ls_k_packed_super_head
#else
#define SUPER_HEAD NULL
#endif

static void q4_k_x16_pack_block(const uint8_t *block, uint8_t *out, int i) {
    ls_k_pack_head(block, out, i);
    for (int j = 0; j < 8; j++) {
        uint8_t q[32];
        for (int l = 0; l < 32; l++) q[l] = (block[16 + 32 * (j / 2) + l] >> (4 * (j & 1))) & 0x0F;
        ls_pack_nibbles(q, out + HEAD_BYTES + 256 * j, i);
    }
}

static void q4_k_x16_pack(const uint8_t *src, int rows, int cols, uint8_t *dst) {
    ls_pack_rows(q4_k_x16_pack_block, 256, 144, 144 * LS_PACKED_ROWS, src, rows, cols, dst);
}

LS_PACKED_KERNELS(q4_k_x16, ls_nibble_unit, ls_k_packed_head, SUPER_HEAD, NULL,
                  ((ls_packed_shape){HEAD_BYTES, 64 * 4, 8, 1, 1}))

#undef HEAD_BYTES
#undef SUPER_HEAD
#endif

/// The widened weights' largest magnitude and the values the GEMM's integer sums run over.
#ifdef LS_VNNI
#define LS_Q4_K_X16_WIDENED .widened_max = 15 * 63, .sum_values = 256
#else
#define LS_Q4_K_X16_WIDENED .widened_max = 15, .sum_values = 32
#endif

LS_TYPE(q4_k_x16, 1012, .block_values = 256, .block_bytes = 144, .dot = q4_k_x16_dot, LS_Q4_K_X16_WIDENED,
        .offsets = 1, .packed_rows = LS_PACKED_ROWS, .packs = 12, .pack = q4_k_x16_pack,
        .widen_group = q4_k_x16_widen_group)
