// The kernels of the packed layouts (LS_TYPE_*_X16): a file type's rows repacked at load,
// LS_PACKED_ROWS of them interleaved per group, so that a vector's lanes are weight rows.
//
// In the file's layout a vector holds one row's weights, so each 32-block costs a horizontal sum,
// per-block scale shuffles and widening shuffles for a handful of multiply-adds. Packed, the rows'
// 32-bit words are widened by shifts and masks alone, each met by one broadcast pair of
// activations (`vpdpwssd` with an embedded broadcast in the AVX-512 build), and the rows' scales
// (and minimums) arrive as one vector of f16 each: no horizontal sums, the outputs come out as a
// vector.
//
// Per group and 32-block column, a layout holds the rows' f16 scales (then f16 minimums, for a
// type with offsets), then its words: row i's word at byte 4i of each 64-byte chunk. A type's
// `unit` widens unit c (0..3) of a block's words into four int16-pair vectors, vector j meeting
// int32 j of the block's activation group c (quantized.h's layout) in every lane.
#pragma once

#include "vector.h"

/// Element of a 32-block at int16 `i` (0..7) of activation group `c` (quantized.h's layout).
static inline int ls_element_of(int c, int i) { return 2 * (i % 8) + (c & 1) * 16 + (c >> 1); }

/// Writes row `i`'s part (its heads and words) of a packed block `out` from the file's `block`.
typedef void (*ls_pack_block_fn)(const uint8_t *block, uint8_t *out, int i);

/// ls_quant_kernels.pack for a packed type: every row's block b (`file_bytes` each in the file)
/// into block b of its group (`packed_bytes` per group), through the type's `pack_block`.
static inline void ls_pack_rows(ls_pack_block_fn pack_block, size_t file_bytes, size_t packed_bytes,
                                const uint8_t *src, int rows, int cols, uint8_t *dst) {
    int blocks = cols / 32;
    for (int g = 0; g < rows / LS_PACKED_ROWS; g++)
        for (int b = 0; b < blocks; b++)
            for (int i = 0; i < LS_PACKED_ROWS; i++)
                pack_block(src + ((size_t)(LS_PACKED_ROWS * g + i) * blocks + b) * file_bytes,
                           dst + ((size_t)g * blocks + b) * packed_bytes, i);
}

/// Widens unit `c` of a block's words at `words` (already offset to the vector's first row) into
/// `e[0..4)`.
typedef void (*ls_packed_unit_fn)(const uint8_t *words, int c, vint e[4]);

/// A packed type's block: bytes of f16 heads (scales, then minimums when `offsets`) before the
/// words, and bytes in all, per group.
typedef struct {
    int head_bytes, block_bytes, offsets;
} ls_packed_shape;

/// Lanes [LANES·h, LANES·h + LANES) of a group against activation rows `rows[0..R)`: result[r]
/// gets their dot products with row r. One activation row keeps two chains of integer sums, so a
/// block's 16 multiply-adds are not one chain of their latency; more rows are chains enough, and
/// one chain each keeps the AVX2 build within its 16 registers (two each spilled: 2 and 4 rows
/// were no faster than the file's layout).
static inline __attribute__((always_inline)) void ls_packed_group_dot(ls_packed_unit_fn unit, ls_packed_shape shape,
                                                                      const uint8_t *group, int blocks, int h,
                                                                      const qrow *rows, int R, vfloat *result) {
    const int chains = R == 1 ? 2 : 1;
    vfloat acc[LS_GROUP];
    for (int r = 0; r < R; r++) acc[r] = vfloat_zero();
    for (int b = 0; b < blocks; b++) {
        const uint8_t *block = group + (size_t)b * shape.block_bytes;
        int p = b >> 1, half = b & 1;
        vint sums[LS_GROUP][2];
        for (int r = 0; r < R; r++) sums[r][0] = sums[r][1] = vint_zero();
        for (int c = 0; c < 4; c++) {
            vint e[4];
            unit(block + shape.head_bytes + 4 * LS_VECTOR_LANES * h, c, e);
            for (int r = 0; r < R; r++) {
                const int32_t *a = (const int32_t *)(rows[r].q + 64 * p + 8 * half) + 8 * c;
                for (int j = 0; j < 4; j++) sums[r][c % chains] = dot_broadcast(sums[r][c % chains], e[j], a + j);
            }
        }
        vfloat d = vfloat_halves(block + 2 * LS_VECTOR_LANES * h);
        for (int r = 0; r < R; r++) {
            vint total = chains == 2 ? vint_add(sums[r][0], sums[r][1]) : sums[r][0];
            acc[r] = vfloat_fmadd(vfloat_from(total), vfloat_mul(d, vfloat_set1(rows[r].scale[8 * p + 4 * half])), acc[r]);
        }
        if (shape.offsets) {
            vfloat m = vfloat_halves(block + 2 * LS_PACKED_ROWS + 2 * LS_VECTOR_LANES * h);
            for (int r = 0; r < R; r++) {
                float sum = rows[r].sum[4 * p + 2 * half] + rows[r].sum[4 * p + 2 * half + 1];
                acc[r] = vfloat_fmadd(m, vfloat_set1(sum), acc[r]);
            }
        }
    }
    for (int r = 0; r < R; r++) result[r] = acc[r];
}

/// ls_quant_kernels.dot for a packed type: whole groups from the one at `w`.
static inline __attribute__((always_inline)) void ls_packed_dot(ls_packed_unit_fn unit, ls_packed_shape shape,
                                                                const uint8_t *w, size_t row_bytes, int n, int cols,
                                                                const qrow *rows, int R, float *out, int ldo,
                                                                int accumulate) {
    int blocks = cols / 32;
    for (int g = 0; g < n / LS_PACKED_ROWS; g++)
        for (int h = 0; h < LS_PACKED_ROWS / LS_VECTOR_LANES; h++) {
            vfloat result[LS_GROUP];
            ls_packed_group_dot(unit, shape, w + (size_t)g * LS_PACKED_ROWS * row_bytes, blocks, h, rows, R, result);
            for (int r = 0; r < R; r++) {
                float *o = out + (size_t)r * (size_t)ldo + LS_PACKED_ROWS * g + LS_VECTOR_LANES * h;
                vfloat_storeu(o, accumulate ? vfloat_add(result[r], vfloat_loadu(o)) : result[r]);
            }
        }
}

/// ls_quant_kernels.widen_group for a packed type: every row of a group widened as ls_widen_pairs
/// lays a file row out (quantized.h), row i into scratch + i·stride, a pair of blocks and
/// LS_VECTOR_LANES rows at a time, so that each row's vector of a pair is one store (a block at a
/// time, with 16-byte stores, made 32 rows of SmolLM2's layer and head 4-10% slower through the
/// GEMM than the file's rows). A row ending on a lone block pairs it with zeros.
static inline __attribute__((always_inline)) void ls_packed_widen_group(ls_packed_unit_fn unit, ls_packed_shape shape,
                                                                        const uint8_t *group, int cols, uint8_t *scratch,
                                                                        size_t stride) {
    int blocks = cols / 32, pairs = (blocks + 1) / 2;
    for (int p = 0; p < pairs; p++) {
        const uint8_t *a = group + (size_t)(2 * p) * shape.block_bytes;
        const uint8_t *b = 2 * p + 1 < blocks ? a + shape.block_bytes : NULL;
        for (int first = 0; first < LS_PACKED_ROWS; first += LS_VECTOR_LANES) {
            uint8_t *row = scratch + (size_t)first * stride;
            for (int c = 0; c < 4; c++) {
                vint ea[4], eb[4] = {vint_zero(), vint_zero(), vint_zero(), vint_zero()};
                unit(a + shape.head_bytes + 4 * first, c, ea);
                if (b) unit(b + shape.head_bytes + 4 * first, c, eb);
                vint_store_pairs4(ea, eb, row + (size_t)(4 * p + c) * 32, stride);
            }
            float da[LS_VECTOR_LANES], ma[LS_VECTOR_LANES] = {0}, db[LS_VECTOR_LANES] = {0}, mb[LS_VECTOR_LANES] = {0};
            vfloat_storeu(da, vfloat_halves(a + 2 * first));
            if (shape.offsets) vfloat_storeu(ma, vfloat_halves(a + 2 * LS_PACKED_ROWS + 2 * first));
            if (b) vfloat_storeu(db, vfloat_halves(b + 2 * first));
            if (b && shape.offsets) vfloat_storeu(mb, vfloat_halves(b + 2 * LS_PACKED_ROWS + 2 * first));
            for (int k = 0; k < LS_VECTOR_LANES; k++) {
                float *scales = (float *)(row + (size_t)k * stride + (size_t)pairs * 128);
                _mm256_storeu_ps(scales + 8 * p, ls_spread2(da[k], db[k]));
                _mm_storeu_ps(scales + 8 * pairs + 4 * p, _mm_setr_ps(ma[k], ma[k], mb[k], mb[k]));
            }
        }
    }
}

/// Defines `NAME_dot` and `NAME_widen_group` for a packed type from its unit widener and shape.
#define LS_PACKED_KERNELS(NAME, UNIT, SHAPE)                                                                         \
    static void NAME##_dot(const uint8_t *w, size_t row_bytes, int n, int cols, const qrow *rows, int R, float *out, \
                           int ldo, int accumulate) {                                                                \
        switch (R) {                                                                                                 \
        case 1: ls_packed_dot(UNIT, SHAPE, w, row_bytes, n, cols, rows, 1, out, ldo, accumulate); break;            \
        case 2: ls_packed_dot(UNIT, SHAPE, w, row_bytes, n, cols, rows, 2, out, ldo, accumulate); break;            \
        case 3: ls_packed_dot(UNIT, SHAPE, w, row_bytes, n, cols, rows, 3, out, ldo, accumulate); break;            \
        default: ls_packed_dot(UNIT, SHAPE, w, row_bytes, n, cols, rows, 4, out, ldo, accumulate); break;           \
        }                                                                                                            \
    }                                                                                                                \
    static void NAME##_widen_group(const uint8_t *group, int cols, uint8_t *scratch, size_t stride) {                \
        ls_packed_widen_group(UNIT, SHAPE, group, cols, scratch, stride);                                            \
    }
