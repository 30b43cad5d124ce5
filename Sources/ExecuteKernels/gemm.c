// Many activation rows against block-quantized weights, in 16-bit integers: the many-row path of
// both kernel builds (prefill, wide decode batches), in place of dequantizing to float32 for sgemm.
//
// A vector's lanes are activation rows, LS_GEMM_LANES of them (16 in the AVX-512 build, 8 in the
// AVX2 one): the activations (the same 16-bit per-32-block integers the decode kernels use,
// quantized.h) are transposed once per product into groups of that many rows, and each weight row
// is widened to int16 exactly as the decode kernels widen it, then met by broadcast. One
// multiply-add takes two weights of one row against two activations of each row of a group, and
// one 32-block's integer sums are scaled once per vector of outputs, not once per product. The
// weights need no transposing, so a weight row costs one widening however many rows meet it.
//
// Q4_K, AVX-512 build (types/q4_k_x16.c says why not the AVX2 one): each 32-block's 6-bit scale
// is multiplied into its widened weights (up to 15 x 63), and the activations take one scale per
// 256 values (13 bits: 256 x 945 x 8877 < 2^31), so the integer sums of a super-block's eight
// blocks add up before one conversion and scaling. In a prefill profile with the epilogue
// (convert, scale, load and store the float sums) per block, 69% of the tile's samples fell on
// `vpdpwssd`; per super-block, 73%. Against per-block scaling (Zen 4, two threads, alternated
// runs, `bench/run kernels`): Qwen2.5-Coder-1.5B's layer at 512 rows 137-141 -> 127-139 ms
// (median 140.3 -> 129.3), at 96 rows unchanged within the noise (25.8-27.2 vs 24.6-26.9); its
// prefill of 512 tokens +4.6-5.4% in three of four alternations. The rounding moved the 1.5B's
// golden top-five logits by at most 0.0024 (16 bits per 32: 0.0004;
// `bench/activation_precision.py`).
//
// AVX-512 VNNI: `vpdpwssd` does 32 16-bit multiply-adds per instruction, twice float32 FMA's 16
// (measured on Zen 4: 114 G multiply-adds/s per core against 57 G FMAs/s). The first version had
// lanes = weight rows and transposed every widened row into panels of 32 (~14% of a 32-stream
// load's samples). Against it, one thread, ms per layer of SmolLM2 (`bench/run kernels --threads
// 1`): 16 rows 1.0-1.19 -> 0.86-0.87, 32 rows 1.88-1.99 -> 1.40-1.51, 512 rows 22.3-23.4 ->
// 23.0-24.4; the output head at 32 rows 18.7-19.8 -> 13.6-15.3.
//
// AVX2: `vpmaddwd` + `vpaddd` do 16 multiply-adds per two instructions (float32 FMA does 8 per
// one), and nothing is dequantized to float32 or repacked by sgemm. Against dequantize + sgemm
// (OpenBLAS Zen), one thread, ms per SmolLM2 layer: 32 rows 2.89-3.01 -> 1.73-1.79, 512 rows
// 35-41 -> 28.7-29.2 (~63 G multiply-adds/s); the output head at 32 rows 24.2-24.8 -> 14.0-15.0.
// Tiles of 5 x 2 and 2 x 4 (weight rows x groups) were no faster than 4 x 2.
//
// Integer sums: a lane adds 32 products of a block, so |weight| · |activation| · 32 must fit in
// int32: ls_gemm_activation_max gives the activation range each weight type allows.
#include "quantized.h"
#include "vector.h"

#define LANES LS_GEMM_LANES

// MARK: Activation groups

size_t ls_gemm_group_bytes(int cols) {
    size_t blocks = (size_t)(cols / 32), pairs = (blocks + 1) / 2;
    return (pairs * 32 + blocks * 3) * LANES * sizeof(int32_t);
}

float ls_gemm_activation_max(int widened_max, int sum_values) {
    double limit = 2147483647.0 / ((double)sum_values * (widened_max > 0 ? widened_max : 1));
    return limit < 32767 ? (float)(int)limit : 32767.0f;
}

/// A group's parts: per int32 unit of a row the group's rows' units, then per block the rows'
/// scales, then per block the rows' sums over its first and second halves.
typedef struct {
    const int32_t *units;
    const float *scale;
    const float *sum;
} group_parts;

static inline __attribute__((always_inline)) group_parts parts_of(const void *group, int blocks, int pairs) {
    const int32_t *units = group;
    const float *scale = (const float *)(units + (size_t)pairs * 32 * LANES);
    return (group_parts){units, scale, scale + (size_t)blocks * LANES};
}

void ls_gemm_transpose(const qrow *rows, int count, int cols, void *group) {
    int blocks = cols / 32, pairs = (blocks + 1) / 2;
    group_parts g = parts_of(group, blocks, pairs);
    int32_t *units = (int32_t *)g.units;
    for (int u = 0; u < pairs * 32; u += LANES) {
        vint v[LANES];
        for (int i = 0; i < LANES; i++) v[i] = i < count ? vint_loadu((const int32_t *)rows[i].q + u) : vint_zero();
        transpose(v);
        for (int j = 0; j < LANES; j++) vint_store(units + (size_t)(u + j) * LANES, v[j]);
    }
    // Row by row, so that each row's pointers are read once (per block and lane, the reloads
    // the stores forced were ~1/3 of this function's samples).
    float *restrict scale = (float *)g.scale, *restrict sum = (float *)g.sum;
    for (int i = 0; i < LANES; i++) {
        const float *restrict s = i < count ? rows[i].scale : NULL, *restrict x = i < count ? rows[i].sum : NULL;
        for (int b = 0; b < blocks; b++) {
            int p = b >> 1, h = b & 1;
            scale[b * LANES + i] = s ? s[8 * p + 4 * h] : 0;
            sum[b * 2 * LANES + i] = x ? x[4 * p + 2 * h] : 0;
            sum[b * 2 * LANES + LANES + i] = x ? x[4 * p + 2 * h + 1] : 0;
        }
    }
}

// MARK: The product

/// Cache lines of `ls_prefetch` asked for per block of a tile. At 32 activation rows in the
/// AVX-512 build (the fewest blocks per call) that covers SmolLM2's next work items: 4 x 108
/// lines against 270 wanted for Q4_1 rows of 576, 4 x 288 against 720 for rows of 1536, 432 of
/// 459 for its Q8_0 head.
#define LS_PREFETCH_LINES 4

/// Float sums of up to LS_GEMM_MAX_ROWS weight rows against two groups of activation rows:
/// t[i][LANES·a + j] is weight row i against group a's lane j.
typedef struct {
    float t[LS_GEMM_MAX_ROWS][2 * LANES] __attribute__((aligned(64)));
} tile_sums;

/// Position of pair `t` (0..15) of half `h` of a widened pair among its 32 int32 units: the four
/// 256-bit groups hold block A's pairs in their low 128 bits, block B's in the high ones.
static inline __attribute__((always_inline)) int unit_of(int t, int h) { return (t >> 2) * 8 + h * 4 + (t & 3); }

/// `NW` widened weight rows (`stride` apart) against `NA` groups of activation rows, into
/// sums[0..NW): NW·NA integer sums in registers (8 x 2 of 16 lanes in the AVX-512 build's 32
/// registers, 4 x 2 of 8 lanes in the AVX2 one's 16), NA vector loads per NW·NA multiply-adds,
/// each meeting its weight's broadcast; the float sums stay in L1, written once per `fold` blocks.
///
/// The integer sums of `fold` blocks add up before one conversion and scaling (the scale of the
/// run's first block, both its weights' and its activations'), then the blocks' offsets follow
/// in order. With fold 1, for a type whose widened blocks carry the packed kernel's scales (all
/// but Q6_K, whose per-16 scales the widening folds into the weights), that is the packed
/// kernel's arithmetic (ls_packed_group_dot) step for step: a row's product is the same bits on
/// either path.
static inline __attribute__((always_inline)) void gemm_tile(const uint8_t *widened, size_t stride, int NW, int blocks,
                                                            int pairs, const group_parts *g, int NA, int offsets,
                                                            int fold, float (*sums)[2 * LANES], ls_prefetch *ahead) {
    const int32_t *e[LS_GEMM_WEIGHT_ROWS];
    const float *d[LS_GEMM_WEIGHT_ROWS], *dm[LS_GEMM_WEIGHT_ROWS];
    for (int n = 0; n < NW; n++) {
        e[n] = (const int32_t *)(widened + (size_t)n * stride);
        d[n] = (const float *)(widened + (size_t)n * stride + (size_t)pairs * 128);
        dm[n] = d[n] + (size_t)pairs * 8;
    }
    for (int b0 = 0; b0 < blocks; b0 += fold) {
        vint acc[LS_GEMM_WEIGHT_ROWS][2];
        for (int n = 0; n < NW; n++)
            for (int a = 0; a < NA; a++) acc[n][a] = vint_zero();
        for (int b = b0; b < b0 + fold && b < blocks; b++) {
            int p = b >> 1, h = b & 1;
            for (int l = 0; l < LS_PREFETCH_LINES && ahead->next < ahead->end; l++, ahead->next += 64)
                _mm_prefetch(ahead->next, _MM_HINT_T1);
#pragma clang loop unroll(full)
            for (int t = 0; t < 16; t++) {
                int unit = 32 * p + unit_of(t, h);
                vint x[2];
                for (int a = 0; a < NA; a++) x[a] = vint_load(g[a].units + (size_t)unit * LANES);
                for (int n = 0; n < NW; n++)
                    for (int a = 0; a < NA; a++) acc[n][a] = dot_broadcast(acc[n][a], x[a], e[n] + unit);
            }
        }
        // The run's activation scales, and its blocks' activation sums: per block the whole
        // block's (one offset per block) or its halves'.
        vfloat s[2], x[2][8][2];
        for (int a = 0; a < NA; a++) {
            s[a] = vfloat_load(g[a].scale + b0 * LANES);
            for (int k = 0; k < fold && b0 + k < blocks && offsets; k++) {
                x[a][k][0] = vfloat_load(g[a].sum + (b0 + k) * 2 * LANES);
                x[a][k][1] = vfloat_load(g[a].sum + (b0 + k) * 2 * LANES + LANES);
                if (offsets == 1) x[a][k][0] = vfloat_add(x[a][k][0], x[a][k][1]);
            }
        }
        for (int n = 0; n < NW; n++) {
            vfloat dn = vfloat_set1(d[n][4 * b0]);
            for (int a = 0; a < NA; a++) {
                vfloat f = b0 == 0 ? vfloat_zero() : vfloat_load(sums[n] + LANES * a);
                f = vfloat_fmadd(vfloat_from(acc[n][a]), vfloat_mul(dn, s[a]), f);
                for (int k = 0; k < fold && b0 + k < blocks && offsets; k++) {
                    const float *m = dm[n] + 2 * (b0 + k);
                    // One offset per block meets the block's whole sum: one FMA per output vector.
                    if (offsets == 2) f = vfloat_fmadd(vfloat_set1(m[1]), x[a][k][1], f);
                    f = vfloat_fmadd(vfloat_set1(m[0]), x[a][k][0], f);
                }
                vfloat_store(sums[n] + LANES * a, f);
            }
        }
    }
}

/// Writes (or adds) sums->t[0..nw) for group a's first `live` lanes to out rows LANES·a + j,
/// LANES weight rows at a time through a transpose (scattering each sum was ~30% of the AVX-512
/// kernel's samples).
static void store_sums(const tile_sums *sums, int nw, int a, int live, float *out, int ldo, int accumulate) {
    for (int n0 = 0; n0 < nw; n0 += LANES) {
        int width = nw - n0 < LANES ? nw - n0 : LANES;
        vint v[LANES];
        for (int i = 0; i < LANES; i++) v[i] = i < width ? vint_load(sums->t[n0 + i] + LANES * a) : vint_zero();
        transpose(v);
        for (int j = 0; j < live; j++) store_outputs(out + (size_t)(LANES * a + j) * (size_t)ldo + n0, v[j], width, accumulate);
    }
}

/// gemm_tile with `offsets` a constant in each case, for a `fold` that is one already.
static inline __attribute__((always_inline)) void tile_offsets(const uint8_t *widened, size_t stride, int NW,
                                                               int blocks, int pairs, const group_parts *g, int NA,
                                                               int offsets, int fold, float (*sums)[2 * LANES],
                                                               ls_prefetch *ahead) {
    switch (offsets) {
    case 0: gemm_tile(widened, stride, NW, blocks, pairs, g, NA, 0, fold, sums, ahead); break;
    case 1: gemm_tile(widened, stride, NW, blocks, pairs, g, NA, 1, fold, sums, ahead); break;
    default: gemm_tile(widened, stride, NW, blocks, pairs, g, NA, 2, fold, sums, ahead); break;
    }
}

/// gemm_tile specialised for `NW` and `NA` (constants at each call), each kind of offsets and
/// each fold a type's sum_values allows (32 or 256 values: 1 or 8 blocks).
static inline __attribute__((always_inline)) void tile(const uint8_t *widened, size_t stride, int NW, int blocks,
                                                       int pairs, const group_parts *g, int NA, int offsets, int fold,
                                                       float (*sums)[2 * LANES], ls_prefetch *ahead) {
    if (fold == 8)
        tile_offsets(widened, stride, NW, blocks, pairs, g, NA, offsets, 8, sums, ahead);
    else
        tile_offsets(widened, stride, NW, blocks, pairs, g, NA, offsets, 1, sums, ahead);
}

void ls_gemm_rows(const uint8_t *widened, size_t stride, int nw, int cols, int offsets, int fold, const void *groups,
                  int m, float *out, int ldo, int accumulate, ls_prefetch ahead) {
    int blocks = cols / 32, pairs = (blocks + 1) / 2;
    size_t group_bytes = ls_gemm_group_bytes(cols);
    int count = (m + LANES - 1) / LANES;
    tile_sums sums;
    for (int v = 0; v < count; v += 2) {
        int na = count - v >= 2 ? 2 : 1;
        group_parts g[2];
        for (int a = 0; a < na; a++) g[a] = parts_of((const uint8_t *)groups + (size_t)(v + a) * group_bytes, blocks, pairs);
        // LS_GEMM_WEIGHT_ROWS rows at once; a product's last few rows one at a time.
        for (int n = 0; n < nw;) {
            const uint8_t *wn = widened + (size_t)n * stride;
            float(*t)[2 * LANES] = sums.t + n;
            const int W = LS_GEMM_WEIGHT_ROWS;
            int rows = nw - n >= W ? W : 1;
            if (rows == W && na == 2) tile(wn, stride, W, blocks, pairs, g, 2, offsets, fold, t, &ahead);
            else if (rows == W) tile(wn, stride, W, blocks, pairs, g, 1, offsets, fold, t, &ahead);
            else if (na == 2) tile(wn, stride, 1, blocks, pairs, g, 2, offsets, fold, t, &ahead);
            else tile(wn, stride, 1, blocks, pairs, g, 1, offsets, fold, t, &ahead);
            n += rows;
        }
        for (int a = 0; a < na; a++) {
            int first = LANES * (v + a);
            store_sums(&sums, nw, a, m - first < LANES ? m - first : LANES, out + (size_t)(LANES * v) * (size_t)ldo, ldo,
                       accumulate);
        }
    }
}
