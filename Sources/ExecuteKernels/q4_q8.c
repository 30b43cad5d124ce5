// Q4_0, Q4_1 and Q8_0: 32-value blocks with one f16 scale (and Q4_1's f16 minimum).
//
// Weights are widened to 16 bits without shuffles: read as 16-bit lanes, a block's 16 bytes hold
// elements (2i, 2i+1) of Q8_0 or (2i, 2i+16, 2i+1, 2i+17) of Q4 in lane i, which shifts and
// masks pull out. The activations are stored in that order instead (quantized.h), two blocks to
// a 256-bit vector, so a pair of blocks costs four pmaddwd per row and one float conversion.
// Against widening each block with vpmovzxbw (`bench/run kernels`, ms per layer): 1 row 0.104 ->
// 0.094, 4 rows 0.28 -> 0.20, 16 rows 0.95 -> 0.75; one decode stream ~190 -> ~220 tokens/s.
#include "quantized.h"

static inline void store_nibbles(const uint8_t *qs, __m256 d, __m256 m, float *dst) {
    const __m128i mask = _mm_set1_epi8(0x0F);
    __m128i raw = _mm_loadu_si128((const __m128i *)qs);
    __m128i lo = _mm_and_si128(raw, mask);
    __m128i hi = _mm_and_si128(_mm_srli_epi16(raw, 4), mask);
    _mm256_storeu_ps(dst + 0, _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(lo)), d, m));
    _mm256_storeu_ps(dst + 8, _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(lo, 8))), d, m));
    _mm256_storeu_ps(dst + 16, _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(hi)), d, m));
    _mm256_storeu_ps(dst + 24, _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(hi, 8))), d, m));
}

static void q4_0_dequantize(const uint8_t *p, float *dst, int n) {
    for (int b = 0; b < n / 32; b++, p += 18) {
        float d = _mm_cvtss_f32(ls_half2_to_float(p));
        store_nibbles(p + 2, _mm256_set1_ps(d), _mm256_set1_ps(-8 * d), dst + 32 * b);
    }
}

static void q4_1_dequantize(const uint8_t *p, float *dst, int n) {
    for (int b = 0; b < n / 32; b++, p += 20) {
        __m128 dm = ls_half2_to_float(p);
        store_nibbles(p + 4, _mm256_broadcastss_ps(dm), _mm256_broadcastss_ps(_mm_movehdup_ps(dm)), dst + 32 * b);
    }
}

static void q8_0_dequantize(const uint8_t *p, float *dst, int n) {
    for (int b = 0; b < n / 32; b++, p += 34) {
        __m256 d = _mm256_broadcastss_ps(ls_half2_to_float(p));
        for (int j = 0; j < 32; j += 8) {
            __m256i q = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(p + 2 + j)));
            _mm256_storeu_ps(dst + 32 * b + j, _mm256_mul_ps(_mm256_cvtepi32_ps(q), d));
        }
    }
}

static inline __attribute__((always_inline)) void widen_nibbles(__m256i raw, weight_pair *w) {
    const __m256i mask = _mm256_set1_epi16(0x000F);
    w->e[0] = _mm256_and_si256(raw, mask);
    w->e[1] = _mm256_and_si256(_mm256_srli_epi16(raw, 4), mask);
    w->e[2] = _mm256_and_si256(_mm256_srli_epi16(raw, 8), mask);
    w->e[3] = _mm256_srli_epi16(raw, 12);
}

static inline __attribute__((always_inline)) weight_pair widen_q8_0(const uint8_t *row, int p, int blocks) {
    const uint8_t *a, *b;
    ls_pair_blocks(row, p, blocks, 34, &a, &b);
    weight_pair w;
    w.d = ls_pair_scales(a, b, NULL);
    w.dm = _mm_setzero_ps();
    ls_widen_signed_bytes(ls_load_two(a + 2, b + 2), ls_load_two(a + 18, b + 18), &w);
    return w;
}

/// The two blocks' leading f16 pairs: [dA, mA, dB, mB] for Q4_1 ([dA, ?, dB, ?] for Q4_0).
static inline __attribute__((always_inline)) __m128 heads(const uint8_t *a, const uint8_t *b) {
    return _mm_cvtph_ps(_mm_insert_epi32(_mm_cvtsi32_si128((int)ls_load_u32(a)), (int)ls_load_u32(b), 1));
}

static inline __attribute__((always_inline)) __m256 spread_d(__m128 head) {
    return _mm256_permutevar8x32_ps(_mm256_castps128_ps256(head), _mm256_setr_epi32(0, 0, 0, 0, 2, 2, 2, 2));
}

static inline __attribute__((always_inline)) weight_pair widen_q4_0(const uint8_t *row, int p, int blocks) {
    const uint8_t *a, *b;
    ls_pair_blocks(row, p, blocks, 18, &a, &b);
    weight_pair w;
    __m128 head = heads(a, b);
    w.d = spread_d(head);
    w.dm = _mm_mul_ps(_mm_moveldup_ps(head), _mm_set1_ps(-8));  // [-8dA, -8dA, -8dB, -8dB]
    widen_nibbles(ls_load_two(a + 2, b + 2), &w);
    return w;
}

static inline __attribute__((always_inline)) weight_pair widen_q4_1(const uint8_t *row, int p, int blocks) {
    const uint8_t *a, *b;
    ls_pair_blocks(row, p, blocks, 20, &a, &b);
    weight_pair w;
    __m128 head = heads(a, b);
    w.d = spread_d(head);
    w.dm = _mm_movehdup_ps(head);  // [mA, mA, mB, mB]
    widen_nibbles(ls_load_two(a + 4, b + 4), &w);
    return w;
}

LS_PAIR_KERNELS(q8_0, widen_q8_0)
LS_PAIR_KERNELS(q4_0, widen_q4_0)
LS_PAIR_KERNELS(q4_1, widen_q4_1)

const ls_quant_kernels ls_q4_0_kernels = {32, 18, q4_0_dequantize, q4_0_dot, q4_0_widen, 15, 1};
const ls_quant_kernels ls_q4_1_kernels = {32, 20, q4_1_dequantize, q4_1_dot, q4_1_widen, 15, 1};
const ls_quant_kernels ls_q8_0_kernels = {32, 34, q8_0_dequantize, q8_0_dot, q8_0_widen, 128, 0};
