// Shared machinery of the block-quantized types: activations quantized to 16-bit integers per
// 32-block, weight blocks widened in registers to match them, and the descriptor each type's file
// in types/ fills in (types/types.h lists them).
#pragma once

#include <string.h>

#include "internal.h"

/// Row `r` of quantized activations, two 32-blocks ("a pair") at a time: per pair 64 int16 as
/// four vectors [A.g | B.g] for g = elements {2i}, {2i+16}, {2i+1}, {2i+17} of each block; the
/// blocks' scales as [sA x4 | sB x4]; and [A0, A1, B0, B1], the float sums of the original
/// values over each block's first and second 16 elements (for minimums and offsets). An odd last
/// block pairs with zeros.
typedef struct {
    const int16_t *q;
    const float *scale;
    const float *sum;
} qrow;

/// One pair of weight blocks as the four int16 vectors matching the activation layout, the
/// scale vector [dA x4 | dB x4], and the offsets [mA0, mA1, mB0, mB1] added per 16 elements
/// (Q4_1's minimum, Q4_0's -8·d, a K-quant's -dmin·min; 0 where there is none). Integer sums
/// of four pmaddwd per lane must fit in int32: weights up to ±4096 against 16-bit activations.
typedef struct {
    __m256i e[4];
    __m256 d;
    __m128 dm;
} weight_pair;

/// Widens pair `p` (32-blocks 2p and 2p+1) of a weight row of `blocks` 32-blocks.
typedef weight_pair (*ls_widen_fn)(const uint8_t *row, int p, int blocks);

/// What the kernels need of one block-quantized type or packed layout.
typedef struct {
    /// The type's code: ggml's, or for a packed layout 1000 + the code of the type it repacks.
    int type;
    int block_values;  // values per block: 32, or 256 for K-quants
    int block_bytes;
    /// Decodes `n` values (whole blocks) exactly as ggml's reference dequantizer does; NULL for
    /// a packed layout, whose rows are not contiguous.
    void (*dequantize)(const uint8_t *src, float *dst, int n);
    /// Weight rows [0, n) of `cols` (`row_bytes` apart; a packed layout's whole groups from the
    /// one at `w`) against activation rows `rows[0..R)` (R <= LS_GROUP, or LS_PACKED_GROUP for
    /// a packed layout): weight row i times activation row r goes to out[r·ldo + i], or is added
    /// to it when `accumulate`. A chunk of rows per call: short rows (576 values) made the call
    /// per row ~7% of a decode step.
    void (*dot)(const uint8_t *w, size_t row_bytes, int n, int cols, const qrow *rows, int R, float *out, int ldo,
                int accumulate);
    /// One weight row widened into `scratch` for ls_dot_widened (many activation rows); NULL for
    /// a packed layout.
    void (*widen)(const uint8_t *w, int cols, uint8_t *scratch);
    /// The largest magnitude a widened weight can have (sub-block scales folded in).
    int widened_max;
    /// Values whose integer products the GEMM adds up before one float conversion: 32 (0 reads as
    /// 32), or 256 for a type whose integer sub-block scales it folds into the widened weights
    /// (ls_packed_super_head_fn). A product of such a type on the GEMM has its activations
    /// quantized with one scale per 256 values; the fused kernels keep one per 32.
    int sum_values;
    /// The offsets widened blocks carry (weight_pair.dm): 0 none, 1 one per 32-block (both halves
    /// the same), 2 one per 16 values. The GEMM does no more work for them than that needs.
    int offsets;
    /// A packed layout's: rows interleaved per group (LS_PACKED_ROWS), 0 for a file's row-major
    /// type. `dot` then starts at a group and takes whole groups.
    int packed_rows;
    /// A packed layout's: the code of the file type it repacks.
    int packs;
    /// A packed layout's: writes rows of the file type it repacks in this layout (see ls_pack).
    void (*pack)(const uint8_t *src, int rows, int cols, uint8_t *dst);
    /// A packed layout's `widen`: every row of the group at `group`, row i into scratch + i·stride.
    void (*widen_group)(const uint8_t *group, int cols, uint8_t *scratch, size_t stride);
} ls_quant_kernels;

/// The descriptor of type file `name` in this kernel set (`ls_q4_0_kernels_avx2`, ...).
#define LS_KERNELS(name) LS_VARIANT_NAME(ls_##name##_kernels)

/// The closing line of every type file: `LS_TYPE(name, code, fields...)` defines its descriptor
/// from designated initialisers. A unit that includes types/types.h with LS_TYPE_ENTRIES_ONLY
/// defined reads only these lines, each as it has defined LS_TYPE (quant_types.c: the dispatch).
#ifndef LS_TYPE_ENTRIES_ONLY
#define LS_TYPE(name, code, ...) const ls_quant_kernels LS_KERNELS(name) = {.type = code, __VA_ARGS__};
#endif

/// The kernels of a block-quantized type or packed layout, or NULL for float types and unknown
/// codes.
const ls_quant_kernels *ls_quant_kernels_for(int type);
/// The code of the packed layout of a file type, or -1.
int ls_packed_layout(int type);

#define LS_GROUP 4

/// Activation rows a packed layout's kernel meets per pass over a group's weights. With 32
/// registers the AVX-512 build holds 8 rows' sums. Against passes of 4, Qwen2.5-Coder-1.5B's
/// layer (Zen 4, two threads, two alternated runs, ms): 8 rows 2.61-2.62 -> 2.23-2.56, 16 rows
/// 4.84-4.87 -> 4.38-4.70, 32 rows 9.63 -> 9.33-9.34; its Q6_K head unchanged within noise.
#ifdef LS_VNNI
#define LS_PACKED_GROUP 8
#else
#define LS_PACKED_GROUP 4
#endif

/// One widened weight row (see ls_quant_kernels.widen) against activation rows `rows[0..R)`.
void ls_dot_widened(const uint8_t *scratch, int pairs, const qrow *rows, int R, float *result);

/// Bytes of one row of `cols` in the pair layout: a row of quantized activations (qrow) or a
/// widened weight row (ls_quant_kernels.widen), 176 per pair of blocks, rounded to a cache line.
static inline size_t ls_pair_row_bytes(int cols) {
    size_t pairs = (size_t)(cols / 32 + 1) / 2;
    return (pairs * (128 + 32 + 16) + LS_ALIGN - 1) / LS_ALIGN * LS_ALIGN;
}

/// Lanes of the vectors the integer kernels are written over (vector.h).
#ifdef LS_VNNI
#define LS_VECTOR_LANES 16
#else
#define LS_VECTOR_LANES 8
#endif
/// The integer GEMM (gemm.c): activation rows per vector (a group), widened weight rows met at
/// once, and weight rows at most per call.
#define LS_GEMM_LANES LS_VECTOR_LANES
#ifdef LS_VNNI
#define LS_GEMM_WEIGHT_ROWS 8
#else
#define LS_GEMM_WEIGHT_ROWS 4
#endif
#define LS_GEMM_MAX_ROWS 48
/// Bytes of one group of LS_GEMM_LANES activation rows of `cols`, transposed for the GEMM.
size_t ls_gemm_group_bytes(int cols);
/// Transposes activation rows `rows[0..count)` (count <= LS_GEMM_LANES; the group's other lanes
/// are zero) into `group` (ls_gemm_group_bytes, 64-byte aligned).
void ls_gemm_transpose(const qrow *rows, int count, int cols, void *group);
/// The largest activation integer that sums of `sum_values` products allow against weights
/// widened up to `widened_max` (32767 unless that would overflow int32).
float ls_gemm_activation_max(int widened_max, int sum_values);
/// Bytes [next, end) to bring into L2 while ls_gemm_rows computes, a few lines per block: the
/// caller's next weight rows, whose first touch otherwise stalls their widening.
typedef struct {
    const char *next, *end;
} ls_prefetch;
/// `nw` (<= LS_GEMM_MAX_ROWS) widened weight rows (`stride` apart) against activation rows
/// [0, m), transposed in groups (ls_gemm_group_bytes apart from `groups`): weight row i times
/// activation row r goes to out[r·ldo + i], or is added to it when `accumulate`. `offsets` is the
/// weight type's ls_quant_kernels.offsets; `fold` the 32-blocks whose integer sums add up before
/// one float scaling (its sum_values / 32: 1, or 8 with the activations' scale one per 8 blocks
/// and each block's widened scale its super-block's). Meanwhile it asks for `ahead`'s bytes.
void ls_gemm_rows(const uint8_t *widened, size_t stride, int nw, int cols, int offsets, int fold, const void *groups,
                  int m, float *out, int ldo, int accumulate, ls_prefetch ahead);

static inline __attribute__((always_inline)) uint32_t ls_load_u32(const uint8_t *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static inline __attribute__((always_inline)) __m256i ls_load_two(const uint8_t *a, const uint8_t *b) {
    return _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)a)),
                                   _mm_loadu_si128((const __m128i *)b), 1);
}

#ifdef LS_VNNI
/// The AVX-512 build's products: VNNI's `vpdpwssd` multiplies and accumulates in one instruction
/// (two chains of two, not one of four, to keep the latency short). Integer sums wrap the same
/// way in any order, so the result equals the baseline's bit for bit. The compiler may still
/// split a `vpdpwssd` where its tuning model says that is faster.
static inline __attribute__((always_inline)) __m256i ls_pair_products(const __m256i *e, const int16_t *a) {
    __m256i p01 = _mm256_dpwssd_epi32(_mm256_madd_epi16(e[0], _mm256_loadu_si256((const __m256i *)a)), e[1],
                                      _mm256_loadu_si256((const __m256i *)(a + 16)));
    __m256i p23 = _mm256_dpwssd_epi32(_mm256_madd_epi16(e[2], _mm256_loadu_si256((const __m256i *)(a + 32))), e[3],
                                      _mm256_loadu_si256((const __m256i *)(a + 48)));
    return _mm256_add_epi32(p01, p23);
}

/// Two groups' products summed, the second fused into the first's sum.
static inline __attribute__((always_inline)) __m256i ls_two_products(__m256i e0, const int16_t *a0, __m256i e1,
                                                                      const int16_t *a1) {
    return _mm256_dpwssd_epi32(_mm256_madd_epi16(e0, _mm256_loadu_si256((const __m256i *)a0)), e1,
                               _mm256_loadu_si256((const __m256i *)a1));
}
#else
static inline __attribute__((always_inline)) __m256i ls_pair_products(const __m256i *e, const int16_t *a) {
    __m256i p01 = _mm256_add_epi32(_mm256_madd_epi16(e[0], _mm256_loadu_si256((const __m256i *)a)),
                                   _mm256_madd_epi16(e[1], _mm256_loadu_si256((const __m256i *)(a + 16))));
    __m256i p23 = _mm256_add_epi32(_mm256_madd_epi16(e[2], _mm256_loadu_si256((const __m256i *)(a + 32))),
                                   _mm256_madd_epi16(e[3], _mm256_loadu_si256((const __m256i *)(a + 48))));
    return _mm256_add_epi32(p01, p23);
}

/// Two groups' products summed: e0 against the 16 activations at a0 plus e1 against a1.
static inline __attribute__((always_inline)) __m256i ls_two_products(__m256i e0, const int16_t *a0, __m256i e1,
                                                                      const int16_t *a1) {
    return _mm256_add_epi32(_mm256_madd_epi16(e0, _mm256_loadu_si256((const __m256i *)a0)),
                            _mm256_madd_epi16(e1, _mm256_loadu_si256((const __m256i *)a1)));
}
#endif

static inline __attribute__((always_inline)) float ls_finish(__m256 acc, __m128 offset) {
    __m128 o = _mm_add_ps(offset, _mm_movehl_ps(offset, offset));
    return ls_hsum(acc) + _mm_cvtss_f32(_mm_add_ss(o, _mm_movehdup_ps(o)));
}

/// Blocks 2p and 2p+1 of a row of `blocks` blocks of `bytes` each (2p again when the row ends on
/// a lone block: the activations it meets are zero, so it adds nothing).
static inline __attribute__((always_inline)) void ls_pair_blocks(const uint8_t *row, int p, int blocks, size_t bytes,
                                                                  const uint8_t **a, const uint8_t **b) {
    *a = row + (size_t)(2 * p) * bytes;
    *b = 2 * p + 1 < blocks ? *a + bytes : *a;
}

/// The leading f16 scales of blocks `a` and `b` as [dA x4 | dB x4]; `pair`, unless NULL, gets
/// [dA, dB, 0, 0].
static inline __attribute__((always_inline)) __m256 ls_pair_scales(const uint8_t *a, const uint8_t *b, __m128 *pair) {
    __m128 d2 = _mm_cvtph_ps(_mm_cvtsi32_si128((int)((ls_load_u32(a) & 0xFFFF) | (ls_load_u32(b) << 16))));
    if (pair) *pair = d2;
    return _mm256_permutevar8x32_ps(_mm256_castps128_ps256(d2), _mm256_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1));
}

/// The leading f16 pairs of blocks `a` and `b`: [dA, mA, dB, mB] for a type with a scale and a
/// minimum ([dA, ?, dB, ?] for one with only a scale).
static inline __attribute__((always_inline)) __m128 ls_pair_heads(const uint8_t *a, const uint8_t *b) {
    return _mm_cvtph_ps(_mm_insert_epi32(_mm_cvtsi32_si128((int)ls_load_u32(a)), (int)ls_load_u32(b), 1));
}

/// [dA x4 | dB x4] from ls_pair_heads.
static inline __attribute__((always_inline)) __m256 ls_head_scales(__m128 heads) {
    return _mm256_permutevar8x32_ps(_mm256_castps128_ps256(heads), _mm256_setr_epi32(0, 0, 0, 0, 2, 2, 2, 2));
}

/// Signed bytes of a pair as the four int16 activation groups: byte k of `lo` (per 128-bit lane,
/// one block each) is element k, byte k of `hi` element k + 16, so 16-bit lane i holds elements
/// 2i (low byte) and 2i + 1 (high byte) of its half.
static inline __attribute__((always_inline)) void ls_widen_signed_bytes(__m256i lo, __m256i hi, weight_pair *w) {
    w->e[0] = _mm256_srai_epi16(_mm256_slli_epi16(lo, 8), 8);
    w->e[1] = _mm256_srai_epi16(_mm256_slli_epi16(hi, 8), 8);
    w->e[2] = _mm256_srai_epi16(lo, 8);
    w->e[3] = _mm256_srai_epi16(hi, 8);
}

/// [a x8 | b x8] as int16: per-16-value scales of blocks A and B.
static inline __attribute__((always_inline)) __m256i ls_spread16(int a, int b) {
    return _mm256_set_m128i(_mm_set1_epi16((short)b), _mm_set1_epi16((short)a));
}

/// [x x4 | y x4] from two floats.
static inline __attribute__((always_inline)) __m256 ls_spread2(float x, float y) {
    return _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_set1_ps(x)), _mm_set1_ps(y), 1);
}

/// Bytes `k`..`k+15` of a 32-byte run, in both 128-bit lanes, each 32-bit lane then shifted
/// right by `sa` (low lane) or `sb` (high lane): the same bytes feed block A and block B with
/// their bit fields at different offsets (K-quants keep two sub-blocks in one run of bytes).
static inline __attribute__((always_inline)) __m256i ls_dup_shift(__m256i raw, int high, int sa, int sb) {
    __m256i dup = high ? _mm256_permute4x64_epi64(raw, 0xEE) : _mm256_permute4x64_epi64(raw, 0x44);
    return _mm256_srlv_epi32(dup, _mm256_setr_epi32(sa, sa, sa, sa, sb, sb, sb, sb));
}

/// Running sums of one weight row against up to LS_GROUP activation rows: per row the scaled
/// products and the offsets' contributions.
typedef struct {
    __m256 acc[LS_GROUP];
    __m128 offset[LS_GROUP];
} ls_row_sums;

static inline __attribute__((always_inline)) void ls_sums_start(ls_row_sums *s, int R) {
    for (int r = 0; r < R; r++) {
        s->acc[r] = _mm256_setzero_ps();
        s->offset[r] = _mm_setzero_ps();
    }
}

/// Adds widened pair `p` of a weight row, met by pair `p` of each activation row.
static inline __attribute__((always_inline)) void ls_sums_add(ls_row_sums *s, const weight_pair *wp, const qrow *rows,
                                                               int R, int p) {
    for (int r = 0; r < R; r++) {
        __m256i prod = ls_pair_products(wp->e, rows[r].q + 64 * p);
        __m256 scale = _mm256_mul_ps(wp->d, _mm256_loadu_ps(rows[r].scale + 8 * p));
        s->acc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(prod), scale, s->acc[r]);
        s->offset[r] = _mm_fmadd_ps(wp->dm, _mm_loadu_ps(rows[r].sum + 4 * p), s->offset[r]);
    }
}

static inline __attribute__((always_inline)) void ls_sums_finish(const ls_row_sums *s, int R, float *result) {
    for (int r = 0; r < R; r++) result[r] = ls_finish(s->acc[r], s->offset[r]);
}

/// The fused kernel body: one weight row, pair by pair, against up to LS_GROUP activation rows.
static inline __attribute__((always_inline)) void ls_dot_pairs(ls_widen_fn widen, const uint8_t *w, int cols,
                                                                const qrow *rows, int R, float *result) {
    int blocks = cols / 32;
    ls_row_sums sums;
    ls_sums_start(&sums, R);
    for (int p = 0; 2 * p < blocks; p++) {
        weight_pair wp = widen(w, p, blocks);
        ls_sums_add(&sums, &wp, rows, R, p);
    }
    ls_sums_finish(&sums, R, result);
}

/// Layout of a widened row: per pair the four int16 vectors, then the scale vectors, then the
/// offset vectors.
static inline __attribute__((always_inline)) void ls_widen_pairs(ls_widen_fn widen, const uint8_t *w, int cols,
                                                                  uint8_t *scratch) {
    int blocks = cols / 32, pairs = (blocks + 1) / 2;
    __m256i *e = (__m256i *)scratch;
    float *d = (float *)(scratch + (size_t)pairs * 128);
    float *dm = d + (size_t)pairs * 8;
    for (int p = 0; p < pairs; p++) {
        weight_pair wp = widen(w, p, blocks);
        for (int g = 0; g < 4; g++) _mm256_storeu_si256(e + 4 * p + g, wp.e[g]);
        _mm256_storeu_ps(d + 8 * p, wp.d);
        _mm_storeu_ps(dm + 4 * p, wp.dm);
    }
}

/// One weight row against activation rows `rows[0..R)`, results in `result[0..R)`.
typedef void (*ls_dot_body_fn)(const uint8_t *w, int cols, const qrow *rows, int R, float *result);

static inline __attribute__((always_inline)) void ls_dot_rows(ls_dot_body_fn body, const uint8_t *w, size_t row_bytes,
                                                               int n, int cols, const qrow *rows, int R, float *out,
                                                               int ldo, int accumulate) {
    for (int i = 0; i < n; i++) {
        float result[LS_GROUP];
        body(w + (size_t)i * row_bytes, cols, rows, R, result);
        for (int r = 0; r < R; r++) {
            float *o = out + (size_t)r * (size_t)ldo + i;
            *o = accumulate ? *o + result[r] : result[r];
        }
    }
}

/// Defines the dot kernel `NAME` (see ls_quant_kernels.dot) from a one-row `BODY`, with the
/// activation row count a compile-time constant in each specialisation.
#define LS_DOT_BY_ROWS(NAME, BODY)                                                                                 \
    static void NAME(const uint8_t *w, size_t row_bytes, int n, int cols, const qrow *rows, int R, float *out,     \
                     int ldo, int accumulate) {                                                                    \
        switch (R) {                                                                                               \
        case 1: ls_dot_rows(BODY, w, row_bytes, n, cols, rows, 1, out, ldo, accumulate); break;                    \
        case 2: ls_dot_rows(BODY, w, row_bytes, n, cols, rows, 2, out, ldo, accumulate); break;                    \
        case 3: ls_dot_rows(BODY, w, row_bytes, n, cols, rows, 3, out, ldo, accumulate); break;                    \
        default: ls_dot_rows(BODY, w, row_bytes, n, cols, rows, 4, out, ldo, accumulate); break;                   \
        }                                                                                                          \
    }

/// Defines `NAME_dot` and `NAME_widen` for a type from its pair widener.
#define LS_PAIR_KERNELS(NAME, WIDEN)                                                                               \
    static inline __attribute__((always_inline)) void NAME##_dot_body(const uint8_t *w, int cols, const qrow *rows, \
                                                                       int R, float *result) {                     \
        ls_dot_pairs(WIDEN, w, cols, rows, R, result);                                                             \
    }                                                                                                              \
    LS_DOT_BY_ROWS(NAME##_dot, NAME##_dot_body)                                                                    \
    static void NAME##_widen(const uint8_t *w, int cols, uint8_t *scratch) { ls_widen_pairs(WIDEN, w, cols, scratch); }

/// The 6-bit scale and minimum of sub-block `j` (0..7) from a Q4_K/Q5_K super-block's 12 bytes.
static inline __attribute__((always_inline)) void ls_k_scale_min(const uint8_t *s, int j, int *sc, int *m) {
    if (j < 4) {
        *sc = s[j] & 63;
        *m = s[j + 4] & 63;
    } else {
        *sc = (s[j + 4] & 0x0F) | ((s[j - 4] >> 6) << 4);
        *m = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
    }
}
