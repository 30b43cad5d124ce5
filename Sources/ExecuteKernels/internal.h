// Shared internals of the kernel target.
#pragma once

// Kernel sets. Each kernel file is compiled twice: as itself for the AVX2 + FMA + F16C baseline,
// and again by AVX512/*.c under an AVX-512 target (same source, so the same arithmetic, with
// EVEX encodings, 32 vector registers and VNNI's fused multiply-add). Their entry points carry the
// set's suffix (`ls_matmul_avx2`, `ls_matmul_avx512`); kernels.c defines the public names and
// dispatches on the runtime's kernel set (LS_KERNEL_DISPATCH skips the renaming there).
#ifndef LS_VARIANT
#define LS_VARIANT avx2
#endif
#define LS_PASTE_(name, variant) name##_##variant
#define LS_PASTE(name, variant) LS_PASTE_(name, variant)
#define LS_VARIANT_NAME(name) LS_PASTE(name, LS_VARIANT)
#ifndef LS_KERNEL_DISPATCH
#define ls_matmul LS_VARIANT_NAME(ls_matmul)
#define ls_attention LS_VARIANT_NAME(ls_attention)
#define ls_dequantize LS_VARIANT_NAME(ls_dequantize)
#define ls_quant_kernels_for LS_VARIANT_NAME(ls_quant_kernels_for)
#define ls_dot_widened LS_VARIANT_NAME(ls_dot_widened)
#define ls_packed_layout LS_VARIANT_NAME(ls_packed_layout)
#define ls_gemm_group_bytes LS_VARIANT_NAME(ls_gemm_group_bytes)
#define ls_gemm_transpose LS_VARIANT_NAME(ls_gemm_transpose)
#define ls_gemm_activation_max LS_VARIANT_NAME(ls_gemm_activation_max)
#define ls_gemm_rows LS_VARIANT_NAME(ls_gemm_rows)
#endif

#include <immintrin.h>
#include <math.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "ExecuteKernels.h"

/// The float types (dequantize.c); the block-quantized ones are in types/types.h.
enum { LS_TYPE_F32 = 0, LS_TYPE_F16 = 1, LS_TYPE_BF16 = 30 };

#define LS_MAX_THREADS 64
#define LS_ALIGN 64

typedef void (*ls_task)(void *ctx, int worker, int workers);

/// Runs `task` on every worker (the caller is worker 0) and returns when all are done.
void ls_parallel(ls_runtime *rt, ls_task task, void *ctx);

/// A step applied row by row (a norm, a gated activation): `run` does rows [r0, r1) of `rows`,
/// reading `a` (and `b`, `weight`) and writing `out`, each row `ld*` floats after the previous.
typedef struct ls_rows_job ls_rows_job;
struct ls_rows_job {
    void (*run)(const ls_rows_job *job, int r0, int r1);
    const float *a, *b, *weight;
    int lda, ldb, ldo;
    float *out;
    int rows, n;
    float eps;
};

/// Runs `job` on the calling thread below a few dozen rows (where splitting costs more than it
/// saves: decode steps), else on every worker, each a contiguous share of the rows.
void ls_parallel_rows(ls_runtime *rt, const ls_rows_job *job);

/// Worker `worker`'s scratch of at least `bytes`, 64-byte aligned; grows only from the owner
/// thread between parallel sections (see ls_reserve_scratch).
float *ls_scratch(ls_runtime *rt, int worker);
/// 0, or -1 (and the runtime's failure flag set) if the memory cannot be had: the caller must
/// then skip its work.
int ls_reserve_scratch(ls_runtime *rt, size_t bytes);

/// Shared buffer of at least `bytes`, grown by the owner thread; NULL (and the failure flag
/// set) if the memory cannot be had.
void *ls_shared(ls_runtime *rt, size_t bytes);

/// Tunables of ls_matmul, shared by every kernel set (kernels.c).
extern int ls_tuned_quantized_max_rows;
extern int ls_tuned_tile_floats;

static inline float ls_hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/// 1 / sqrt(mean(x²) + eps) over `dim` floats: the scale of an RMS norm.
static inline float ls_rms_scale(const float *x, int dim, float eps) {
    __m256 acc = _mm256_setzero_ps();
    int i = 0;
    for (; i + 8 <= dim; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        acc = _mm256_fmadd_ps(v, v, acc);
    }
    float ss = ls_hsum(acc);
    for (; i < dim; i++) ss += x[i] * x[i];
    return 1.0f / sqrtf(ss / (float)dim + eps);
}

#include <string.h>

/// Two consecutive f16 values (a block's scale and minimum) as floats in lanes 0 and 1.
///
/// A 16-bit load into a vector register compiles to `vpinsrw`, which merges into whatever the
/// register held, and clang picked the live accumulator of the fused matmul: every block then
/// waited for the previous block's FMA (~11 cycles per block instead of ~4). A 32-bit `vmovd`
/// load zero-extends and depends on nothing.
static inline __m128 ls_half2_to_float(const void *p) {
    int32_t bits;
    memcpy(&bits, p, 4);
    return _mm_cvtph_ps(_mm_cvtsi32_si128(bits));
}

/// One f16 value, through a broadcast (which also writes the whole register; see above).
static inline float ls_half_to_float(uint16_t h) {
    return _mm_cvtss_f32(_mm_cvtph_ps(_mm_set1_epi16((short)h)));
}

/// exp for 8 floats: range reduction by ln 2 and a degree-6 polynomial (about 1 ulp).
static inline __m256 ls_exp8(__m256 x) {
    const __m256 hi = _mm256_set1_ps(88.3762626647949f);
    const __m256 lo = _mm256_set1_ps(-87.3365478515625f);
    x = _mm256_max_ps(_mm256_min_ps(x, hi), lo);
    __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.0f / 720);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}
