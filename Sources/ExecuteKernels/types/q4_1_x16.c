// Q4_1 packed 16 rows to a group (packed.h): the layout SmolLM2's layer weights are held in,
// built once at load (ls_pack).
//
// Per group and 32-block column, 320 bytes (20 per row, as in the file): the rows' f16 scales,
// the rows' f16 minimums, then four 64-byte chunks. Chunk c holds each row's 32-bit word (row i
// at byte 4i) of eight nibbles: nibble j (bits 4j..4j+3) and nibble j+4 (bits 16+4j..) are the
// weights met by the two activations of int32 j of the block's activation group c (quantized.h:
// groups of elements {2i}, {2i+16}, {2i+1}, {2i+17}; packed.h's ls_pack_nibbles).
//
// Against the file's layout (`bench/run kernels`, one SmolLM2 layer, one thread, in cache, ms):
// 1 row 0.13-0.165 -> 0.062-0.065, 4 rows 0.35-0.39 -> 0.16 (AVX-512); 1 row 0.13-0.17 ->
// 0.065-0.10, 4 rows 0.39-0.43 -> 0.26 (AVX2). Streamed from memory (a prototype over 236k rows
// of 576, before integrating): one thread 6.6-7.4 -> 3.3-4.0 ms per pass, two 4.0-5.1 -> 2.6-3.1.
#ifndef LS_TYPE_ENTRIES_ONLY
#include "../packed.h"

#define GROUP LS_PACKED_ROWS
#define BLOCK_BYTES (GROUP * 20)

static void q4_1_x16_pack_block(const uint8_t *block, uint8_t *out, int i) {
    memcpy(out + 2 * i, block, 2);
    memcpy(out + 2 * GROUP + 2 * i, block + 2, 2);
    uint8_t q[32];
    ls_split_nibbles(block + 4, q);
    ls_pack_nibbles(q, out + 4 * GROUP, i);
}

static void q4_1_x16_pack(const uint8_t *src, int rows, int cols, uint8_t *dst) {
    ls_pack_rows(q4_1_x16_pack_block, 32, 20, BLOCK_BYTES, src, rows, cols, dst);
}

static inline __attribute__((always_inline)) void q4_1_x16_head(const uint8_t *block, int h, vfloat *d, vfloat *m) {
    d[0] = vfloat_halves(block + 2 * LS_VECTOR_LANES * h);
    m[0] = vfloat_halves(block + 2 * GROUP + 2 * LS_VECTOR_LANES * h);
}

LS_PACKED_KERNELS(q4_1_x16, ls_nibble_unit, q4_1_x16_head, NULL, NULL, ((ls_packed_shape){4 * GROUP, 64 * 4, 1, 1, 1}))

#undef GROUP
#undef BLOCK_BYTES
#endif

LS_TYPE(q4_1_x16, 1003, .block_values = 32, .block_bytes = 20, .dot = q4_1_x16_dot, .widened_max = 15, .offsets = 1,
        .packed_rows = LS_PACKED_ROWS, .packs = 3, .pack = q4_1_x16_pack, .widen_group = q4_1_x16_widen_group)
