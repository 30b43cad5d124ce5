// Many activation rows against block-quantized weights, in 16-bit integers: the AVX-512 VNNI
// build's replacement for dequantize-to-float-and-sgemm (prefill, wide decode batches).
//
// `vpdpwssd` does 32 16-bit multiply-adds per 512-bit instruction, twice float32 FMA's 16
// (measured on Zen 4: 114 G multiply-adds/s per core against 57 G FMAs/s). The weights are
// widened to int16 exactly as the decode kernels widen them and transposed into panels of 32
// weight rows, so that a vector's 16 lanes are 16 weight rows: one instruction multiplies two
// weights of each of 16 rows by the same two activations (broadcast), and one 32-block's
// integer sums are scaled once per vector of 16 outputs, not once per product. The activations
// are the same 16-bit per-32-block integers the decode kernels use (quantized.h).
//
// Integer sums: a lane adds 32 products of a block, so |weight| · |activation| · 32 must fit in
// int32: ls_gemm_activation_max gives the activation range each weight type allows.
#include "avx512.h"

#include "../quantized.h"

/// One 32-block of a panel: per pair of values t (16) the 32 rows' int16 pairs, then the rows'
/// block scales and the offsets of the block's two halves (see weight_pair.dm).
typedef struct {
    uint32_t e[16][LS_GEMM_PANEL];
    float d[LS_GEMM_PANEL];
    float m0[LS_GEMM_PANEL];
    float m1[LS_GEMM_PANEL];
} panel_block;

/// Activation rows handed to one kernel call: 12 int32 sums and 12 float sums in registers.
#define LS_GEMM_COLUMNS 6

/// Bytes of one widened weight row (ls_quant_kernels.widen: 176 per pair of blocks), rounded to
/// a cache line.
static size_t widened_bytes(int cols) { return ((size_t)(cols / 32 + 1) / 2 * 176 + LS_ALIGN - 1) / LS_ALIGN * LS_ALIGN; }

size_t ls_gemm_panel_bytes(int cols) { return (size_t)(cols / 32) * sizeof(panel_block); }

size_t ls_gemm_pack_scratch_bytes(int cols) { return LS_GEMM_PANEL * widened_bytes(cols); }

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

void ls_gemm_pack(const ls_quant_kernels *kernels, const uint8_t *w, size_t row_bytes, int rows, int cols,
                  void *panel_storage, uint8_t *scratch) {
    panel_block *panel = panel_storage;
    int blocks = cols / 32, pairs = (blocks + 1) / 2;
    size_t stride = widened_bytes(cols);
    for (int n = 0; n < LS_GEMM_PANEL; n++) {
        if (n < rows)
            kernels->widen(w + (size_t)n * row_bytes, cols, scratch + n * stride);
        else
            memset(scratch + n * stride, 0, stride);
    }
    // Half h's 16 pairs of a widened pair of blocks, in order t (see unit_of).
    const __m512i half[2] = {_mm512_setr_epi32(0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27),
                             _mm512_setr_epi32(4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31)};
    for (int g = 0; g < LS_GEMM_PANEL; g += 16) {
        for (int b = 0; b < blocks; b++) {
            int p = b >> 1, h = b & 1;
            panel_block *pb = panel + b;
            __m512i v[16];
            for (int i = 0; i < 16; i++) {
                const uint8_t *row = scratch + (g + i) * stride;
                const uint32_t *e = (const uint32_t *)row + 32 * p;
                v[i] = _mm512_permutex2var_epi32(_mm512_loadu_si512(e), half[h], _mm512_loadu_si512(e + 16));
                const float *d = (const float *)(row + (size_t)pairs * 128);
                const float *dm = d + (size_t)pairs * 8;
                pb->d[g + i] = d[8 * p + 4 * h];
                pb->m0[g + i] = dm[4 * p + 2 * h];
                pb->m1[g + i] = dm[4 * p + 2 * h + 1];
            }
            transpose16(v);
            for (int t = 0; t < 16; t++) _mm512_store_si512(pb->e[t] + g, v[t]);
        }
    }
}

/// acc + the pairwise products of w and x, always as one `vpdpwssd`: under its generic tuning
/// clang splits the intrinsic into `vpmaddwd` + `vpaddd`, and in this loop it did so for nearly
/// every one (perf: 43% of the kernel's samples on the two halves, 1% on `vpdpwssd`).
static inline __attribute__((always_inline)) __m512i dpwssd(__m512i acc, __m512i w, __m512i x) {
    __asm__("vpdpwssd %2, %1, %0" : "+v"(acc) : "v"(w), "v"(x));
    return acc;
}

/// A panel against activation rows rows[0..R): 32 outputs per row.
static inline __attribute__((always_inline)) void gemm_columns(const panel_block *panel, int blocks, const qrow *rows,
                                                               int R, float *out, int ldo, int accumulate,
                                                               __mmask16 mask0, __mmask16 mask1) {
    __m512 f0[LS_GEMM_COLUMNS], f1[LS_GEMM_COLUMNS];
    for (int r = 0; r < R; r++) f0[r] = f1[r] = _mm512_setzero_ps();
    for (int b = 0; b < blocks; b++) {
        const panel_block *pb = panel + b;
        int p = b >> 1, h = b & 1;
        const int32_t *q[LS_GEMM_COLUMNS];
        __m512i a0[LS_GEMM_COLUMNS], a1[LS_GEMM_COLUMNS];
        for (int r = 0; r < R; r++) {
            q[r] = (const int32_t *)rows[r].q + 32 * p + 4 * h;
            a0[r] = a1[r] = _mm512_setzero_si512();
        }
#pragma clang loop unroll(full)
        for (int t = 0; t < 16; t++) {
            __m512i w0 = _mm512_load_si512(pb->e[t]), w1 = _mm512_load_si512(pb->e[t] + 16);
            int unit = unit_of(t, 0);
            for (int r = 0; r < R; r++) {
                __m512i x = _mm512_set1_epi32(q[r][unit]);
                a0[r] = dpwssd(a0[r], w0, x);
                a1[r] = dpwssd(a1[r], w1, x);
            }
        }
        __m512 d0 = _mm512_load_ps(pb->d), d1 = _mm512_load_ps(pb->d + 16);
        for (int r = 0; r < R; r++) {
            __m512 s = _mm512_set1_ps(rows[r].scale[8 * p + 4 * h]);
            __m512 x0 = _mm512_set1_ps(rows[r].sum[4 * p + 2 * h]), x1 = _mm512_set1_ps(rows[r].sum[4 * p + 2 * h + 1]);
            f0[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(a0[r]), _mm512_mul_ps(d0, s), f0[r]);
            f1[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(a1[r]), _mm512_mul_ps(d1, s), f1[r]);
            f0[r] = _mm512_fmadd_ps(_mm512_load_ps(pb->m0), x0, _mm512_fmadd_ps(_mm512_load_ps(pb->m1), x1, f0[r]));
            f1[r] = _mm512_fmadd_ps(_mm512_load_ps(pb->m0 + 16), x0,
                                    _mm512_fmadd_ps(_mm512_load_ps(pb->m1 + 16), x1, f1[r]));
        }
    }
    for (int r = 0; r < R; r++) {
        float *o = out + (size_t)r * (size_t)ldo;
        if (accumulate) {
            f0[r] = _mm512_add_ps(f0[r], _mm512_maskz_loadu_ps(mask0, o));
            f1[r] = _mm512_add_ps(f1[r], _mm512_maskz_loadu_ps(mask1, o + 16));
        }
        _mm512_mask_storeu_ps(o, mask0, f0[r]);
        _mm512_mask_storeu_ps(o + 16, mask1, f1[r]);
    }
}

void ls_gemm_panel(const void *panel, int cols, int width, const qrow *rows, int m, float *out, int ldo,
                   int accumulate) {
    int blocks = cols / 32;
    __mmask16 mask0 = width >= 16 ? 0xFFFF : (__mmask16)((1u << width) - 1);
    __mmask16 mask1 = width >= 32 ? 0xFFFF : width <= 16 ? 0 : (__mmask16)((1u << (width - 16)) - 1);
    int r = 0;
    for (; r + LS_GEMM_COLUMNS <= m; r += LS_GEMM_COLUMNS)
        gemm_columns(panel, blocks, rows + r, LS_GEMM_COLUMNS, out + (size_t)r * ldo, ldo, accumulate, mask0, mask1);
    float *o = out + (size_t)r * ldo;
    switch (m - r) {
    case 1: gemm_columns(panel, blocks, rows + r, 1, o, ldo, accumulate, mask0, mask1); break;
    case 2: gemm_columns(panel, blocks, rows + r, 2, o, ldo, accumulate, mask0, mask1); break;
    case 3: gemm_columns(panel, blocks, rows + r, 3, o, ldo, accumulate, mask0, mask1); break;
    case 4: gemm_columns(panel, blocks, rows + r, 4, o, ldo, accumulate, mask0, mask1); break;
    case 5: gemm_columns(panel, blocks, rows + r, 5, o, ldo, accumulate, mask0, mask1); break;
    default: break;
    }
}
#pragma clang attribute pop
