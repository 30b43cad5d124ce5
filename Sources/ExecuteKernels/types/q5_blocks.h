// What Q5_0 and Q5_1 share: 32-value blocks of 5-bit values, the fifth bits gathered in a 32-bit
// word before Q4_0's nibbles. K-quant mixes fall back to them when a row is not a multiple of 256
// (SmolLM2's 576, Gemma 3's 640), so they carry most of a small model's weights.
//
// Widening is Q4_0's shuffle-free nibble split plus the fifth bits, which one byte shuffle and
// one multiply (a per-lane left shift) line up with the four activation groups.
#pragma once

#include "../quantized.h"

/// A block's 32 five-bit values as bytes: nibbles (element j low in byte j, j+16 high) plus
/// the fifth bits of `qh` spread one per byte.
static inline __m256i ls_q5_decode_block(const uint8_t *qh4, const uint8_t *qs) {
    __m128i raw = _mm_loadu_si128((const __m128i *)qs);
    const __m128i mask = _mm_set1_epi8(0x0F);
    __m256i q = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(raw, 4), mask), _mm_and_si128(raw, mask));
    const __m256i spread = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,
                                            2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
    const __m256i bits = _mm256_set1_epi64x(0x8040201008040201LL);
    __m256i h = _mm256_shuffle_epi8(_mm256_set1_epi32((int)ls_load_u32(qh4)), spread);
    h = _mm256_cmpeq_epi8(_mm256_and_si256(h, bits), bits);
    return _mm256_or_si256(q, _mm256_and_si256(h, _mm256_set1_epi8(0x10)));
}

/// Eight of the 32 bytes of `q` (group `g`) as int32.
static inline __m256i ls_q5_group8(__m256i q, int g) {
    __m128i half = g < 2 ? _mm256_castsi256_si128(q) : _mm256_extracti128_si256(q, 1);
    return _mm256_cvtepu8_epi32(g & 1 ? _mm_srli_si128(half, 8) : half);
}

/// Nibbles of two blocks plus their fifth bits (`qa`, `qb`: each block's 32-bit word).
static inline __attribute__((always_inline)) void ls_widen_q5(__m256i raw, uint32_t qa, uint32_t qb, weight_pair *w) {
    const __m256i mask = _mm256_set1_epi16(0x000F), bit = _mm256_set1_epi16(0x0010);
    // Lane i of a block needs bits 2i, 2i+1 (groups 0, 2) and 2i+16, 2i+17 (groups 1, 3): put
    // byte i/4 low and byte 2+i/4 high, then shift left by 6 - 2(i%4) so they sit at bits 6, 7,
    // 14 and 15 in every lane.
    const __m256i gather = _mm256_setr_epi8(0, 2, 0, 2, 0, 2, 0, 2, 1, 3, 1, 3, 1, 3, 1, 3,
                                            0, 2, 0, 2, 0, 2, 0, 2, 1, 3, 1, 3, 1, 3, 1, 3);
    const __m256i align = _mm256_setr_epi16(64, 16, 4, 1, 64, 16, 4, 1, 64, 16, 4, 1, 64, 16, 4, 1);
    __m256i words = _mm256_set_m128i(_mm_set1_epi32((int)qb), _mm_set1_epi32((int)qa));
    __m256i t = _mm256_mullo_epi16(_mm256_shuffle_epi8(words, gather), align);
    w->e[0] = _mm256_or_si256(_mm256_and_si256(raw, mask), _mm256_and_si256(_mm256_srli_epi16(t, 2), bit));
    w->e[1] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(raw, 4), mask),
                              _mm256_and_si256(_mm256_srli_epi16(t, 10), bit));
    w->e[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(raw, 8), mask),
                              _mm256_and_si256(_mm256_srli_epi16(t, 3), bit));
    w->e[3] = _mm256_or_si256(_mm256_srli_epi16(raw, 12), _mm256_and_si256(_mm256_srli_epi16(t, 11), bit));
}
