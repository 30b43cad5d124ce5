// Many activation rows against block-quantized weights, in 16-bit integers: the AVX-512 VNNI
// build's replacement for dequantize-to-float-and-sgemm (prefill, wide decode batches).
//
// `vpdpwssd` does 32 16-bit multiply-adds per 512-bit instruction, twice float32 FMA's 16
// (measured on Zen 4: 114 G multiply-adds/s per core against 57 G FMAs/s). A vector's 16 lanes
// are 16 activation rows: the activations (the same 16-bit per-32-block integers the decode
// kernels use, quantized.h) are transposed once per product into groups of 16 rows, and each
// weight row is widened to int16 exactly as the decode kernels widen it, then met by broadcast.
// One instruction multiplies two weights of one row by two activations of each of 16 rows, and
// one 32-block's integer sums are scaled once per vector of 16 outputs, not once per product.
//
// The weights need no transposing, so a weight row costs one widening however many activation
// rows meet it. The first version had lanes = weight rows and transposed every widened row into
// panels of 32 (~14% of a 32-stream load's samples). Against it, one thread, ms per layer of
// SmolLM2 (`bench/run kernels --threads 1`): 16 rows 1.0-1.19 -> 0.86-0.87, 32 rows 1.88-1.99 ->
// 1.40-1.51, 512 rows 22.3-23.4 -> 23.0-24.4; the output head at 32 rows 18.7-19.8 -> 13.6-15.3.
//
// Integer sums: a lane adds 32 products of a block, so |weight| · |activation| · 32 must fit in
// int32: ls_gemm_activation_max gives the activation range each weight type allows.
#include "avx512.h"

#include "../quantized.h"

size_t ls_gemm_group_bytes(int cols) {
    size_t blocks = (size_t)(cols / 32), pairs = (blocks + 1) / 2;
    return pairs * 32 * 64 + blocks * 3 * 64;
}

float ls_gemm_activation_max(int widened_max) {
    double limit = 2147483647.0 / (32.0 * (widened_max > 0 ? widened_max : 1));
    return limit < 32767 ? (float)(int)limit : 32767.0f;
}

/// Transposes 16 vectors of 16 int32 (v[i] element j becomes v[j] element i): 32-bit and
/// 64-bit unpacks transpose 4x4 blocks within each 128-bit lane, two 128-bit shuffles move the
/// blocks.
static inline __attribute__((always_inline)) void transpose16(__m512i v[16]) {
    __m512i t[16];
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_epi32(v[i], v[i + 1]);
        t[i + 1] = _mm512_unpackhi_epi32(v[i], v[i + 1]);
    }
    // v[4q + k], lane j: rows 4q..4q+3 of column 4j + k.
    for (int q = 0; q < 16; q += 4) {
        v[q] = _mm512_unpacklo_epi64(t[q], t[q + 2]);
        v[q + 1] = _mm512_unpackhi_epi64(t[q], t[q + 2]);
        v[q + 2] = _mm512_unpacklo_epi64(t[q + 1], t[q + 3]);
        v[q + 3] = _mm512_unpackhi_epi64(t[q + 1], t[q + 3]);
    }
    for (int k = 0; k < 4; k++) {
        t[k] = _mm512_shuffle_i32x4(v[k], v[4 + k], 0x88);       // lanes 0, 2 of rows 0-3, 4-7
        t[4 + k] = _mm512_shuffle_i32x4(v[k], v[4 + k], 0xDD);   // lanes 1, 3
        t[8 + k] = _mm512_shuffle_i32x4(v[8 + k], v[12 + k], 0x88);
        t[12 + k] = _mm512_shuffle_i32x4(v[8 + k], v[12 + k], 0xDD);
    }
    for (int k = 0; k < 4; k++) {
        v[k] = _mm512_shuffle_i32x4(t[k], t[8 + k], 0x88);            // column k
        v[8 + k] = _mm512_shuffle_i32x4(t[k], t[8 + k], 0xDD);        // column 8 + k
        v[4 + k] = _mm512_shuffle_i32x4(t[4 + k], t[12 + k], 0x88);   // column 4 + k
        v[12 + k] = _mm512_shuffle_i32x4(t[4 + k], t[12 + k], 0xDD);  // column 12 + k
    }
}

/// Position of pair `t` (0..15) of half `h` of a widened pair among its 32 int32 units: the four
/// 256-bit groups hold block A's pairs in their low 128 bits, block B's in the high ones.
static inline __attribute__((always_inline)) int unit_of(int t, int h) { return (t >> 2) * 8 + h * 4 + (t & 3); }

/// A group's parts: per int32 unit of a row the 16 rows' units, then per block the 16 rows'
/// scales, then per block the 16 rows' sums over its first and second halves.
typedef struct {
    const int32_t *units;
    const float *scale;
    const float *sum;
} group_parts;

static inline __attribute__((always_inline)) group_parts parts_of(const void *group, int blocks, int pairs) {
    const int32_t *units = group;
    const float *scale = (const float *)(units + (size_t)pairs * 32 * 16);
    return (group_parts){units, scale, scale + (size_t)blocks * 16};
}

void ls_gemm_transpose(const qrow *rows, int count, int cols, void *group) {
    int blocks = cols / 32, pairs = (blocks + 1) / 2;
    group_parts g = parts_of(group, blocks, pairs);
    int32_t *units = (int32_t *)g.units;
    for (int u = 0; u < pairs * 32; u += 16) {
        __m512i v[16];
        for (int i = 0; i < 16; i++)
            v[i] = i < count ? _mm512_loadu_si512((const int32_t *)rows[i].q + u) : _mm512_setzero_si512();
        transpose16(v);
        for (int j = 0; j < 16; j++) _mm512_store_si512(units + (size_t)(u + j) * 16, v[j]);
    }
    // Row by row, so that each row's pointers are read once (per block and lane, the reloads
    // the stores forced were ~1/3 of this function's samples).
    float *restrict scale = (float *)g.scale, *restrict sum = (float *)g.sum;
    for (int i = 0; i < 16; i++) {
        const float *restrict s = i < count ? rows[i].scale : NULL, *restrict x = i < count ? rows[i].sum : NULL;
        for (int b = 0; b < blocks; b++) {
            int p = b >> 1, h = b & 1;
            scale[b * 16 + i] = s ? s[8 * p + 4 * h] : 0;
            sum[b * 32 + i] = x ? x[4 * p + 2 * h] : 0;
            sum[b * 32 + 16 + i] = x ? x[4 * p + 2 * h + 1] : 0;
        }
    }
}

/// acc + the pairwise products of x and the int32 at `w` (two int16) in every lane, always as one
/// `vpdpwssd` with an embedded broadcast. Under its generic tuning clang splits the intrinsic
/// into `vpmaddwd` + `vpaddd` (perf, first version: 43% of the kernel's samples on the two
/// halves, 1% on `vpdpwssd`); the folded broadcast against a separate `vpbroadcastd` took the
/// layer at 32 rows from 1.43-1.52 to 1.40-1.51 ms and at 512 rows from 25.3 to 23.0-24.4 ms.
static inline __attribute__((always_inline)) __m512i dpwssd_broadcast(__m512i acc, __m512i x, const int32_t *w) {
    __asm__("vpdpwssd %2%{1to16%}, %1, %0" : "+v"(acc) : "v"(x), "m"(*w));
    return acc;
}

/// Cache lines of `ls_prefetch` asked for per block of a tile. At 32 activation rows (the fewest
/// blocks per call) that covers SmolLM2's next work items: 4 x 108 lines against 270 wanted for
/// Q4_1 rows of 576, 4 x 288 against 720 for rows of 1536, 432 of 459 for its Q8_0 head.
#define LS_PREFETCH_LINES 4

/// Float sums of up to LS_GEMM_MAX_ROWS weight rows against two groups (32 activation rows):
/// t[i][16a + j] is weight row i against group a's lane j.
typedef struct {
    float t[LS_GEMM_MAX_ROWS][32] __attribute__((aligned(64)));
} tile_sums;

/// `NW` widened weight rows (`stride` apart) against `NA` groups of activation rows, into
/// sums[0..NW): 16 int32 sums in registers at NW = 8, NA = 2 (two vector loads per 16
/// `vpdpwssd`, each folding in its weight's broadcast); the float sums stay in L1, written once
/// per block.
static inline __attribute__((always_inline)) void gemm_tile(const uint8_t *widened, size_t stride, int NW, int blocks,
                                                            int pairs, const group_parts *g, int NA, int offsets,
                                                            float (*sums)[32], ls_prefetch *ahead) {
    const int32_t *e[LS_GEMM_WEIGHT_ROWS];
    const float *d[LS_GEMM_WEIGHT_ROWS], *dm[LS_GEMM_WEIGHT_ROWS];
    for (int n = 0; n < NW; n++) {
        e[n] = (const int32_t *)(widened + (size_t)n * stride);
        d[n] = (const float *)(widened + (size_t)n * stride + (size_t)pairs * 128);
        dm[n] = d[n] + (size_t)pairs * 8;
    }
    for (int b = 0; b < blocks; b++) {
        int p = b >> 1, h = b & 1;
        for (int l = 0; l < LS_PREFETCH_LINES && ahead->next < ahead->end; l++, ahead->next += 64)
            _mm_prefetch(ahead->next, _MM_HINT_T1);
        __m512i acc[LS_GEMM_WEIGHT_ROWS][2];
        for (int n = 0; n < NW; n++)
            for (int a = 0; a < NA; a++) acc[n][a] = _mm512_setzero_si512();
#pragma clang loop unroll(full)
        for (int t = 0; t < 16; t++) {
            int unit = 32 * p + unit_of(t, h);
            __m512i x[2];
            for (int a = 0; a < NA; a++) x[a] = _mm512_load_si512(g[a].units + (size_t)unit * 16);
            for (int n = 0; n < NW; n++)
                for (int a = 0; a < NA; a++) acc[n][a] = dpwssd_broadcast(acc[n][a], x[a], e[n] + unit);
        }
        __m512 s[2], x0[2], x1[2];
        for (int a = 0; a < NA; a++) {
            s[a] = _mm512_load_ps(g[a].scale + b * 16);
            x0[a] = _mm512_load_ps(g[a].sum + b * 32);
            x1[a] = _mm512_load_ps(g[a].sum + b * 32 + 16);
        }
        // One offset per block meets the block's whole sum: one FMA per output vector, not two.
        if (offsets == 1)
            for (int a = 0; a < NA; a++) x0[a] = _mm512_add_ps(x0[a], x1[a]);
        for (int n = 0; n < NW; n++) {
            __m512 dn = _mm512_set1_ps(d[n][8 * p + 4 * h]);
            __m512 m0 = _mm512_set1_ps(dm[n][4 * p + 2 * h]), m1 = _mm512_set1_ps(dm[n][4 * p + 2 * h + 1]);
            for (int a = 0; a < NA; a++) {
                __m512 f = b == 0 ? _mm512_setzero_ps() : _mm512_load_ps(sums[n] + 16 * a);
                f = _mm512_fmadd_ps(_mm512_cvtepi32_ps(acc[n][a]), _mm512_mul_ps(dn, s[a]), f);
                if (offsets == 1) f = _mm512_fmadd_ps(m0, x0[a], f);
                if (offsets == 2) f = _mm512_fmadd_ps(m0, x0[a], _mm512_fmadd_ps(m1, x1[a], f));
                _mm512_store_ps(sums[n] + 16 * a, f);
            }
        }
    }
}

/// Writes (or adds) sums->t[0..nw) for group a's first `live` lanes to out rows 16a + j,
/// 16 weight rows at a time through a 16x16 transpose (scattering each sum was ~30% of the
/// kernel's samples).
static void store_sums(const tile_sums *sums, int nw, int a, int live, float *out, int ldo, int accumulate) {
    for (int n0 = 0; n0 < nw; n0 += 16) {
        int width = nw - n0 < 16 ? nw - n0 : 16;
        __mmask16 mask = width >= 16 ? 0xFFFF : (__mmask16)((1u << width) - 1);
        __m512i v[16];
        for (int i = 0; i < 16; i++)
            v[i] = i < width ? _mm512_load_si512(sums->t[n0 + i] + 16 * a) : _mm512_setzero_si512();
        transpose16(v);
        for (int j = 0; j < live; j++) {
            float *o = out + (size_t)(16 * a + j) * (size_t)ldo + n0;
            __m512 f = _mm512_castsi512_ps(v[j]);
            if (accumulate) f = _mm512_add_ps(f, _mm512_maskz_loadu_ps(mask, o));
            _mm512_mask_storeu_ps(o, mask, f);
        }
    }
}

/// gemm_tile at LS_GEMM_WEIGHT_ROWS, specialised for `NA` and each kind of offsets.
static inline __attribute__((always_inline)) void tile8(const uint8_t *widened, size_t stride, int blocks, int pairs,
                                                        const group_parts *g, int NA, int offsets, float (*sums)[32],
                                                        ls_prefetch *ahead) {
    switch (offsets) {
    case 0: gemm_tile(widened, stride, LS_GEMM_WEIGHT_ROWS, blocks, pairs, g, NA, 0, sums, ahead); break;
    case 1: gemm_tile(widened, stride, LS_GEMM_WEIGHT_ROWS, blocks, pairs, g, NA, 1, sums, ahead); break;
    default: gemm_tile(widened, stride, LS_GEMM_WEIGHT_ROWS, blocks, pairs, g, NA, 2, sums, ahead); break;
    }
}

void ls_gemm_rows(const uint8_t *widened, size_t stride, int nw, int cols, int offsets, const void *groups, int m,
                  float *out, int ldo, int accumulate, ls_prefetch ahead) {
    int blocks = cols / 32, pairs = (blocks + 1) / 2;
    size_t group_bytes = ls_gemm_group_bytes(cols);
    int count = (m + 15) / 16;
    tile_sums sums;
    for (int v = 0; v < count; v += 2) {
        int na = count - v >= 2 ? 2 : 1;
        group_parts g[2];
        for (int a = 0; a < na; a++) g[a] = parts_of((const uint8_t *)groups + (size_t)(v + a) * group_bytes, blocks, pairs);
        // Eight rows at once; a product's last few rows one at a time.
        for (int n = 0; n < nw;) {
            const uint8_t *wn = widened + (size_t)n * stride;
            float(*t)[32] = sums.t + n;
            if (nw - n >= LS_GEMM_WEIGHT_ROWS) {
                if (na == 2) tile8(wn, stride, blocks, pairs, g, 2, offsets, t, &ahead);
                else tile8(wn, stride, blocks, pairs, g, 1, offsets, t, &ahead);
                n += LS_GEMM_WEIGHT_ROWS;
            } else {
                if (na == 2) gemm_tile(wn, stride, 1, blocks, pairs, g, 2, 2, t, &ahead);
                else gemm_tile(wn, stride, 1, blocks, pairs, g, 1, 2, t, &ahead);
                n += 1;
            }
        }
        for (int a = 0; a < na; a++) {
            int first = 16 * (v + a);
            store_sums(&sums, nw, a, m - first < 16 ? m - first : 16, out + (size_t)(16 * v) * (size_t)ldo, ldo, accumulate);
        }
    }
}
#pragma clang attribute pop
