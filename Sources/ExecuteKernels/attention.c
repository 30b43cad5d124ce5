// Causal grouped-query attention reading keys and values straight from the token-slot pool:
// each position's K/V sits in whatever slot the scheduler gave it, so nothing is copied or
// padded per step. One work item is one query row and one KV head (all query heads sharing that
// KV head together, so each key and value row is loaded once for the group).
#include <math.h>
#include <stdlib.h>

#include "internal.h"

typedef struct {
    const float *q;
    int ldq;
    const float *k;
    const float *v;
    int heads, kv_heads, head_dim;
    const ls_attention_segment *segments;
    int segment_count;
    int *row_segment;  // query row -> segment index
    int rows;
    float *out;
    int ldo;
    int max_len;
    _Atomic int next;
    ls_runtime *rt;
} attention_job;

#define LS_MAX_GROUP 16

static void attend(const attention_job *job, int row, int kv_head, float *scores) {
    const ls_attention_segment *seg = &job->segments[job->row_segment[row]];
    int len = seg->position + (row - seg->row) + 1;
    int hd = job->head_dim;
    int group = job->heads / job->kv_heads;
    int kv_dim = job->kv_heads * hd;
    float scale = 1.0f / sqrtf((float)hd);
    const float *q = job->q + (size_t)row * job->ldq + (size_t)kv_head * group * hd;

    // Scores for every query head of the group: scores[g * len + j].
    for (int j = 0; j < len; j++) {
        const float *k = job->k + (size_t)seg->slots[j] * kv_dim + (size_t)kv_head * hd;
        for (int g = 0; g < group; g++) {
            const float *qg = q + g * hd;
            __m256 acc = _mm256_setzero_ps();
            for (int d = 0; d < hd; d += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(qg + d), _mm256_loadu_ps(k + d), acc);
            scores[g * len + j] = ls_hsum(acc) * scale;
        }
    }
    for (int g = 0; g < group; g++) ls_softmax(scores + g * len, len);

    float *out = job->out + (size_t)row * job->ldo + (size_t)kv_head * group * hd;
    for (int g = 0; g < group; g++)
        for (int d = 0; d < hd; d++) out[g * hd + d] = 0;
    for (int j = 0; j < len; j++) {
        const float *v = job->v + (size_t)seg->slots[j] * kv_dim + (size_t)kv_head * hd;
        for (int g = 0; g < group; g++) {
            __m256 p = _mm256_set1_ps(scores[g * len + j]);
            float *o = out + g * hd;
            for (int d = 0; d < hd; d += 8)
                _mm256_storeu_ps(o + d, _mm256_fmadd_ps(p, _mm256_loadu_ps(v + d), _mm256_loadu_ps(o + d)));
        }
    }
}

static void attention_worker(void *ctx, int worker, int workers) {
    (void)workers;
    attention_job *job = ctx;
    float *scores = ls_scratch(job->rt, worker);
    int total = job->rows * job->kv_heads;
    for (;;) {
        int index = atomic_fetch_add_explicit(&job->next, 1, memory_order_relaxed);
        if (index >= total) return;
        attend(job, index / job->kv_heads, index % job->kv_heads, scores);
    }
}

void ls_attention(ls_runtime *rt, const float *q, int ldq, const float *k_cache, const float *v_cache, int heads,
                  int kv_heads, int head_dim, const ls_attention_segment *segments, int segment_count, float *out,
                  int ldo) {
    int rows = 0, max_len = 0;
    for (int s = 0; s < segment_count; s++) {
        int end = segments[s].row + segments[s].count;
        rows = end > rows ? end : rows;
        int len = segments[s].position + segments[s].count;
        max_len = len > max_len ? len : max_len;
    }
    int *row_segment = ls_shared(rt, sizeof(int) * (size_t)rows);
    for (int s = 0; s < segment_count; s++)
        for (int r = 0; r < segments[s].count; r++) row_segment[segments[s].row + r] = s;
    ls_reserve_scratch(rt, sizeof(float) * (size_t)max_len * (size_t)(heads / kv_heads));
    attention_job job = {
        .q = q, .ldq = ldq, .k = k_cache, .v = v_cache, .heads = heads, .kv_heads = kv_heads,
        .head_dim = head_dim, .segments = segments, .segment_count = segment_count,
        .row_segment = row_segment, .rows = rows, .out = out, .ldo = ldo, .max_len = max_len, .rt = rt,
    };
    atomic_init(&job.next, 0);
    ls_parallel(rt, attention_worker, &job);
}
