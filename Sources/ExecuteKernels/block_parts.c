// The optional steps of a transformer block that only some model families use: q/k/v biases,
// NEOX rotary layout, tanh-GELU gating and norms applied to a sub-layer's output before the
// residual add. Same discipline as elementwise.c: vectorised, rows spread over the pool's
// threads from a few dozen rows on (ls_parallel_rows).
#include <math.h>

#include "internal.h"

void ls_add_bias(float *x, int ldx, int rows, const float *bias, int n) {
    for (int r = 0; r < rows; r++) {
        float *xr = x + (size_t)r * ldx;
        int i = 0;
        for (; i + 8 <= n; i += 8) _mm256_storeu_ps(xr + i, _mm256_add_ps(_mm256_loadu_ps(xr + i), _mm256_loadu_ps(bias + i)));
        for (; i < n; i++) xr[i] += bias[i];
    }
}

void ls_rope_neox(float *x, int ldx, int rows, int heads, int head_dim, int rotary_dim, const float *cos_sin) {
    int half = rotary_dim / 2;
    for (int r = 0; r < rows; r++) {
        const float *c = cos_sin + (size_t)r * rotary_dim;
        const float *s = c + half;
        for (int h = 0; h < heads; h++) {
            float *a = x + (size_t)r * ldx + (size_t)h * head_dim;
            float *b = a + half;
            int i = 0;
            for (; i + 8 <= half; i += 8) {
                __m256 av = _mm256_loadu_ps(a + i), bv = _mm256_loadu_ps(b + i);
                __m256 cv = _mm256_loadu_ps(c + i), sv = _mm256_loadu_ps(s + i);
                _mm256_storeu_ps(a + i, _mm256_fmsub_ps(av, cv, _mm256_mul_ps(bv, sv)));
                _mm256_storeu_ps(b + i, _mm256_fmadd_ps(av, sv, _mm256_mul_ps(bv, cv)));
            }
            for (; i < half; i++) {
                float av = a[i], bv = b[i];
                a[i] = av * c[i] - bv * s[i];
                b[i] = av * s[i] + bv * c[i];
            }
        }
    }
}

/// gelu(x) = x/2 (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3), with
/// 1 + tanh(u) = 2 / (1 + exp(-2u)), so gelu(x) = x / (1 + exp(-2u)).
void ls_geglu(const float *gate, int ldg, const float *up, int ldu, float *out, int ldo, int rows, int n) {
    const float k0 = 0.7978845608028654f, k1 = 0.044715f;
    const __m256 one = _mm256_set1_ps(1.0f), m2k0 = _mm256_set1_ps(-2.0f * k0), vk1 = _mm256_set1_ps(k1);
    for (int r = 0; r < rows; r++) {
        const float *g = gate + (size_t)r * ldg;
        const float *u = up + (size_t)r * ldu;
        float *o = out + (size_t)r * ldo;
        int i = 0;
        for (; i + 8 <= n; i += 8) {
            __m256 x = _mm256_loadu_ps(g + i);
            __m256 inner = _mm256_fmadd_ps(_mm256_mul_ps(vk1, x), _mm256_mul_ps(x, x), x);
            __m256 e = ls_exp8(_mm256_mul_ps(m2k0, inner));
            __m256 gelu = _mm256_div_ps(x, _mm256_add_ps(one, e));
            _mm256_storeu_ps(o + i, _mm256_mul_ps(gelu, _mm256_loadu_ps(u + i)));
        }
        for (; i < n; i++) {
            float x = g[i];
            o[i] = x / (1.0f + expf(-2.0f * k0 * (x + k1 * x * x * x))) * u[i];
        }
    }
}

void ls_rmsnorm_add(const float *x, int ldx, const float *weight, float *residual, int ldr, int rows, int dim, float eps) {
    for (int r = 0; r < rows; r++) {
        const float *xr = x + (size_t)r * ldx;
        float *o = residual + (size_t)r * ldr;
        float scale = ls_rms_scale(xr, dim, eps);
        int i;
        __m256 s = _mm256_set1_ps(scale);
        for (i = 0; i + 8 <= dim; i += 8) {
            __m256 normed = _mm256_mul_ps(_mm256_mul_ps(_mm256_loadu_ps(xr + i), s), _mm256_loadu_ps(weight + i));
            _mm256_storeu_ps(o + i, _mm256_add_ps(_mm256_loadu_ps(o + i), normed));
        }
        for (; i < dim; i++) o[i] += xr[i] * scale * weight[i];
    }
}

static void geglu_rows(const ls_rows_job *job, int r0, int r1) {
    ls_geglu(job->a + (size_t)r0 * job->lda, job->lda, job->b + (size_t)r0 * job->ldb, job->ldb,
             job->out + (size_t)r0 * job->ldo, job->ldo, r1 - r0, job->n);
}

static void rmsnorm_add_rows(const ls_rows_job *job, int r0, int r1) {
    ls_rmsnorm_add(job->a + (size_t)r0 * job->lda, job->lda, job->weight, job->out + (size_t)r0 * job->ldo, job->ldo,
                   r1 - r0, job->n, job->eps);
}

void ls_geglu_parallel(ls_runtime *rt, const float *gate, int ldg, const float *up, int ldu, float *out, int ldo, int rows,
                       int n) {
    ls_rows_job job = {.run = geglu_rows, .a = gate, .lda = ldg, .b = up, .ldb = ldu, .out = out, .ldo = ldo, .rows = rows,
                       .n = n};
    ls_parallel_rows(rt, &job);
}

void ls_rmsnorm_add_parallel(ls_runtime *rt, const float *x, int ldx, const float *weight, float *residual, int ldr,
                             int rows, int dim, float eps) {
    ls_rows_job job = {.run = rmsnorm_add_rows, .a = x, .lda = ldx, .weight = weight, .out = residual, .ldo = ldr,
                       .rows = rows, .n = dim, .eps = eps};
    ls_parallel_rows(rt, &job);
}
