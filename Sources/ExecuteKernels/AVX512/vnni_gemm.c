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

size_t ls_gemm_panel_bytes(int cols) { return (size_t)(cols / 32) * sizeof(panel_block); }

float ls_gemm_activation_max(int widened_max) {
    double limit = 2147483647.0 / (32.0 * (widened_max > 0 ? widened_max : 1));
    return limit < 32767 ? (float)(int)limit : 32767.0f;
}

/// Position of pair `t` (0..15) of half `h` of a widened pair among its 32 int32 units: the four
/// 256-bit groups hold block A's pairs in their low 128 bits, block B's in the high ones.
static inline __attribute__((always_inline)) int unit_of(int t, int h) { return (t >> 2) * 8 + h * 4 + (t & 3); }

void ls_gemm_pack(const ls_quant_kernels *kernels, const uint8_t *w, size_t row_bytes, int rows, int cols,
                  void *panel_storage, uint8_t *scratch) {
    panel_block *panel = panel_storage;
    int blocks = cols / 32, pairs = (blocks + 1) / 2;
    const __m512i low = _mm512_setr_epi32(0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27);
    const __m512i high = _mm512_add_epi32(low, _mm512_set1_epi32(4));
    for (int n = 0; n < LS_GEMM_PANEL; n++) {
        if (n < rows) {
            kernels->widen(w + (size_t)n * row_bytes, cols, scratch);
        } else {
            memset(scratch, 0, (size_t)pairs * 176);
        }
        const uint32_t *e = (const uint32_t *)scratch;
        const float *d = (const float *)(scratch + (size_t)pairs * 128);
        const float *dm = d + (size_t)pairs * 8;
        for (int p = 0; p < pairs; p++) {
            __m512i u0 = _mm512_loadu_si512(e + 32 * p), u1 = _mm512_loadu_si512(e + 32 * p + 16);
            for (int h = 0; h < 2 && 2 * p + h < blocks; h++) {
                panel_block *pb = panel + 2 * p + h;
                uint32_t units[16];
                _mm512_storeu_si512(units, _mm512_permutex2var_epi32(u0, h ? high : low, u1));
                for (int t = 0; t < 16; t++) pb->e[t][n] = units[t];
                pb->d[n] = d[8 * p + 4 * h];
                pb->m0[n] = dm[4 * p + 2 * h];
                pb->m1[n] = dm[4 * p + 2 * h + 1];
            }
        }
    }
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
        for (int t = 0; t < 16; t++) {
            __m512i w0 = _mm512_load_si512(pb->e[t]), w1 = _mm512_load_si512(pb->e[t] + 16);
            int unit = unit_of(t, 0);
            for (int r = 0; r < R; r++) {
                __m512i x = _mm512_set1_epi32(q[r][unit]);
                a0[r] = _mm512_dpwssd_epi32(a0[r], w0, x);
                a1[r] = _mm512_dpwssd_epi32(a1[r], w1, x);
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
