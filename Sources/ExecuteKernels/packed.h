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
// Per group and super-block column (one 32-block for Q4_1 and Q8_0, eight for the K-quants), a
// layout holds the rows' heads (f16 scales, then minimums or sub-block scales, each a run with
// row i's at its i-th place), then each 32-block's words: row i's word at byte 4i of each 64-byte
// chunk. A type's `unit` widens unit c (0..3) of a block's words into four int16-pair vectors,
// vector j meeting int32 j of the block's activation group c (quantized.h's layout) in every lane;
// its `head` turns a super-block's heads into a vector of float scales per 32-block (or per 16
// values). A group's bytes are its rows' bytes in the file, so a matrix packs in place.
#pragma once

#include "vector.h"

/// Element of a 32-block at int16 `i` (0..7) of activation group `c` (quantized.h's layout).
static inline int ls_element_of(int c, int i) { return 2 * (i % 8) + (c & 1) * 16 + (c >> 1); }

/// A 32-block's 16 bytes of nibbles in ggml's order (element j low in byte j, j + 16 high) as
/// 32 values.
static inline void ls_split_nibbles(const uint8_t *qs, uint8_t q[32]) {
    for (int l = 0; l < 16; l++) {
        q[l] = qs[l] & 0x0F;
        q[l + 16] = qs[l] >> 4;
    }
}

/// Writes row `i`'s four words of a 32-block's 4-bit values `q[0..32)` into the four 64-byte
/// chunks at `chunks`: in chunk c, nibble j (bits 4j..4j+3) and nibble j+4 (bits 16+4j..) are the
/// weights met by the two activations of int32 j of the block's activation group c, so that
/// `(word >> 4j) & 0x000F000F` is the int16 pair matching that int32.
static inline void ls_pack_nibbles(const uint8_t q[32], uint8_t *chunks, int i) {
    for (int c = 0; c < 4; c++) {
        uint32_t word = 0;
        for (int j = 0; j < 4; j++)
            word |= (uint32_t)q[ls_element_of(c, 2 * j)] << (4 * j) | (uint32_t)q[ls_element_of(c, 2 * j + 1)] << (16 + 4 * j);
        memcpy(chunks + 64 * c + 4 * i, &word, 4);
    }
}

/// Widens a vector of words packed by ls_pack_nibbles into the int16 pairs of its unit.
static inline __attribute__((always_inline)) void ls_unpack_nibbles(vint v, vint e[4]) {
    const vint mask = vint_set1(0x000F000F);
    e[0] = vint_and(v, mask);
    e[1] = vint_and(vint_srli16(v, 4), mask);
    e[2] = vint_and(vint_srli16(v, 8), mask);
    e[3] = vint_srli16(v, 12);
}

/// A type's `unit` (ls_packed_unit_fn) for blocks packed by ls_pack_nibbles alone, 64 bytes a
/// unit: Q4_1's and Q4_K's whole widening, and the first step of every other 4-bit type's.
static inline __attribute__((always_inline)) void ls_nibble_unit(const uint8_t *words, int c, vint e[4]) {
    ls_unpack_nibbles(vint_loadu(words + 64 * c), e);
}

/// Writes row `i`'s word of a 32-block's fifth bits `fifth[0..32)` (0 or 1 each) at byte 4i of
/// the 64-byte `chunk`: the bits of the int16 pair met by int32 j of activation group c at bits
/// 4c+j (first of the pair) and 16+4c+j (second).
static inline void ls_pack_fifth_bits(const uint8_t fifth[32], uint8_t *chunk, int i) {
    uint32_t word = 0;
    for (int c = 0; c < 4; c++)
        for (int j = 0; j < 4; j++)
            word |= (uint32_t)fifth[ls_element_of(c, 2 * j)] << (4 * c + j) |
                    (uint32_t)fifth[ls_element_of(c, 2 * j + 1)] << (16 + 4 * c + j);
    memcpy(chunk + 4 * i, &word, 4);
}

/// Adds unit `c`'s fifth bits from a vector of words packed by ls_pack_fifth_bits to its values
/// `e[0..4)`, each at bit 4.
static inline __attribute__((always_inline)) void ls_unpack_fifth_bits(vint fifth, int c, vint e[4]) {
    const vint bit = vint_set1(0x00100010);
    for (int j = 0; j < 4; j++) {
        int at = 4 * c + j;
        vint bits = at <= 4 ? vint_slli16(fifth, (unsigned)(4 - at)) : vint_srli16(fifth, (unsigned)(at - 4));
        e[j] = vint_or(e[j], vint_and(bits, bit));
    }
}

/// Writes row `i`'s part (its heads and words) of a packed super-block `out` from the file's
/// `block`.
typedef void (*ls_pack_block_fn)(const uint8_t *block, uint8_t *out, int i);

/// ls_quant_kernels.pack for a packed type: every row's block b (`values` values and `file_bytes`
/// bytes each in the file) into block b of its group (`packed_bytes` per group), through the
/// type's `pack_block`.
static inline void ls_pack_rows(ls_pack_block_fn pack_block, int values, size_t file_bytes, size_t packed_bytes,
                                const uint8_t *src, int rows, int cols, uint8_t *dst) {
    int blocks = cols / values;
    for (int g = 0; g < rows / LS_PACKED_ROWS; g++)
        for (int b = 0; b < blocks; b++)
            for (int i = 0; i < LS_PACKED_ROWS; i++)
                pack_block(src + ((size_t)(LS_PACKED_ROWS * g + i) * blocks + b) * file_bytes,
                           dst + ((size_t)g * blocks + b) * packed_bytes, i);
}

/// Widens unit `c` of a 32-block's words at `words` (already offset to the vector's first row)
/// into `e[0..4)`.
typedef void (*ls_packed_unit_fn)(const uint8_t *words, int c, vint e[4]);

/// The scales of a super-block's rows [LANES·h, LANES·h + LANES): `d[k]` multiplies the integer
/// sums of scale unit k (a 32-block, or with `halves` 2 its first or second 16 values), `m[k]`
/// (types with offsets) the activations' float sums over the same values.
typedef void (*ls_packed_head_fn)(const uint8_t *super, int h, vfloat *d, vfloat *m);

/// For a type with two scales per 32-block, which the widened form (one scale per 32-block)
/// cannot carry apart: unit `c` of block `j` of a super-block with its scales folded into the
/// weights, for rows [LANES·h, ...); returns the block's remaining scale.
typedef vfloat (*ls_packed_fold_fn)(const uint8_t *super, int j, int h, int c, vint e[4]);

/// For a type whose sub-block scales are small integers (Q4_K's 6-bit ones), the heads of a
/// super-block's rows [LANES·h, LANES·h + LANES): its float scale `*d`, the 32-blocks' integer
/// scales `scale[j]` (a byte per row) and offsets `m[j]`. Widened for the GEMM, each block's
/// weights are multiplied by its integer scale, so that with activations of one scale per
/// super-block (ls_quant_kernels.sum_values) the GEMM adds eight blocks' integer sums before one
/// conversion and scaling (gemm.c).
typedef void (*ls_packed_super_head_fn)(const uint8_t *super, int h, vfloat *d, __m128i *scale, vfloat *m);

/// A packed type's super-block, per group: `head_bytes` of heads (scales, minimums), then
/// `blocks` 32-blocks of `words_bytes` words each; `halves` 2 when each 16 values have a scale of
/// their own; `offsets` when the head has offsets against the activations' sums.
typedef struct {
    int head_bytes, words_bytes, blocks, halves, offsets;
} ls_packed_shape;

static inline int ls_packed_super_bytes(ls_packed_shape shape) { return shape.head_bytes + shape.blocks * shape.words_bytes; }

/// The independent chains each activation row's integer sums of a 32-block run in, by unit c
/// (units 0 and 2 are the block's first 16 values, 1 and 3 its second, so two or four chains also
/// keep the halves apart for a type with a scale per 16 values): `vpdpwssd` has several cycles of
/// latency and one chain per row leaves its pipe idle.
/// AVX-512, two threads, Qwen2.5-Coder-1.5B's layer (ms, `bench/run kernels`): 2 rows 0.90 ->
/// 0.75 with four chains a row against one; from 5 rows one chain a row is enough (two for a
/// type with halves, which must keep them apart). The AVX2 build has 16 registers: one chain
/// each for more than one row (two each spilled: 2 and 4 rows were no faster than the file's
/// layout).
static inline int ls_packed_chains(int R, int halves) {
#ifdef LS_VNNI
    return R <= 2 ? 4 : R <= 4 || halves == 2 ? 2 : 1;
#else
    return R == 1 || halves == 2 ? 2 : 1;
#endif
}

/// Bytes ahead of the words being multiplied that a pass over more than one activation row asks
/// for (`prefetcht0`, a line at a time as the pass advances). Past one row the product is no
/// longer bound by reading alone, and the hardware's prefetch alone let the weights arrive late:
/// Qwen2.5-Coder-1.5B's verify steps (`bench/run verify`, Zen 4, two threads, weights in huge
/// pages, two alternated runs, ms) 2 rows 34.6/36.3 -> 30.5/31.9, 4 rows 60.7/66.7 -> 44.4/49.4,
/// 8 rows 97.4/107.3 -> 79.9/89.0; 1 and 4 KiB ahead read about the same, and the one-row step
/// showed no gain within its noise. In 4 KiB pages the same
/// prefetch gained nothing (a TLB walk per page). The AVX2 build, bound by its arithmetic, lost
/// by it (2 rows 80/85 -> 95/105 ms, 8 rows 205/213 -> 233/259), so it asks for nothing.
#ifdef LS_VNNI
#define LS_PACKED_PREFETCH_BYTES 2048
#else
#define LS_PACKED_PREFETCH_BYTES 0
#endif

/// Lanes [LANES·h, LANES·h + LANES) of a group against activation rows `rows[0..R)`: result[r]
/// gets their dot products with row r.
static inline __attribute__((always_inline)) void ls_packed_group_dot(ls_packed_unit_fn unit, ls_packed_head_fn head,
                                                                      ls_packed_shape shape, const uint8_t *group,
                                                                      int supers, int h, const qrow *rows, int R,
                                                                      vfloat *result) {
    const int chains = ls_packed_chains(R, shape.halves);
    const uint8_t *ahead = group + LS_PACKED_PREFETCH_BYTES;
    vfloat acc[LS_PACKED_GROUP];
    for (int r = 0; r < R; r++) acc[r] = vfloat_zero();
    for (int s = 0; s < supers; s++) {
        const uint8_t *super = group + (size_t)s * ls_packed_super_bytes(shape);
        vfloat d[16], m[16];
        head(super, h, d, m);
        for (int j = 0; j < shape.blocks; j++) {
            int b = s * shape.blocks + j, p = b >> 1, half = b & 1;
            const uint8_t *words = super + shape.head_bytes + j * shape.words_bytes + 4 * LS_VECTOR_LANES * h;
            if (LS_PACKED_PREFETCH_BYTES && R > 1)
                for (const uint8_t *end = words + shape.words_bytes + LS_PACKED_PREFETCH_BYTES; ahead < end; ahead += 64)
                    _mm_prefetch((const char *)ahead, _MM_HINT_T0);
            vint sums[LS_PACKED_GROUP][4];
            for (int r = 0; r < R; r++)
                for (int k = 0; k < chains; k++) sums[r][k] = vint_zero();
            // Unrolled, so that `c % chains` is a constant and the sums stay in registers: left to
            // the compiler, 4 rows kept them on the stack, a store and a reload around every four
            // multiply-adds (Zen 4, one thread, a 512 x 1536 Q4_K matrix in L2: 4 rows 45.6 ->
            // 36.4 us, 59% -> 74% of the core's `vpdpwssd` peak; Q6_K 8 rows 141 -> 89 us).
#pragma clang loop unroll(full)
            for (int c = 0; c < 4; c++) {
                vint e[4];
                unit(words, c, e);
                for (int r = 0; r < R; r++) {
                    const int32_t *a = (const int32_t *)(rows[r].q + 64 * p + 8 * half) + 8 * c;
                    for (int i = 0; i < 4; i++) sums[r][c % chains] = dot_broadcast(sums[r][c % chains], e[i], a + i);
                }
            }
            for (int r = 0; r < R; r++) {
                // The halves' sums: units 0 and 2, then 1 and 3.
                if (chains == 4) {
                    sums[r][0] = vint_add(sums[r][0], sums[r][2]);
                    sums[r][1] = vint_add(sums[r][1], sums[r][3]);
                }
                vfloat scale = vfloat_set1(rows[r].scale[8 * p + 4 * half]);
                const float *sum = rows[r].sum + 4 * p + 2 * half;
                if (shape.halves == 2) {
                    acc[r] = vfloat_fmadd(vfloat_from(sums[r][0]), vfloat_mul(d[2 * j], scale), acc[r]);
                    acc[r] = vfloat_fmadd(vfloat_from(sums[r][1]), vfloat_mul(d[2 * j + 1], scale), acc[r]);
                    if (shape.offsets) {
                        acc[r] = vfloat_fmadd(m[2 * j], vfloat_set1(sum[0]), acc[r]);
                        acc[r] = vfloat_fmadd(m[2 * j + 1], vfloat_set1(sum[1]), acc[r]);
                    }
                } else {
                    vint total = chains > 1 ? vint_add(sums[r][0], sums[r][1]) : sums[r][0];
                    acc[r] = vfloat_fmadd(vfloat_from(total), vfloat_mul(d[j], scale), acc[r]);
                    if (shape.offsets) acc[r] = vfloat_fmadd(m[j], vfloat_set1(sum[0] + sum[1]), acc[r]);
                }
            }
        }
    }
    for (int r = 0; r < R; r++) result[r] = acc[r];
}

/// ls_quant_kernels.dot for a packed type: whole groups from the one at `w`.
static inline __attribute__((always_inline)) void ls_packed_dot(ls_packed_unit_fn unit, ls_packed_head_fn head,
                                                                ls_packed_shape shape, const uint8_t *w,
                                                                size_t row_bytes, int n, int cols, const qrow *rows,
                                                                int R, float *out, int ldo, int accumulate) {
    int supers = cols / (32 * shape.blocks);
    for (int g = 0; g < n / LS_PACKED_ROWS; g++)
        for (int h = 0; h < LS_PACKED_ROWS / LS_VECTOR_LANES; h++) {
            vfloat result[LS_PACKED_GROUP];
            ls_packed_group_dot(unit, head, shape, w + (size_t)g * LS_PACKED_ROWS * row_bytes, supers, h, rows, R,
                                result);
            for (int r = 0; r < R; r++) {
                float *o = out + (size_t)r * (size_t)ldo + LS_PACKED_ROWS * g + LS_VECTOR_LANES * h;
                vfloat_storeu(o, accumulate ? vfloat_add(result[r], vfloat_loadu(o)) : result[r]);
            }
        }
}

/// A super-block's scales decoded by the type's `head` for rows [LANES·h, ...), kept while its
/// blocks are widened (a K-quant's eight sub-blocks share one decode).
typedef struct {
    int super;
    vfloat d[16], m[16];
    __m128i scale[8];
} ls_packed_heads;

/// Block `b` of a group's row (32-block index across its super-blocks) widened for rows
/// [LANES·h, ...): its four units into e[c][0..4), its scale and offset per lane into *d, *m.
/// With a `super_head`, the block's integer scale is folded into its weights and *d is the
/// super-block's scale.
static inline __attribute__((always_inline)) void ls_packed_widen_block(ls_packed_unit_fn unit, ls_packed_head_fn head,
                                                                        ls_packed_super_head_fn super_head,
                                                                        ls_packed_fold_fn fold, ls_packed_shape shape,
                                                                        const uint8_t *group, int b, int h,
                                                                        ls_packed_heads *heads, vint e[4][4],
                                                                        vfloat *d, vfloat *m) {
    int s = b / shape.blocks, j = b % shape.blocks;
    const uint8_t *super = group + (size_t)s * ls_packed_super_bytes(shape);
    if (fold) {
        for (int c = 0; c < 4; c++) *d = fold(super, j, h, c, e[c]);
        *m = vfloat_zero();
        return;
    }
    if (heads->super != s) {
        if (super_head)
            super_head(super, h, heads->d, heads->scale, heads->m);
        else
            head(super, h, heads->d, heads->m);
        heads->super = s;
    }
    *d = heads->d[super_head ? 0 : j];
    *m = shape.offsets ? heads->m[j] : vfloat_zero();
    const uint8_t *words = super + shape.head_bytes + j * shape.words_bytes + 4 * LS_VECTOR_LANES * h;
    for (int c = 0; c < 4; c++) unit(words, c, e[c]);
    if (super_head) {
        vint scale = vint_pairs_from_i8(heads->scale[j]);  // 6 bits: the same read signed
        for (int c = 0; c < 4; c++)
            for (int k = 0; k < 4; k++) e[c][k] = vint_mullo16(e[c][k], scale);
    }
}

/// ls_quant_kernels.widen_group for a packed type: every row of a group widened as ls_widen_pairs
/// lays a file row out (quantized.h), row i into scratch + i·stride, a pair of blocks and
/// LS_VECTOR_LANES rows at a time, so that each row's vector of a pair is one store (a block at a
/// time, with 16-byte stores, made 32 rows of SmolLM2's layer and head 4-10% slower through the
/// GEMM than the file's rows). A row ending on a lone block pairs it with zeros.
static inline __attribute__((always_inline)) void ls_packed_widen_group(ls_packed_unit_fn unit, ls_packed_head_fn head,
                                                                        ls_packed_super_head_fn super_head,
                                                                        ls_packed_fold_fn fold, ls_packed_shape shape,
                                                                        const uint8_t *group, int cols,
                                                                        uint8_t *scratch, size_t stride) {
    int blocks = cols / 32, pairs = (blocks + 1) / 2;
    for (int h = 0; h < LS_PACKED_ROWS / LS_VECTOR_LANES; h++) {
        uint8_t *row = scratch + (size_t)(LS_VECTOR_LANES * h) * stride;
        ls_packed_heads heads = {.super = -1};
        for (int p = 0; p < pairs; p++) {
            vint ea[4][4], eb[4][4];
            vfloat dva, mva, dvb = vfloat_zero(), mvb = vfloat_zero();
            ls_packed_widen_block(unit, head, super_head, fold, shape, group, 2 * p, h, &heads, ea, &dva, &mva);
            if (2 * p + 1 < blocks)
                ls_packed_widen_block(unit, head, super_head, fold, shape, group, 2 * p + 1, h, &heads, eb, &dvb, &mvb);
            else
                for (int c = 0; c < 4; c++) eb[c][0] = eb[c][1] = eb[c][2] = eb[c][3] = vint_zero();
            for (int c = 0; c < 4; c++) vint_store_pairs4(ea[c], eb[c], row + (size_t)(4 * p + c) * 32, stride);
            float da[LS_VECTOR_LANES], ma[LS_VECTOR_LANES], db[LS_VECTOR_LANES], mb[LS_VECTOR_LANES];
            vfloat_storeu(da, dva);
            vfloat_storeu(ma, mva);
            vfloat_storeu(db, dvb);
            vfloat_storeu(mb, mvb);
            for (int k = 0; k < LS_VECTOR_LANES; k++) {
                float *scales = (float *)(row + (size_t)k * stride + (size_t)pairs * 128);
                _mm256_storeu_ps(scales + 8 * p, ls_spread2(da[k], db[k]));
                _mm_storeu_ps(scales + 8 * pairs + 4 * p, _mm_setr_ps(ma[k], ma[k], mb[k], mb[k]));
            }
        }
    }
}

/// ls_packed_dot with R as a constant in each case, so that every row count's sums are registers
/// (LS_PACKED_GROUP rows a pass at most).
static inline __attribute__((always_inline)) void ls_packed_dot_rows(ls_packed_unit_fn unit, ls_packed_head_fn head,
                                                                     ls_packed_shape shape, const uint8_t *w,
                                                                     size_t row_bytes, int n, int cols,
                                                                     const qrow *rows, int R, float *out, int ldo,
                                                                     int accumulate) {
    switch (R) {
    case 1: ls_packed_dot(unit, head, shape, w, row_bytes, n, cols, rows, 1, out, ldo, accumulate); break;
    case 2: ls_packed_dot(unit, head, shape, w, row_bytes, n, cols, rows, 2, out, ldo, accumulate); break;
    case 3: ls_packed_dot(unit, head, shape, w, row_bytes, n, cols, rows, 3, out, ldo, accumulate); break;
#if LS_PACKED_GROUP > 4
    case 4: ls_packed_dot(unit, head, shape, w, row_bytes, n, cols, rows, 4, out, ldo, accumulate); break;
    case 5: ls_packed_dot(unit, head, shape, w, row_bytes, n, cols, rows, 5, out, ldo, accumulate); break;
    case 6: ls_packed_dot(unit, head, shape, w, row_bytes, n, cols, rows, 6, out, ldo, accumulate); break;
    case 7: ls_packed_dot(unit, head, shape, w, row_bytes, n, cols, rows, 7, out, ldo, accumulate); break;
#endif
    default: ls_packed_dot(unit, head, shape, w, row_bytes, n, cols, rows, LS_PACKED_GROUP, out, ldo, accumulate); break;
    }
}

/// Defines `NAME_dot` and `NAME_widen_group` for a packed type from its unit widener, head
/// decoder, super-block head for the GEMM's widening (NULL but for integer sub-block scales whose
/// sums may run across the super-block), folding widener (NULL but for two scales per 32-block)
/// and shape.
#define LS_PACKED_KERNELS(NAME, UNIT, HEAD, SUPER_HEAD, FOLD, SHAPE)                                                 \
    static void NAME##_dot(const uint8_t *w, size_t row_bytes, int n, int cols, const qrow *rows, int R, float *out, \
                           int ldo, int accumulate) {                                                                \
        ls_packed_dot_rows(UNIT, HEAD, SHAPE, w, row_bytes, n, cols, rows, R, out, ldo, accumulate);                 \
    }                                                                                                                \
    static void NAME##_widen_group(const uint8_t *group, int cols, uint8_t *scratch, size_t stride) {                \
        ls_packed_widen_group(UNIT, HEAD, SUPER_HEAD, FOLD, SHAPE, group, cols, scratch, stride);                     \
    }
