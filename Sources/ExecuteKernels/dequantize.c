// Weight decoding to float32, eight values per step.
#include <string.h>

#include "internal.h"

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

void ls_dequantize(int type, const void *src, float *dst, int n) {
    const uint8_t *p = src;
    switch (type) {
    case LS_TYPE_F32:
        memcpy(dst, src, (size_t)n * sizeof(float));
        return;
    case LS_TYPE_F16: {
        int i = 0;
        for (; i + 8 <= n; i += 8)
            _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(p + 2 * i))));
        for (; i < n; i++) dst[i] = ls_half_to_float(((const uint16_t *)src)[i]);
        return;
    }
    case LS_TYPE_BF16: {
        int i = 0;
        for (; i + 8 <= n; i += 8) {
            __m256i wide = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(p + 2 * i)));
            _mm256_storeu_ps(dst + i, _mm256_castsi256_ps(_mm256_slli_epi32(wide, 16)));
        }
        for (; i < n; i++) {
            uint32_t bits = (uint32_t)((const uint16_t *)src)[i] << 16;
            memcpy(dst + i, &bits, 4);
        }
        return;
    }
    case LS_TYPE_Q4_0:
        for (int b = 0; b < n / 32; b++, p += 18) {
            float d = _mm_cvtss_f32(ls_half2_to_float(p));
            store_nibbles(p + 2, _mm256_set1_ps(d), _mm256_set1_ps(-8 * d), dst + 32 * b);
        }
        return;
    case LS_TYPE_Q4_1:
        for (int b = 0; b < n / 32; b++, p += 20) {
            __m128 dm = ls_half2_to_float(p);
            store_nibbles(p + 4, _mm256_broadcastss_ps(dm), _mm256_broadcastss_ps(_mm_movehdup_ps(dm)), dst + 32 * b);
        }
        return;
    case LS_TYPE_Q8_0:
        for (int b = 0; b < n / 32; b++, p += 34) {
            __m256 d = _mm256_broadcastss_ps(ls_half2_to_float(p));
            for (int j = 0; j < 32; j += 8) {
                __m256i q = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(p + 2 + j)));
                _mm256_storeu_ps(dst + 32 * b + j, _mm256_mul_ps(_mm256_cvtepi32_ps(q), d));
            }
        }
        return;
    }
}
