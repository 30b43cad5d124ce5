// The cheap per-element steps of a layer, vectorised so they stay cheap at prefill sizes.
#include <float.h>
#include <math.h>

#include "internal.h"

void ls_rmsnorm(const float *x, int ldx, const float *weight, float *out, int ldo, int rows, int dim, float eps) {
    for (int r = 0; r < rows; r++) {
        const float *xr = x + (size_t)r * ldx;
        float *o = out + (size_t)r * ldo;
        float scale = ls_rms_scale(xr, dim, eps);
        int i;
        __m256 s = _mm256_set1_ps(scale);
        for (i = 0; i + 8 <= dim; i += 8)
            _mm256_storeu_ps(o + i, _mm256_mul_ps(_mm256_mul_ps(_mm256_loadu_ps(xr + i), s), _mm256_loadu_ps(weight + i)));
        for (; i < dim; i++) o[i] = xr[i] * scale * weight[i];
    }
}

void ls_rope(float *x, int ldx, int rows, int heads, int head_dim, int rotary_dim, const float *cos_sin) {
    int half = rotary_dim / 2;
    for (int r = 0; r < rows; r++) {
        const float *c = cos_sin + (size_t)r * rotary_dim;
        const float *s = c + half;
        for (int h = 0; h < heads; h++) {
            float *v = x + (size_t)r * ldx + (size_t)h * head_dim;
            for (int i = 0; i < half; i++) {
                float a = v[2 * i], b = v[2 * i + 1];
                v[2 * i] = a * c[i] - b * s[i];
                v[2 * i + 1] = a * s[i] + b * c[i];
            }
        }
    }
}

void ls_swiglu(const float *gate, int ldg, const float *up, int ldu, float *out, int ldo, int rows, int n) {
    const __m256 one = _mm256_set1_ps(1.0f);
    for (int r = 0; r < rows; r++) {
        const float *g = gate + (size_t)r * ldg;
        const float *u = up + (size_t)r * ldu;
        float *o = out + (size_t)r * ldo;
        int i = 0;
        for (; i + 8 <= n; i += 8) {
            __m256 gv = _mm256_loadu_ps(g + i);
            __m256 e = ls_exp8(_mm256_sub_ps(_mm256_setzero_ps(), gv));
            __m256 silu = _mm256_div_ps(gv, _mm256_add_ps(one, e));
            _mm256_storeu_ps(o + i, _mm256_mul_ps(silu, _mm256_loadu_ps(u + i)));
        }
        for (; i < n; i++) o[i] = g[i] / (1.0f + expf(-g[i])) * u[i];
    }
}

static void rmsnorm_rows(const ls_rows_job *job, int r0, int r1) {
    ls_rmsnorm(job->a + (size_t)r0 * job->lda, job->lda, job->weight, job->out + (size_t)r0 * job->ldo, job->ldo, r1 - r0,
               job->n, job->eps);
}

static void swiglu_rows(const ls_rows_job *job, int r0, int r1) {
    ls_swiglu(job->a + (size_t)r0 * job->lda, job->lda, job->b + (size_t)r0 * job->ldb, job->ldb,
              job->out + (size_t)r0 * job->ldo, job->ldo, r1 - r0, job->n);
}

void ls_rmsnorm_parallel(ls_runtime *rt, const float *x, int ldx, const float *weight, float *out, int ldo, int rows,
                         int dim, float eps) {
    ls_rows_job job = {.run = rmsnorm_rows, .a = x, .lda = ldx, .weight = weight, .out = out, .ldo = ldo, .rows = rows,
                       .n = dim, .eps = eps};
    ls_parallel_rows(rt, &job);
}

void ls_swiglu_parallel(ls_runtime *rt, const float *gate, int ldg, const float *up, int ldu, float *out, int ldo, int rows,
                        int n) {
    ls_rows_job job = {.run = swiglu_rows, .a = gate, .lda = ldg, .b = up, .ldb = ldu, .out = out, .ldo = ldo, .rows = rows,
                       .n = n};
    ls_parallel_rows(rt, &job);
}

/// The largest of `n` values (-inf for none); NaN must not occur.
static float max_of(const float *x, int n) {
    __m256 m = _mm256_set1_ps(-INFINITY);
    int i = 0;
    for (; i + 8 <= n; i += 8) m = _mm256_max_ps(m, _mm256_loadu_ps(x + i));
    __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
    m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
    float max = _mm_cvtss_f32(_mm_max_ss(m4, _mm_movehdup_ps(m4)));
    for (; i < n; i++) max = x[i] > max ? x[i] : max;
    return max;
}

float ls_softmax(float *x, int n) {
    float max = max_of(x, n);
    __m256 vmax = _mm256_set1_ps(max);
    __m256 acc = _mm256_setzero_ps();
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 e = ls_exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), vmax));
        _mm256_storeu_ps(x + i, e);
        acc = _mm256_add_ps(acc, e);
    }
    float sum = ls_hsum(acc);
    for (; i < n; i++) {
        x[i] = expf(x[i] - max);
        sum += x[i];
    }
    __m256 inv = _mm256_set1_ps(1.0f / sum);
    for (i = 0; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), inv));
    for (; i < n; i++) x[i] /= sum;
    return logf(sum) + max;
}

float ls_logsumexp(const float *x, int n, float max) {
    __m256 vmax = _mm256_set1_ps(max);
    __m256 acc = _mm256_setzero_ps();
    int i = 0;
    for (; i + 8 <= n; i += 8) acc = _mm256_add_ps(acc, ls_exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), vmax)));
    float sum = ls_hsum(acc);
    for (; i < n; i++) sum += expf(x[i] - max);
    return logf(sum) + max;
}

// Greedy decoding runs these over the whole vocabulary for every row of every step: scalar,
// argmax and the finite check were ~3% of a 32-stream load (perf), the other core idle meanwhile.
int ls_argmax(const float *x, int n) {
    if (n <= 0) return 0;
    float max = max_of(x, n);
    __m256 vmax = _mm256_set1_ps(max);
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        int hits = _mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(x + i), vmax, _CMP_EQ_OQ));
        if (hits) return i + __builtin_ctz((unsigned)hits);
    }
    for (; i < n; i++)
        if (x[i] == max) return i;
    return 0;
}

int ls_make_finite(float *x, int n) {
    const __m256 ninf = _mm256_set1_ps(-INFINITY), pinf = _mm256_set1_ps(INFINITY), top = _mm256_set1_ps(FLT_MAX);
    __m256 possible = _mm256_setzero_ps();
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        v = _mm256_blendv_ps(v, ninf, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
        v = _mm256_blendv_ps(v, top, _mm256_cmp_ps(v, pinf, _CMP_EQ_OQ));
        possible = _mm256_or_ps(possible, _mm256_cmp_ps(v, ninf, _CMP_GT_OQ));
        _mm256_storeu_ps(x + i, v);
    }
    int any = _mm256_movemask_ps(possible) != 0;
    for (; i < n; i++) {
        if (isnan(x[i])) x[i] = -INFINITY;
        else if (x[i] == INFINITY) x[i] = FLT_MAX;
        any |= x[i] > -INFINITY;
    }
    return any;
}
