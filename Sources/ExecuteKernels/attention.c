// Causal grouped-query attention over the token-slot KV pool.
//
// Decode rows and short prompt chunks read keys and values straight from their slots (nothing
// copied or padded per step): one work item is one query row and one KV head, all query heads
// of that group together so each key and value row comes from memory once (and from cache for
// the group's other heads). That reading is what bounds decode attention, so the pool holds half
// precision: 32 decode rows over ~200-token contexts went from ~22% to ~15% of a step's time
// (perf), and one stream decoding after a 512-token prompt from ~130 to ~160 tokens/s.
//
// Long prompt chunks are compute-bound (T x L scores per head), so they gather the sequence's K
// and V for one KV head into scratch and run S = Q K^T and O = P V through OpenBLAS's sgemm; one work
// item is one query head and one block of the chunk's rows (see LS_ATTENTION_BLOCK). Prefill of
// a 512-token prompt spent ~0.2 s in the direct kernel; through sgemm it is a few percent of
// prefill.
#include <math.h>
#include <stdlib.h>
#include <string.h>


#include "internal.h"

/// Chunks of at least this many query rows take the sgemm path.
#define LS_GEMM_ATTENTION_ROWS 16

/// Query rows per sgemm item of a long chunk. A block's rows see keys only up to its last row,
/// so blocks skip most of the masked half of the scores (a 512-token prompt: 0.62 of the square's
/// work) and give the threads more, finer items than one per head (9 heads on 2 threads).
#define LS_ATTENTION_BLOCK 128

typedef struct {
    int segment;  // -1 for a direct item
    int row;      // query row (direct) or query head (sgemm)
    int kv_head;  // direct items only
    int head;     // direct items: one query head of the group, or -1 for all of them
    int block;    // sgemm items: block of LS_ATTENTION_BLOCK query rows
} attention_item;

typedef struct {
    const float *q;
    int ldq;
    const uint16_t *k;
    const uint16_t *v;
    int heads, kv_heads, head_dim;
    float scale;
    int window;  // 0: every earlier key; else keys at positions above p - window
    const ls_attention_segment *segments;
    int segment_count;
    int *row_segment;  // query row -> segment index
    int rows;
    float *out;
    int ldo;
    int max_len;
    const attention_item *items;
    int item_count;
    _Atomic int next;
    ls_runtime *rt;
} attention_job;

#define LS_MAX_GROUP 16

/// Eight half-precision values as floats.
static inline __m256 load_half8(const uint16_t *p) { return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p)); }

/// How many keys ahead the kernels prefetch. A sequence's slots are scattered through the pool
/// (32 streams decoding interleave theirs), which the hardware prefetchers do not follow. One
/// stream decoding after a 512-token prompt: 138/153/168 -> 153/168/169 tokens/s (three
/// alternating runs). 32 streams' decode attention moved little (~10% -> ~9.5% of the load's
/// samples): those steps read ~140 MB of keys and values from memory (32 x ~200 tokens x 30
/// layers x 768 bytes), so there it is bound by bandwidth, not latency.
#define LS_PREFETCH_KEYS 16

/// Asks for the key and value rows (`bytes` each) of slot `slot` ahead of use.
static inline void prefetch_kv(const uint16_t *k_base, const uint16_t *v_base, int32_t slot, int kv_dim, int bytes) {
    const char *k = (const char *)(k_base + (size_t)slot * kv_dim);
    const char *v = (const char *)(v_base + (size_t)slot * kv_dim);
    for (int b = 0; b < bytes; b += 64) {
        _mm_prefetch(k + b, _MM_HINT_T0);
        _mm_prefetch(v + b, _MM_HINT_T0);
    }
}

/// One row against one KV head's keys and values: all query heads of the group (`only` < 0), or
/// just query head `only` (when there are too few rows to keep every thread busy otherwise).
static void attend(const attention_job *job, int row, int kv_head, int only, float *scores) {
    const ls_attention_segment *seg = &job->segments[job->row_segment[row]];
    int len = seg->position + (row - seg->row) + 1;
    // Keys lo..len-1 are visible; `scores` and `slots` are indexed from lo.
    int lo = job->window > 0 && len > job->window ? len - job->window : 0;
    const int32_t *slots = seg->slots + lo;
    len -= lo;
    int hd = job->head_dim;
    int group = job->heads / job->kv_heads;
    int kv_dim = job->kv_heads * hd;
    float scale = job->scale;
    int first = kv_head * group;
    if (only >= 0) {
        first = only;
        group = 1;
    }
    const float *q = job->q + (size_t)row * job->ldq + (size_t)first * hd;
    const uint16_t *k_base = job->k + (size_t)kv_head * hd;
    const uint16_t *v_base = job->v + (size_t)kv_head * hd;
    float *out = job->out + (size_t)row * job->ldo + (size_t)first * hd;

    // The group's first head brings every key and value row into cache; the others find them there.
    int ahead = len < LS_PREFETCH_KEYS ? len : LS_PREFETCH_KEYS;
    for (int j = 0; j < ahead; j++) prefetch_kv(k_base, v_base, slots[j], kv_dim, hd * 2);
    for (int g = 0; g < group; g++) {
        const float *qg = q + g * hd;
        float *sc = scores + g * len;
        int prefetch = g == 0 ? LS_PREFETCH_KEYS : len;
        if (hd == 64) {
            // Query in registers; eight keys' dot products reduced together (one horizontal
            // reduction per eight keys instead of one per key).
            __m256 q0 = _mm256_loadu_ps(qg), q1 = _mm256_loadu_ps(qg + 8), q2 = _mm256_loadu_ps(qg + 16),
                   q3 = _mm256_loadu_ps(qg + 24), q4 = _mm256_loadu_ps(qg + 32), q5 = _mm256_loadu_ps(qg + 40),
                   q6 = _mm256_loadu_ps(qg + 48), q7 = _mm256_loadu_ps(qg + 56);
            int j = 0;
            for (; j + 8 <= len; j += 8) {
                __m256 dots[8];
                for (int u = 0; u < 8; u++) {
                    if (j + u + prefetch < len) prefetch_kv(k_base, v_base, slots[j + u + prefetch], kv_dim, 128);
                    const uint16_t *k = k_base + (size_t)slots[j + u] * kv_dim;
                    __m256 a = _mm256_mul_ps(q0, load_half8(k));
                    __m256 b = _mm256_mul_ps(q1, load_half8(k + 8));
                    a = _mm256_fmadd_ps(q2, load_half8(k + 16), a);
                    b = _mm256_fmadd_ps(q3, load_half8(k + 24), b);
                    a = _mm256_fmadd_ps(q4, load_half8(k + 32), a);
                    b = _mm256_fmadd_ps(q5, load_half8(k + 40), b);
                    a = _mm256_fmadd_ps(q6, load_half8(k + 48), a);
                    b = _mm256_fmadd_ps(q7, load_half8(k + 56), b);
                    dots[u] = _mm256_add_ps(a, b);
                }
                __m256 s01 = _mm256_hadd_ps(dots[0], dots[1]), s23 = _mm256_hadd_ps(dots[2], dots[3]);
                __m256 s45 = _mm256_hadd_ps(dots[4], dots[5]), s67 = _mm256_hadd_ps(dots[6], dots[7]);
                __m256 s0123 = _mm256_hadd_ps(s01, s23), s4567 = _mm256_hadd_ps(s45, s67);
                __m256 lo = _mm256_permute2f128_ps(s0123, s4567, 0x20), hi = _mm256_permute2f128_ps(s0123, s4567, 0x31);
                _mm256_storeu_ps(sc + j, _mm256_mul_ps(_mm256_add_ps(lo, hi), _mm256_set1_ps(scale)));
            }
            for (; j < len; j++) {
                const uint16_t *k = k_base + (size_t)slots[j] * kv_dim;
                __m256 a = _mm256_mul_ps(q0, load_half8(k));
                a = _mm256_fmadd_ps(q1, load_half8(k + 8), a);
                a = _mm256_fmadd_ps(q2, load_half8(k + 16), a);
                a = _mm256_fmadd_ps(q3, load_half8(k + 24), a);
                a = _mm256_fmadd_ps(q4, load_half8(k + 32), a);
                a = _mm256_fmadd_ps(q5, load_half8(k + 40), a);
                a = _mm256_fmadd_ps(q6, load_half8(k + 48), a);
                a = _mm256_fmadd_ps(q7, load_half8(k + 56), a);
                sc[j] = ls_hsum(a) * scale;
            }
        } else if (hd % 32 == 0) {
            // Head sizes 128 and 256: four independent accumulators, so the FMAs of one key do
            // not wait on each other (one chain of 32 dependent FMAs per key at 256 otherwise).
            for (int j = 0; j < len; j++) {
                if (j + prefetch < len) prefetch_kv(k_base, v_base, slots[j + prefetch], kv_dim, hd * 2);
                const uint16_t *k = k_base + (size_t)slots[j] * kv_dim;
                __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
                for (int d = 0; d < hd; d += 32) {
                    a0 = _mm256_fmadd_ps(_mm256_loadu_ps(qg + d), load_half8(k + d), a0);
                    a1 = _mm256_fmadd_ps(_mm256_loadu_ps(qg + d + 8), load_half8(k + d + 8), a1);
                    a2 = _mm256_fmadd_ps(_mm256_loadu_ps(qg + d + 16), load_half8(k + d + 16), a2);
                    a3 = _mm256_fmadd_ps(_mm256_loadu_ps(qg + d + 24), load_half8(k + d + 24), a3);
                }
                sc[j] = ls_hsum(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3))) * scale;
            }
        } else {
            for (int j = 0; j < len; j++) {
                if (j + prefetch < len) prefetch_kv(k_base, v_base, slots[j + prefetch], kv_dim, hd * 2);
                const uint16_t *k = k_base + (size_t)slots[j] * kv_dim;
                __m256 acc = _mm256_setzero_ps();
                for (int d = 0; d < hd; d += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(qg + d), load_half8(k + d), acc);
                sc[j] = ls_hsum(acc) * scale;
            }
        }
        ls_softmax(sc, len);

        // Output accumulated in registers, then stored once.
        float *o = out + g * hd;
        if (hd % 64 == 0) {
            // 64 output dims at a time in registers (head sizes 64, 128, 256): one pass over
            // the values per 64 dims, from cache after the first.
            for (int c = 0; c < hd; c += 64) {
                __m256 o0 = _mm256_setzero_ps(), o1 = o0, o2 = o0, o3 = o0, o4 = o0, o5 = o0, o6 = o0, o7 = o0;
                for (int j = 0; j < len; j++) {
                    const uint16_t *v = v_base + c + (size_t)slots[j] * kv_dim;
                    __m256 p = _mm256_set1_ps(sc[j]);
                    o0 = _mm256_fmadd_ps(p, load_half8(v), o0);
                    o1 = _mm256_fmadd_ps(p, load_half8(v + 8), o1);
                    o2 = _mm256_fmadd_ps(p, load_half8(v + 16), o2);
                    o3 = _mm256_fmadd_ps(p, load_half8(v + 24), o3);
                    o4 = _mm256_fmadd_ps(p, load_half8(v + 32), o4);
                    o5 = _mm256_fmadd_ps(p, load_half8(v + 40), o5);
                    o6 = _mm256_fmadd_ps(p, load_half8(v + 48), o6);
                    o7 = _mm256_fmadd_ps(p, load_half8(v + 56), o7);
                }
                _mm256_storeu_ps(o + c, o0);
                _mm256_storeu_ps(o + c + 8, o1);
                _mm256_storeu_ps(o + c + 16, o2);
                _mm256_storeu_ps(o + c + 24, o3);
                _mm256_storeu_ps(o + c + 32, o4);
                _mm256_storeu_ps(o + c + 40, o5);
                _mm256_storeu_ps(o + c + 48, o6);
                _mm256_storeu_ps(o + c + 56, o7);
            }
        } else {
            for (int d = 0; d < hd; d++) o[d] = 0;
            for (int j = 0; j < len; j++) {
                const uint16_t *v = v_base + (size_t)slots[j] * kv_dim;
                __m256 p = _mm256_set1_ps(sc[j]);
                for (int d = 0; d < hd; d += 8)
                    _mm256_storeu_ps(o + d, _mm256_fmadd_ps(p, load_half8(v + d), _mm256_loadu_ps(o + d)));
            }
        }
    }
}

/// Query rows [r0, r1) of a long chunk for one query head: gather K/V of its KV head up to the
/// block's last visible key, then two sgemm calls.
static void attend_chunk(const attention_job *job, const ls_attention_segment *seg, int head, int r0, int r1,
                         float *scratch) {
    int hd = job->head_dim;
    int group = job->heads / job->kv_heads;
    int kv_head = head / group;
    int kv_dim = job->kv_heads * hd;
    int T = r1 - r0;
    int L = seg->position + r1;
    float *k = scratch;
    float *v = k + (size_t)L * hd;
    float *s = v + (size_t)L * hd;
    const uint16_t *k_base = job->k + (size_t)kv_head * hd, *v_base = job->v + (size_t)kv_head * hd;
    for (int j = 0; j < L; j++) {
        if (j + LS_PREFETCH_KEYS < L) prefetch_kv(k_base, v_base, seg->slots[j + LS_PREFETCH_KEYS], kv_dim, hd * 2);
        const uint16_t *ks = k_base + (size_t)seg->slots[j] * kv_dim;
        const uint16_t *vs = v_base + (size_t)seg->slots[j] * kv_dim;
        for (int d = 0; d < hd; d += 8) {
            _mm256_storeu_ps(k + (size_t)j * hd + d, load_half8(ks + d));
            _mm256_storeu_ps(v + (size_t)j * hd + d, load_half8(vs + d));
        }
    }
    const float *q = job->q + (size_t)(seg->row + r0) * job->ldq + (size_t)head * hd;
    ls_blas_sgemm(1, T, L, hd, job->scale, q, job->ldq, k, hd, 0.0f, s, L);
    for (int i = 0; i < T; i++) {
        float *row = s + (size_t)i * L;
        int visible = seg->position + r0 + i + 1;
        int lo = job->window > 0 && visible > job->window ? visible - job->window : 0;
        for (int j = 0; j < lo; j++) row[j] = 0;
        ls_softmax(row + lo, visible - lo);
        for (int j = visible; j < L; j++) row[j] = 0;
    }
    float *out = job->out + (size_t)(seg->row + r0) * job->ldo + (size_t)head * hd;
    ls_blas_sgemm(0, T, hd, L, 1.0f, s, L, v, hd, 0.0f, out, job->ldo);
}

static int chunk_blocks(const ls_attention_segment *seg) {
    return (seg->count + LS_ATTENTION_BLOCK - 1) / LS_ATTENTION_BLOCK;
}

static int chunk_block_end(const ls_attention_segment *seg, int block) {
    int end = (block + 1) * LS_ATTENTION_BLOCK;
    return end < seg->count ? end : seg->count;
}

static void attention_worker(void *ctx, int worker, int workers) {
    (void)workers;
    attention_job *job = ctx;
    float *scratch = ls_scratch(job->rt, worker);
    for (;;) {
        int index = atomic_fetch_add_explicit(&job->next, 1, memory_order_relaxed);
        if (index >= job->item_count) return;
        const attention_item *item = &job->items[index];
        if (item->segment < 0)
            attend(job, item->row, item->kv_head, item->head, scratch);
        else
            attend_chunk(job, &job->segments[item->segment], item->row, item->block * LS_ATTENTION_BLOCK,
                         chunk_block_end(&job->segments[item->segment], item->block), scratch);
    }
}

void ls_attention(ls_runtime *rt, const float *q, int ldq, const uint16_t *k_cache, const uint16_t *v_cache, int heads,
                  int kv_heads, int head_dim, float scale, int window, const ls_attention_segment *segments,
                  int segment_count, float *out, int ldo) {
    int rows = 0, max_len = 0;
    for (int s = 0; s < segment_count; s++) {
        int end = segments[s].row + segments[s].count;
        rows = end > rows ? end : rows;
        int len = segments[s].position + segments[s].count;
        max_len = len > max_len ? len : max_len;
    }
    // Work items: sgemm items (long chunks, one per query head and block of rows, the last
    // blocks first) first, as they are the largest, then direct items (one per row and KV head).
    int item_count = 0;
    int direct_rows = 0;
    size_t scratch = sizeof(float) * (size_t)max_len * (size_t)(heads / kv_heads);
    for (int s = 0; s < segment_count; s++) {
        int T = segments[s].count, L = segments[s].position + segments[s].count;
        if (T >= LS_GEMM_ATTENTION_ROWS) {
            item_count += heads * chunk_blocks(&segments[s]);
            int rows_per_item = T < LS_ATTENTION_BLOCK ? T : LS_ATTENTION_BLOCK;
            size_t need = sizeof(float) * ((size_t)2 * L * head_dim + (size_t)rows_per_item * L);
            scratch = need > scratch ? need : scratch;
        } else {
            direct_rows += T;
        }
    }
    // Few rows (a lone decode row has only kv_heads items): split per query head instead, so
    // every thread has work; keys are then read once per query head, from cache.
    int per_head = direct_rows * kv_heads < 4 * ls_runtime_threads(rt);
    item_count += direct_rows * (per_head ? heads : kv_heads);
    uint8_t *shared = ls_shared(rt, sizeof(int) * (size_t)rows + sizeof(attention_item) * (size_t)item_count + 64);
    if (!shared) return;
    int *row_segment = (int *)shared;
    attention_item *items = (attention_item *)(shared + ((sizeof(int) * (size_t)rows + 63) / 64 * 64));
    int n = 0;
    for (int s = 0; s < segment_count; s++) {
        for (int r = 0; r < segments[s].count; r++) row_segment[segments[s].row + r] = s;
        if (segments[s].count >= LS_GEMM_ATTENTION_ROWS)
            for (int b = chunk_blocks(&segments[s]) - 1; b >= 0; b--)
                for (int h = 0; h < heads; h++) items[n++] = (attention_item){s, h, 0, -1, b};
    }
    int group = heads / kv_heads;
    for (int s = 0; s < segment_count; s++) {
        if (segments[s].count >= LS_GEMM_ATTENTION_ROWS) continue;
        for (int r = 0; r < segments[s].count; r++) {
            if (per_head) {
                for (int h = 0; h < heads; h++) items[n++] = (attention_item){-1, segments[s].row + r, h / group, h, 0};
            } else {
                for (int h = 0; h < kv_heads; h++) items[n++] = (attention_item){-1, segments[s].row + r, h, -1, 0};
            }
        }
    }
    if (ls_reserve_scratch(rt, scratch)) return;
    attention_job job = {
        .q = q, .ldq = ldq, .k = k_cache, .v = v_cache, .heads = heads, .kv_heads = kv_heads,
        .head_dim = head_dim, .scale = scale, .window = window, .segments = segments, .segment_count = segment_count,
        .row_segment = row_segment, .rows = rows, .out = out, .ldo = ldo, .max_len = max_len,
        .items = items, .item_count = item_count, .rt = rt,
    };
    atomic_init(&job.next, 0);
    ls_parallel(rt, attention_worker, &job);
}
