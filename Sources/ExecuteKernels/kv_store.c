// Writing keys and values into the half-precision KV pool (one kernel set: a conversion and a
// store per 8 values, too little to gain from AVX-512).
#include "internal.h"

void ls_store_kv(const float *k, const float *v, int ld, int rows, const int32_t *slots, uint16_t *k_cache,
                 uint16_t *v_cache, int kv_dim) {
    for (int r = 0; r < rows; r++) {
        uint16_t *kd = k_cache + (size_t)slots[r] * kv_dim, *vd = v_cache + (size_t)slots[r] * kv_dim;
        for (int d = 0; d < kv_dim; d += 8) {
            _mm_storeu_si128((__m128i *)(kd + d), _mm256_cvtps_ph(_mm256_loadu_ps(k + (size_t)r * ld + d), _MM_FROUND_TO_NEAREST_INT));
            _mm_storeu_si128((__m128i *)(vd + d), _mm256_cvtps_ph(_mm256_loadu_ps(v + (size_t)r * ld + d), _MM_FROUND_TO_NEAREST_INT));
        }
    }
}
