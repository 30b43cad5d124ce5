// What IQ4_NL and IQ4_XS share: 4-bit indexes into a fixed non-linear table of sixteen int8
// levels (denser near zero, where weights are), y = scale·level, in Q4_0's nibble order: a
// 32-block's 16 bytes hold element j low, j + 16 high.
//
// Widening looks the nibbles up with one byte shuffle per half (the table fits a register), then
// sign-extends the int8 levels the way Q8_0 does, so the pair kernels see ordinary int16
// weights: levels up to ±127 keep four pmaddwd sums against 16-bit activations in int32.
// `bench/run kernels --types IQ4_NL IQ4_XS Q4_0 --rows 1` (Zen 4, two threads, two runs): IQ4_NL
// 0.27-0.34 ms per layer, IQ4_XS 0.32, against Q4_0's 0.25-0.26 in the same runs.
#pragma once

#include "../packed.h"

static const int8_t ls_iq4_levels[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

/// The level table in both 128-bit lanes, for vpshufb.
static inline __attribute__((always_inline)) __m256i ls_iq4_level_table(void) {
    return _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)ls_iq4_levels));
}

/// 32 values of one block (16 bytes of nibbles) as floats, each d·level rounded once.
static inline void ls_iq4_store_levels(const uint8_t *qs, __m256 d, float *dst) {
    __m128i raw = _mm_loadu_si128((const __m128i *)qs);
    const __m128i mask = _mm_set1_epi8(0x0F), table = _mm_loadu_si128((const __m128i *)ls_iq4_levels);
    __m128i lo = _mm_shuffle_epi8(table, _mm_and_si128(raw, mask));
    __m128i hi = _mm_shuffle_epi8(table, _mm_and_si128(_mm_srli_epi16(raw, 4), mask));
    _mm256_storeu_ps(dst + 0, _mm256_mul_ps(d, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(lo))));
    _mm256_storeu_ps(dst + 8, _mm256_mul_ps(d, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(lo, 8)))));
    _mm256_storeu_ps(dst + 16, _mm256_mul_ps(d, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(hi))));
    _mm256_storeu_ps(dst + 24, _mm256_mul_ps(d, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(hi, 8)))));
}

/// Two blocks' nibbles (`raw`: block A's 16 bytes low, B's high) as levels in the four
/// activation groups.
static inline __attribute__((always_inline)) void ls_iq4_widen_levels(__m256i raw, weight_pair *w) {
    const __m256i mask = _mm256_set1_epi8(0x0F), table = ls_iq4_level_table();
    // Low nibbles are elements 0-15, high nibbles 16-31: looked up, they are Q8_0's signed bytes.
    ls_widen_signed_bytes(_mm256_shuffle_epi8(table, _mm256_and_si256(raw, mask)),
                          _mm256_shuffle_epi8(table, _mm256_and_si256(_mm256_srli_epi16(raw, 4), mask)), w);
}

/// Level indexes widened as int16 pairs (packed.h's units) looked up into their int16 levels: one
/// 16-bit permute per vector in the AVX-512 build; in the AVX2 one a byte shuffle (a set top bit
/// makes it write 0, so each lane's high byte is 0) and a sign extension.
static inline __attribute__((always_inline)) void ls_iq4_lookup(vint e[4]) {
#ifdef LS_VNNI
    const vint table = _mm512_cvtepi8_epi16(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)ls_iq4_levels)));
    for (int j = 0; j < 4; j++) e[j] = _mm512_permutexvar_epi16(e[j], table);
#else
    const vint table = ls_iq4_level_table(), high = vint_set1((int32_t)0x80008000u);
    for (int j = 0; j < 4; j++) e[j] = vint_srai16(vint_slli16(_mm256_shuffle_epi8(table, vint_or(e[j], high)), 8), 8);
#endif
}

/// The packed IQ4 types' `unit` (packed.h): the indexes widened as Q4_1_x16's nibbles, then
/// looked up.
static inline __attribute__((always_inline)) void ls_iq4_nibble_unit(const uint8_t *words, int c, vint e[4]) {
    ls_nibble_unit(words, c, e);
    ls_iq4_lookup(e);
}
