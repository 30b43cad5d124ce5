// Weight decoding to float32: the float types here, block-quantized types in their own files.
#include <string.h>

#include "quantized.h"

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
    default: {
        const ls_quant_kernels *kernels = ls_quant_kernels_for(type);
        if (kernels && kernels->dequantize) kernels->dequantize(p, dst, n);
        return;
    }
    }
}
