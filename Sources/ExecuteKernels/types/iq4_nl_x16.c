// IQ4_NL packed 16 rows to a group (packed.h): where an IQ4_XS mix's rows are not whole
// super-blocks, built once at load (ls_pack).
//
// Per group and 32-block column, 288 bytes (18 per row, as in the file): the rows' f16 d, then the
// block's level indexes as Q4_1_x16 holds a block's nibbles (ls_pack_nibbles), looked up in the
// sixteen-level table after widening (ls_iq4_lookup).
#ifndef LS_TYPE_ENTRIES_ONLY
#include "../packed.h"
#include "iq4_levels.h"

#define GROUP LS_PACKED_ROWS

static void iq4_nl_x16_pack_block(const uint8_t *block, uint8_t *out, int i) {
    memcpy(out + 2 * i, block, 2);
    uint8_t q[32];
    ls_split_nibbles(block + 2, q);
    ls_pack_nibbles(q, out + 2 * GROUP, i);
}

static void iq4_nl_x16_pack(const uint8_t *src, int rows, int cols, uint8_t *dst) {
    ls_pack_rows(iq4_nl_x16_pack_block, 32, 18, 18 * GROUP, src, rows, cols, dst);
}

static inline __attribute__((always_inline)) void iq4_nl_x16_head(const uint8_t *block, int h, vfloat *d, vfloat *m) {
    (void)m;
    d[0] = vfloat_halves(block + 2 * LS_VECTOR_LANES * h);
}

LS_PACKED_KERNELS(iq4_nl_x16, ls_iq4_nibble_unit, iq4_nl_x16_head, NULL, NULL, ((ls_packed_shape){2 * GROUP, 64 * 4, 1, 1, 0}))

#undef GROUP
#endif

LS_TYPE(iq4_nl_x16, 1020, .block_values = 32, .block_bytes = 18, .dot = iq4_nl_x16_dot, .widened_max = 127,
        .offsets = 0, .packed_rows = LS_PACKED_ROWS, .packs = 20, .pack = iq4_nl_x16_pack,
        .widen_group = iq4_nl_x16_widen_group)
