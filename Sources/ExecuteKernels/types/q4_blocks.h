// What Q4_0 and Q4_1 share: 32-value blocks of nibbles (element j low in byte j, j + 16 high)
// after a leading f16 scale (and Q4_1's f16 minimum).
//
// Weights are widened to 16 bits without shuffles: read as 16-bit lanes, a block's 16 bytes hold
// elements (2i, 2i+16, 2i+1, 2i+17) in lane i, which shifts and masks pull out. The activations
// are stored in that order instead (quantized.h), two blocks to a 256-bit vector, so a pair of
// blocks costs four pmaddwd per row and one float conversion. Against widening each block with
// vpmovzxbw (`bench/run kernels`, ms per layer): 1 row 0.104 -> 0.094, 4 rows 0.28 -> 0.20,
// 16 rows 0.95 -> 0.75; one decode stream ~190 -> ~220 tokens/s.
#pragma once

#include "../quantized.h"

/// The 32 nibbles at `qs` as int32, elements 0-7, 8-15, 16-23 and 24-31.
static inline void ls_nibbles_int32(const uint8_t *qs, __m256i q[4]) {
    const __m128i mask = _mm_set1_epi8(0x0F);
    __m128i raw = _mm_loadu_si128((const __m128i *)qs);
    __m128i lo = _mm_and_si128(raw, mask);
    __m128i hi = _mm_and_si128(_mm_srli_epi16(raw, 4), mask);
    q[0] = _mm256_cvtepu8_epi32(lo);
    q[1] = _mm256_cvtepu8_epi32(_mm_srli_si128(lo, 8));
    q[2] = _mm256_cvtepu8_epi32(hi);
    q[3] = _mm256_cvtepu8_epi32(_mm_srli_si128(hi, 8));
}

/// Two blocks' nibbles (`raw`: block A's 16 bytes low, B's high) in the four activation groups.
static inline __attribute__((always_inline)) void ls_widen_nibbles(__m256i raw, weight_pair *w) {
    const __m256i mask = _mm256_set1_epi16(0x000F);
    w->e[0] = _mm256_and_si256(raw, mask);
    w->e[1] = _mm256_and_si256(_mm256_srli_epi16(raw, 4), mask);
    w->e[2] = _mm256_and_si256(_mm256_srli_epi16(raw, 8), mask);
    w->e[3] = _mm256_srli_epi16(raw, 12);
}
