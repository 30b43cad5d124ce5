// Q5_0 and Q5_1: 32-value blocks of 5-bit values, the fifth bits gathered in a 32-bit word.
// K-quant mixes fall back to them when a row is not a multiple of 256 (SmolLM2's 576, Gemma 3's
// 640), so they carry most of a small model's weights.
//
// Widening is Q4_0's shuffle-free nibble split plus the fifth bits, which one byte shuffle and
// one multiply (a per-lane left shift) line up with the four activation groups.
#pragma STDC FP_CONTRACT OFF
#include "quantized.h"

/// A block's 32 five-bit values as bytes: nibbles (element j low in byte j, j+16 high) plus
/// the fifth bits of `qh` spread one per byte.
static inline __m256i decode_block(const uint8_t *qh4, const uint8_t *qs) {
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
static inline __m256i group8(__m256i q, int g) {
    __m128i half = g < 2 ? _mm256_castsi256_si128(q) : _mm256_extracti128_si256(q, 1);
    return _mm256_cvtepu8_epi32(g & 1 ? _mm_srli_si128(half, 8) : half);
}

// ggml: y = d * (q - 16) for Q5_0, y = d * q + m (no fused multiply-add) for Q5_1.
static void q5_0_dequantize(const uint8_t *p, float *dst, int n) {
    for (int b = 0; b < n / 32; b++, p += 22, dst += 32) {
        __m256 d = _mm256_set1_ps(_mm_cvtss_f32(ls_half2_to_float(p)));
        __m256i q = decode_block(p + 2, p + 6);
        for (int g = 0; g < 4; g++)
            _mm256_storeu_ps(dst + 8 * g, _mm256_mul_ps(d, _mm256_cvtepi32_ps(_mm256_sub_epi32(group8(q, g), _mm256_set1_epi32(16)))));
    }
}

static void q5_1_dequantize(const uint8_t *p, float *dst, int n) {
    for (int b = 0; b < n / 32; b++, p += 24, dst += 32) {
        __m128 dm = ls_half2_to_float(p);
        __m256 d = _mm256_broadcastss_ps(dm), m = _mm256_broadcastss_ps(_mm_movehdup_ps(dm));
        __m256i q = decode_block(p + 4, p + 8);
        for (int g = 0; g < 4; g++)
            _mm256_storeu_ps(dst + 8 * g, _mm256_add_ps(_mm256_mul_ps(d, _mm256_cvtepi32_ps(group8(q, g))), m));
    }
}

/// Nibbles of two blocks plus their fifth bits (`qa`, `qb`: each block's 32-bit word).
static inline __attribute__((always_inline)) void widen_q5(__m256i raw, uint32_t qa, uint32_t qb, weight_pair *w) {
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

static inline __attribute__((always_inline)) weight_pair widen_q5_0(const uint8_t *row, int p, int blocks) {
    const uint8_t *a, *b;
    ls_pair_blocks(row, p, blocks, 22, &a, &b);
    weight_pair w;
    __m128 d2;
    w.d = ls_pair_scales(a, b, &d2);
    w.dm = _mm_mul_ps(_mm_unpacklo_ps(d2, d2), _mm_set1_ps(-16));  // [-16dA, -16dA, -16dB, -16dB]
    widen_q5(ls_load_two(a + 6, b + 6), ls_load_u32(a + 2), ls_load_u32(b + 2), &w);
    return w;
}

static inline __attribute__((always_inline)) weight_pair widen_q5_1(const uint8_t *row, int p, int blocks) {
    const uint8_t *a, *b;
    ls_pair_blocks(row, p, blocks, 24, &a, &b);
    weight_pair w;
    __m128 head = _mm_cvtph_ps(_mm_insert_epi32(_mm_cvtsi32_si128((int)ls_load_u32(a)), (int)ls_load_u32(b), 1));
    w.d = _mm256_permutevar8x32_ps(_mm256_castps128_ps256(head), _mm256_setr_epi32(0, 0, 0, 0, 2, 2, 2, 2));
    w.dm = _mm_movehdup_ps(head);  // [mA, mA, mB, mB]
    widen_q5(ls_load_two(a + 8, b + 8), ls_load_u32(a + 4), ls_load_u32(b + 4), &w);
    return w;
}

LS_PAIR_KERNELS(q5_0, widen_q5_0)
LS_PAIR_KERNELS(q5_1, widen_q5_1)

const ls_quant_kernels ls_q5_0_kernels = {32, 22, q5_0_dequantize, q5_0_dot, q5_0_widen, 31, 1};
const ls_quant_kernels ls_q5_1_kernels = {32, 24, q5_1_dequantize, q5_1_dot, q5_1_widen, 31, 1};
