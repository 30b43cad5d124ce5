// Q8_0 packed 16 rows to a group (packed.h): the layout an output head in Q8_0 is held in
// (SmolLM2's and Gemma 3's, tied to the token embeddings, which keep the file's rows for
// lookups), built once at load (ls_pack).
//
// Per group and 32-block column, 544 bytes (34 per row, as in the file): the rows' f16 scales,
// then eight 64-byte chunks of each row's 32-bit word (row i at byte 4i) of four int8 weights.
// Chunks 2c and 2c+1 are unit c: in chunk 2c+s, bytes 0 and 2 are the weights met by int32 2s of
// the block's activation group c, bytes 1 and 3 those met by int32 2s+1, so sign-extending the low
// and the high byte of each 16-bit half gives the int16 pairs.
//
// Against the file's layout (a prototype over SmolLM2's head, 49,152 rows of 576, one activation
// row, before integrating; AVX-512): one thread 2.0-2.07 -> 1.11-1.21 ms, two 1.13-1.39 -> 0.54-0.74.
#ifndef LS_TYPE_ENTRIES_ONLY
#include "../packed.h"

#define GROUP LS_PACKED_ROWS
#define BLOCK_BYTES (GROUP * 34)

static void q8_0_x16_pack_block(const uint8_t *block, uint8_t *out, int i) {
    memcpy(out + 2 * i, block, 2);
    for (int c = 0; c < 4; c++)
        for (int s = 0; s < 2; s++) {
            const uint8_t *q = block + 2;
            uint8_t *word = out + 2 * GROUP + 64 * (2 * c + s) + 4 * i;
            word[0] = q[ls_element_of(c, 4 * s)];
            word[1] = q[ls_element_of(c, 4 * s + 2)];
            word[2] = q[ls_element_of(c, 4 * s + 1)];
            word[3] = q[ls_element_of(c, 4 * s + 3)];
        }
}

static void q8_0_x16_pack(const uint8_t *src, int rows, int cols, uint8_t *dst) {
    ls_pack_rows(q8_0_x16_pack_block, 32, 34, BLOCK_BYTES, src, rows, cols, dst);
}

static inline __attribute__((always_inline)) void q8_0_x16_unit(const uint8_t *words, int c, vint e[4]) {
    vint v0 = vint_loadu(words + 128 * c), v1 = vint_loadu(words + 128 * c + 64);
    e[0] = vint_srai16(vint_slli16(v0, 8), 8);
    e[1] = vint_srai16(v0, 8);
    e[2] = vint_srai16(vint_slli16(v1, 8), 8);
    e[3] = vint_srai16(v1, 8);
}

static inline __attribute__((always_inline)) void q8_0_x16_head(const uint8_t *block, int h, vfloat *d, vfloat *m) {
    (void)m;
    d[0] = vfloat_halves(block + 2 * LS_VECTOR_LANES * h);
}

LS_PACKED_KERNELS(q8_0_x16, q8_0_x16_unit, q8_0_x16_head, NULL, NULL, ((ls_packed_shape){2 * GROUP, 64 * 8, 1, 1, 0}))

#undef GROUP
#undef BLOCK_BYTES
#endif

LS_TYPE(q8_0_x16, 1008, .block_values = 32, .block_bytes = 34, .dot = q8_0_x16_dot, .widened_max = 128, .offsets = 0,
        .packed_rows = LS_PACKED_ROWS, .packs = 8, .pack = q8_0_x16_pack, .widen_group = q8_0_x16_widen_group)
