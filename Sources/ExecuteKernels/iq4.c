// IQ4_NL and IQ4_XS: 4-bit indexes into a fixed non-linear table of sixteen int8 levels (denser
// near zero, where weights are), y = d·level. IQ4_NL has 32-value blocks with one f16 d; IQ4_XS
// 256-value super-blocks with one f16 d and a 6-bit signed scale per 32 values (y = d·(ls - 32)·
// level). Both keep Q4_0's nibble order: a 32-block's 16 bytes hold element j low, j + 16 high.
//
// Widening looks the nibbles up with one byte shuffle per half (the table fits a register), then
// sign-extends the int8 levels the way Q8_0 does, so the pair kernels see ordinary int16
// weights: levels up to ±127 keep four pmaddwd sums against 16-bit activations in int32.
// `bench/run kernels --types IQ4_NL IQ4_XS Q4_0 --rows 1` (Zen 4, two threads, two runs): IQ4_NL
// 0.27-0.34 ms per layer, IQ4_XS 0.32, against Q4_0's 0.25-0.26 in the same runs.
#pragma STDC FP_CONTRACT OFF
#include "quantized.h"

static const int8_t iq4_levels[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

/// The level table in both 128-bit lanes, for vpshufb.
static inline __attribute__((always_inline)) __m256i level_table(void) {
    return _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)iq4_levels));
}

/// 32 values of one block (16 bytes of nibbles) as floats, each d·level rounded once.
static inline void store_levels(const uint8_t *qs, __m256 d, float *dst) {
    __m128i raw = _mm_loadu_si128((const __m128i *)qs);
    const __m128i mask = _mm_set1_epi8(0x0F), table = _mm_loadu_si128((const __m128i *)iq4_levels);
    __m128i lo = _mm_shuffle_epi8(table, _mm_and_si128(raw, mask));
    __m128i hi = _mm_shuffle_epi8(table, _mm_and_si128(_mm_srli_epi16(raw, 4), mask));
    _mm256_storeu_ps(dst + 0, _mm256_mul_ps(d, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(lo))));
    _mm256_storeu_ps(dst + 8, _mm256_mul_ps(d, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(lo, 8)))));
    _mm256_storeu_ps(dst + 16, _mm256_mul_ps(d, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(hi))));
    _mm256_storeu_ps(dst + 24, _mm256_mul_ps(d, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(hi, 8)))));
}

/// Sub-block `ib`'s 6-bit scale of an IQ4_XS super-block, minus 32.
static inline __attribute__((always_inline)) int xs_scale(const uint8_t *block, int ib) {
    int low = (block[4 + ib / 2] >> (4 * (ib & 1))) & 0x0F;
    int high = ((block[2] | block[3] << 8) >> (2 * ib)) & 3;
    return (low | high << 4) - 32;
}

static void iq4_nl_dequantize(const uint8_t *p, float *dst, int n) {
    for (int b = 0; b < n / 32; b++, p += 18) store_levels(p + 2, _mm256_set1_ps(_mm_cvtss_f32(ls_half2_to_float(p))), dst + 32 * b);
}

// gguf: dl = d·(ls - 32) rounded to float, then dl·level.
static void iq4_xs_dequantize(const uint8_t *p, float *dst, int n) {
    for (int b = 0; b < n / 256; b++, p += 136, dst += 256) {
        float d = _mm_cvtss_f32(ls_half2_to_float(p));
        for (int ib = 0; ib < 8; ib++) store_levels(p + 8 + 16 * ib, _mm256_set1_ps(d * (float)xs_scale(p, ib)), dst + 32 * ib);
    }
}

/// Two blocks' nibbles (`raw`: block A's 16 bytes low, B's high) as levels in the four
/// activation groups.
static inline __attribute__((always_inline)) void widen_levels(__m256i raw, weight_pair *w) {
    const __m256i mask = _mm256_set1_epi8(0x0F), table = level_table();
    // Low nibbles are elements 0-15, high nibbles 16-31: looked up, they are Q8_0's signed bytes.
    ls_widen_signed_bytes(_mm256_shuffle_epi8(table, _mm256_and_si256(raw, mask)),
                          _mm256_shuffle_epi8(table, _mm256_and_si256(_mm256_srli_epi16(raw, 4), mask)), w);
}

static inline __attribute__((always_inline)) weight_pair widen_iq4_nl(const uint8_t *row, int p, int blocks) {
    const uint8_t *a, *b;
    ls_pair_blocks(row, p, blocks, 18, &a, &b);
    weight_pair w;
    w.d = ls_pair_scales(a, b, NULL);
    w.dm = _mm_setzero_ps();
    widen_levels(ls_load_two(a + 2, b + 2), &w);
    return w;
}

static inline __attribute__((always_inline)) weight_pair widen_iq4_xs(const uint8_t *row, int p, int blocks) {
    (void)blocks;
    const uint8_t *block = row + (size_t)(p >> 2) * 136;
    int k = p & 3;
    float d = _mm_cvtss_f32(ls_half2_to_float(block));
    weight_pair w;
    w.d = ls_spread2(d * (float)xs_scale(block, 2 * k), d * (float)xs_scale(block, 2 * k + 1));
    w.dm = _mm_setzero_ps();
    const uint8_t *qs = block + 8 + 32 * k;
    widen_levels(ls_load_two(qs, qs + 16), &w);
    return w;
}

LS_PAIR_KERNELS(iq4_nl, widen_iq4_nl)
LS_PAIR_KERNELS(iq4_xs, widen_iq4_xs)

const ls_quant_kernels ls_iq4_nl_kernels = {32, 18, iq4_nl_dequantize, iq4_nl_dot, iq4_nl_widen, 127, 0};
const ls_quant_kernels ls_iq4_xs_kernels = {256, 136, iq4_xs_dequantize, iq4_xs_dot, iq4_xs_widen, 127, 0};
