// Matrix products against quantized weights.
//
// Few input rows (decode): a fused kernel reads each quantized weight block once, widens it
// to 16-bit integers and multiplies it with every row's activations, themselves quantized per
// 32-block to 16-bit integers (pmaddwd: 16 products per instruction). 16-bit activations keep
// the golden logits within 0.002 of float32; 8-bit ones would not. Each type widens its blocks in
// its own file (types/q4_0.c, types/q5_k.c, ...; see quantized.h). From 5 rows each weight row
// is widened once into scratch and reused for every activation row. Weights the model holds in a
// packed layout (packed.h: 16 rows interleaved, repacked at load) have a kernel of their own that
// needs no per-row horizontal sums; it takes up to 32 activation rows (AVX-512; 16 in AVX2), four
// per pass.
//
// Many input rows (prefill, wide decode batches): the product is compute-bound. Quantized weights
// go through the integer GEMM (gemm.c), with one activation scale per 256 values where a Q4_K
// product's sums run across its super-blocks; float weights (F32, F16, BF16) are dequantized a
// tile of rows at a time into each worker's scratch and handed to single-threaded OpenBLAS
// sgemm, so their float32 copy never exceeds one tile per worker.
#include <math.h>
#include <string.h>

#include "quantized.h"


// MARK: Activations as 16-bit integers (layout in quantized.h)

static int pair_count(int cols) { return (cols / 32 + 1) / 2; }

/// The largest magnitude of 32 floats.
static float block_amax(const float *xb) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    __m256 a0 = _mm256_andnot_ps(sign, _mm256_loadu_ps(xb)), a1 = _mm256_andnot_ps(sign, _mm256_loadu_ps(xb + 8));
    __m256 a2 = _mm256_andnot_ps(sign, _mm256_loadu_ps(xb + 16)), a3 = _mm256_andnot_ps(sign, _mm256_loadu_ps(xb + 24));
    __m256 amax = _mm256_max_ps(_mm256_max_ps(a0, a1), _mm256_max_ps(a2, a3));
    __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(amax), _mm256_extractf128_ps(amax, 1));
    m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
    return _mm_cvtss_f32(_mm_max_ss(m4, _mm_movehdup_ps(m4)));
}

/// The scale of block `b` of a row of `blocks` at `x`: its largest magnitude over `qmax`, or
/// with `scale_blocks` 8 that of its run of 8 blocks, found at the run's first block and kept in
/// `*run` for the others.
static float block_scale(const float *x, int b, int blocks, int scale_blocks, float qmax, float *run) {
    if (b % scale_blocks == 0) {
        float amax = 0;
        for (int k = b; k < b + scale_blocks && k < blocks; k++) amax = fmaxf(amax, block_amax(x + 32 * k));
        *run = amax / qmax;
    }
    return *run;
}

/// Quantizes 32 floats to the integers nearest x / d; stores the sums of the first and second 16
/// values.
static void quantize_block(const float *xb, float d, int16_t *g0, int16_t *g1, int16_t *g2, int16_t *g3, float *sums) {
    __m256 v0 = _mm256_loadu_ps(xb), v1 = _mm256_loadu_ps(xb + 8);
    __m256 v2 = _mm256_loadu_ps(xb + 16), v3 = _mm256_loadu_ps(xb + 24);
    __m256 inv = _mm256_set1_ps(d > 0 ? 1.0f / d : 0.0f);
    __m256i i0 = _mm256_cvtps_epi32(_mm256_mul_ps(v0, inv)), i1 = _mm256_cvtps_epi32(_mm256_mul_ps(v1, inv));
    __m256i i2 = _mm256_cvtps_epi32(_mm256_mul_ps(v2, inv)), i3 = _mm256_cvtps_epi32(_mm256_mul_ps(v3, inv));
    // packs interleaves 128-bit lanes (the first permute restores element order); the byte
    // shuffle and second permute then put even elements in the low half, odd in the high.
    const __m256i split = _mm256_setr_epi8(0, 1, 4, 5, 8, 9, 12, 13, 2, 3, 6, 7, 10, 11, 14, 15,
                                           0, 1, 4, 5, 8, 9, 12, 13, 2, 3, 6, 7, 10, 11, 14, 15);
    __m256i lo = _mm256_permute4x64_epi64(_mm256_packs_epi32(i0, i1), 0xD8);
    __m256i hi = _mm256_permute4x64_epi64(_mm256_packs_epi32(i2, i3), 0xD8);
    lo = _mm256_permute4x64_epi64(_mm256_shuffle_epi8(lo, split), 0xD8);
    hi = _mm256_permute4x64_epi64(_mm256_shuffle_epi8(hi, split), 0xD8);
    _mm_storeu_si128((__m128i *)g0, _mm256_castsi256_si128(lo));
    _mm_storeu_si128((__m128i *)g2, _mm256_extracti128_si256(lo, 1));
    _mm_storeu_si128((__m128i *)g1, _mm256_castsi256_si128(hi));
    _mm_storeu_si128((__m128i *)g3, _mm256_extracti128_si256(hi, 1));
    sums[0] = ls_hsum(_mm256_add_ps(v0, v1));
    sums[1] = ls_hsum(_mm256_add_ps(v2, v3));
}

/// Quantizes a row to integers up to ±`qmax` (at most 32767), one scale per `scale_blocks`
/// 32-blocks (1, or 8 for products whose integer sums run across a super-block).
static qrow quantize_row(const float *x, int cols, float qmax, int scale_blocks, uint8_t *storage) {
    int blocks = cols / 32, pairs = pair_count(cols);
    int16_t *q = (int16_t *)storage;
    float *scale = (float *)(storage + (size_t)pairs * 128);
    float *sum = scale + (size_t)pairs * 8;
    float run = 0;
    for (int p = 0; p < pairs; p++) {
        int16_t *qp = q + 64 * p;
        float *sp = sum + 4 * p;
        float sB = 0;
        float sA = block_scale(x, 2 * p, blocks, scale_blocks, qmax, &run);
        quantize_block(x + 64 * p, sA, qp, qp + 16, qp + 32, qp + 48, sp);
        if (2 * p + 1 < blocks) {
            sB = block_scale(x, 2 * p + 1, blocks, scale_blocks, qmax, &run);
            quantize_block(x + 64 * p + 32, sB, qp + 8, qp + 24, qp + 40, qp + 56, sp + 2);
        } else {
            for (int g = 0; g < 4; g++) memset(qp + 16 * g + 8, 0, 16);
            sp[2] = sp[3] = 0;
        }
        _mm256_storeu_ps(scale + 8 * p, _mm256_setr_ps(sA, sA, sA, sA, sB, sB, sB, sB));
    }
    return (qrow){q, scale, sum};
}

/// Rows of `x` to quantize into `storage`, `per_row` bytes each; with `groups` (the GEMM) also
/// transposed into groups of LS_GEMM_LANES rows, `group_bytes` each.
typedef struct {
    const float *x;
    int ldx, cols;
    float qmax;
    int scale_blocks;
    uint8_t *storage;
    size_t per_row;
    qrow *rows;
    int m;
    uint8_t *groups;
    size_t group_bytes;
} quantize_job;

static void quantize_worker(void *ctx, int worker, int workers) {
    quantize_job *q = ctx;
    // Workers split whole groups when transposing, so each transposes rows it made.
    int unit = q->groups ? LS_GEMM_LANES : 1;
    int units = (q->m + unit - 1) / unit;
    int begin = (int)((long)units * worker / workers), end = (int)((long)units * (worker + 1) / workers);
    for (int u = begin; u < end; u++) {
        int r0 = u * unit, r1 = r0 + unit < q->m ? r0 + unit : q->m;
        for (int r = r0; r < r1; r++)
            q->rows[r] = quantize_row(q->x + (size_t)r * q->ldx, q->cols, q->qmax, q->scale_blocks,
                                      q->storage + q->per_row * r);
        if (q->groups) ls_gemm_transpose(q->rows + r0, r1 - r0, q->cols, q->groups + q->group_bytes * u);
    }
}

// MARK: Many rows: each weight row widened once, reused for every activation row

/// One widened weight row against activation rows `rows[0..R)`.
static inline __attribute__((always_inline)) void dot_widened(const uint8_t *scratch, int pairs, const qrow *rows, int R,
                                                               float *result) {
    const __m256i *e = (const __m256i *)scratch;
    const float *d = (const float *)(scratch + (size_t)pairs * 128);
    const float *dm = d + (size_t)pairs * 8;
    __m256 acc[LS_GROUP];
    __m128 offset[LS_GROUP];
    for (int r = 0; r < R; r++) {
        acc[r] = _mm256_setzero_ps();
        offset[r] = _mm_setzero_ps();
    }
    for (int p = 0; p < pairs; p++) {
        __m256i ep[4] = {_mm256_loadu_si256(e + 4 * p), _mm256_loadu_si256(e + 4 * p + 1),
                         _mm256_loadu_si256(e + 4 * p + 2), _mm256_loadu_si256(e + 4 * p + 3)};
        __m256 dp = _mm256_loadu_ps(d + 8 * p);
        __m128 dmp = _mm_loadu_ps(dm + 4 * p);
        for (int r = 0; r < R; r++) {
            __m256i prod = ls_pair_products(ep, rows[r].q + 64 * p);
            acc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(prod), _mm256_mul_ps(dp, _mm256_loadu_ps(rows[r].scale + 8 * p)), acc[r]);
            offset[r] = _mm_fmadd_ps(dmp, _mm_loadu_ps(rows[r].sum + 4 * p), offset[r]);
        }
    }
    for (int r = 0; r < R; r++) result[r] = ls_finish(acc[r], offset[r]);
}

void ls_dot_widened(const uint8_t *scratch, int pairs, const qrow *rows, int R, float *result) {
    switch (R) {
    case 1: dot_widened(scratch, pairs, rows, 1, result); break;
    case 2: dot_widened(scratch, pairs, rows, 2, result); break;
    case 3: dot_widened(scratch, pairs, rows, 3, result); break;
    default: dot_widened(scratch, pairs, rows, 4, result); break;
    }
}

// MARK: Work distribution

// Rows up to which the fused kernels beat the integer GEMM (`bench/run kernels`, Zen 4, two
// threads, ms per SmolLM2 layer, then its output head). AVX-512: up to 8 (8: 0.49-0.52 vs 0.47;
// 10: 0.55-0.74 vs 0.49-0.66; 16: 1.10-1.46 vs 0.69-0.74). AVX2: up to 6 (6: 0.32 and 2.80 vs
// 0.35 and 2.60, the layer weighing 30 times the head; 8: 0.43 and 3.75 vs 0.35 and 2.67; 16:
// 0.76 and 6.8 vs 0.51 and 4.0).
#ifdef LS_VNNI
#define LS_FUSED_MAX_ROWS 8
#else
#define LS_FUSED_MAX_ROWS 6
#endif
// The same when every product is in a packed layout, whose kernel meets up to LS_PACKED_GROUP
// activation rows per pass over the weights. AVX-512, whole steps (layers x layer + head, ms,
// two threads, fused against GEMM), since the packed kernel keeps its sums in registers at every
// row count: 64 rows, Qwen2.5-Coder-1.5B 632-633 vs 637-640, Qwen2.5-Coder-0.5B 205 vs 218,
// Gemma 3 270M 99 vs 106, SmolLM2 49 vs 52; 96 rows, the 1.5B 955 vs 928 (SmolLM2's packed kernel
// stays ahead up to 512 rows, 392 vs 399). Before, with the sums of 4 rows on the stack, the
// GEMM won from 33 rows on the models people run (bench/results/kernels-*-crossover-*). AVX2,
// 16 rows: SmolLM2 19.5 vs 19.9, the 1.5B 244 vs 223 (12 rows earlier 203 vs 238): 16 kept.
#ifdef LS_VNNI
#define LS_FUSED_MAX_ROWS_PACKED 64
#else
#define LS_FUSED_MAX_ROWS_PACKED 16
#endif
/// Weight rows per work item of the GEMM: as many as one call takes, and enough items for two
/// threads on the smallest products (192 rows: 4).
#define LS_GEMM_CHUNK LS_GEMM_MAX_ROWS

/// A worker's share counter of the fused path, alone on its cache line: packed side by side, each
/// worker's claim of its next chunk (tens of thousands a decode step) took the line from the
/// other worker, and with it the job's fields read beside it.
typedef struct {
    _Alignas(LS_ALIGN) _Atomic int next;
} ls_share_counter;

typedef struct {
    const float *x;
    int m;
    int ldx;
    const ls_matmul_op *ops;
    int count;
    int chunk_rows[8];
    int chunk_start[9];
    _Atomic int next;
    int fused;
    int gemm[8];  // product i runs on the integer GEMM (many rows, quantized weights)
    ls_share_counter share_next[LS_MAX_THREADS];  // next chunk of each worker's share (fused path)
    const qrow *qrows;  // quantized activations when any product has block-quantized weights
    const uint8_t *groups;  // the same, transposed for the GEMM (ls_gemm_transpose)
    ls_runtime *rt;
} matmul_job;

static void run_fused_chunk(const matmul_job *job, const ls_matmul_op *op, int n0, int n1, float *scratch) {
    const uint8_t *w = op->weights;
    const ls_quant_kernels *kernels = ls_quant_kernels_for(op->type);
    int pairs = pair_count(op->cols);
    if (kernels && (job->m <= LS_GROUP || kernels->packed_rows)) {
        // A packed layout's rows are not contiguous to widen one by one: its kernel meets them
        // LS_PACKED_GROUP activation rows at a time, the chunk staying in L2 between passes.
        const int group = kernels->packed_rows ? LS_PACKED_GROUP : LS_GROUP;
        for (int r0 = 0; r0 < job->m; r0 += group)
            kernels->dot(w + (size_t)n0 * op->row_bytes, op->row_bytes, n1 - n0, op->cols, job->qrows + r0,
                         job->m - r0 < group ? job->m - r0 : group, op->out + (size_t)r0 * op->ldo + n0, op->ldo,
                         op->accumulate);
        return;
    }
    for (int n = n0; n < n1; n++) {
        const uint8_t *row = w + (size_t)n * op->row_bytes;
        if (kernels) {
            // Many rows: widen the weight row once (into L1-resident scratch), reuse it for all.
            kernels->widen(row, op->cols, (uint8_t *)scratch);
            for (int r0 = 0; r0 < job->m; r0 += LS_GROUP) {
                int R = job->m - r0 < LS_GROUP ? job->m - r0 : LS_GROUP;
                float result[LS_GROUP];
                ls_dot_widened((const uint8_t *)scratch, pairs, job->qrows + r0, R, result);
                for (int r = 0; r < R; r++) {
                    float *o = op->out + (size_t)(r0 + r) * op->ldo + n;
                    *o = op->accumulate ? *o + result[r] : result[r];
                }
            }
        } else {
            ls_dequantize(op->type, row, scratch, op->cols);
            for (int r = 0; r < job->m; r++) {
                const float *xr = job->x + (size_t)r * job->ldx;
                __m256 acc = _mm256_setzero_ps();
                int k = 0;
                for (; k + 8 <= op->cols; k += 8)
                    acc = _mm256_fmadd_ps(_mm256_loadu_ps(scratch + k), _mm256_loadu_ps(xr + k), acc);
                float s = ls_hsum(acc);
                for (; k < op->cols; k++) s += scratch[k] * xr[k];
                float *o = op->out + (size_t)r * op->ldo + n;
                *o = op->accumulate ? *o + s : s;
            }
        }
    }
}

/// ls_quant_kernels.sum_values, 0 read as 32.
static int sum_values(const ls_quant_kernels *kernels) { return kernels->sum_values ? kernels->sum_values : 32; }

static void run_sgemm_chunk(const matmul_job *job, const ls_matmul_op *op, int n0, int n1, float *scratch) {
    const uint8_t *w = op->weights;
    int rows = n1 - n0;
    for (int n = n0; n < n1; n++) ls_dequantize(op->type, w + (size_t)n * op->row_bytes, scratch + (size_t)(n - n0) * op->cols, op->cols);
    ls_blas_sgemm(1, job->m, rows, op->cols, 1.0f, job->x, job->ldx, scratch, op->cols, op->accumulate ? 1.0f : 0.0f,
                  op->out + n0, op->ldo);
}

/// Weight rows [n0, n1) widened into scratch, then met by every activation row while the
/// weights of `ahead` (the worker's next item) are brought in.
static void run_gemm_chunk(const matmul_job *job, const ls_matmul_op *op, int n0, int n1, float *scratch,
                           ls_prefetch ahead) {
    const ls_quant_kernels *kernels = ls_quant_kernels_for(op->type);
    uint8_t *widened = (uint8_t *)scratch;
    size_t stride = ls_pair_row_bytes(op->cols);
    if (kernels->packed_rows)
        for (int n = n0; n < n1; n += kernels->packed_rows)
            kernels->widen_group(op->weights + (size_t)n * op->row_bytes, op->cols, widened + (size_t)(n - n0) * stride,
                                 stride);
    else
        for (int n = n0; n < n1; n++)
            kernels->widen(op->weights + (size_t)n * op->row_bytes, op->cols, widened + (size_t)(n - n0) * stride);
    ls_gemm_rows(widened, stride, n1 - n0, op->cols, kernels->offsets, sum_values(kernels) / 32, job->groups, job->m,
                 op->out + n0, op->ldo, op->accumulate, ahead);
}

/// A product's rows rounded up to whole groups of a packed layout: the fused path takes the
/// products' rows end to end in these spans, so that every product starts a group.
static int padded_rows(const ls_matmul_op *op) { return (op->rows + LS_PACKED_ROWS - 1) / LS_PACKED_ROWS * LS_PACKED_ROWS; }

/// Runs rows [begin, end) of the products' padded rows taken end to end (begin and end at group
/// boundaries, or end at the last).
static void fused_rows(matmul_job *job, int begin, int end, float *scratch) {
    int offset = 0;
    for (int i = 0; i < job->count && begin < end; i++) {
        const ls_matmul_op *op = &job->ops[i];
        int n0 = begin - offset, n1 = end - offset;
        if (n0 < op->rows && n1 > 0) run_fused_chunk(job, op, n0 > 0 ? n0 : 0, n1 < op->rows ? n1 : op->rows, scratch);
        offset += padded_rows(op);
    }
}

/// The fused path streams weights from memory, so each worker owns one contiguous share of all
/// the products' rows and walks it front to back in chunks (long sequential runs for the
/// hardware prefetchers); a worker done with its share then takes chunks of the others', so a
/// worker the OS delayed does not hold up the join. Decode went from ~100 to ~160 tok/s
/// against interleaved chunks handed out by one counter.
#define LS_FUSED_CHUNK 32
static void fused_worker(matmul_job *job, int worker, int workers, float *scratch) {
    int groups = 0;
    for (int i = 0; i < job->count; i++) groups += padded_rows(&job->ops[i]) / LS_PACKED_ROWS;
    for (int k = 0; k < workers; k++) {
        int share = (worker + k) % workers;
        int begin = (int)((long)groups * share / workers) * LS_PACKED_ROWS;
        int end = (int)((long)groups * (share + 1) / workers) * LS_PACKED_ROWS;
        for (;;) {
            int chunk = atomic_fetch_add_explicit(&job->share_next[share].next, 1, memory_order_relaxed);
            int n0 = begin + chunk * LS_FUSED_CHUNK;
            if (n0 >= end) break;
            fused_rows(job, n0, n0 + LS_FUSED_CHUNK < end ? n0 + LS_FUSED_CHUNK : end, scratch);
        }
    }
}

/// Work item `index` of the many-row paths: product `*o`, its weight rows [*n0, *n1).
static void chunk_of(const matmul_job *job, int index, int *o, int *n0, int *n1) {
    int i = 0;
    while (index >= job->chunk_start[i + 1]) i++;
    *o = i;
    *n0 = (index - job->chunk_start[i]) * job->chunk_rows[i];
    *n1 = *n0 + job->chunk_rows[i] < job->ops[i].rows ? *n0 + job->chunk_rows[i] : job->ops[i].rows;
}

static void matmul_worker(void *ctx, int worker, int workers) {
    matmul_job *job = ctx;
    float *scratch = ls_scratch(job->rt, worker);
    if (job->fused) return fused_worker(job, worker, workers, scratch);
    int total = job->chunk_start[job->count];
    int index = atomic_fetch_add_explicit(&job->next, 1, memory_order_relaxed);
    while (index < total) {
        int o, n0, n1;
        chunk_of(job, index, &o, &n0, &n1);
        const ls_matmul_op *op = &job->ops[o];
        if (job->gemm[o]) {
            // Claim the next item before running this one, so that the GEMM brings its weights
            // in meanwhile (their first touch stalled widening: 6-8% of 32-row decode steps).
            int next = atomic_fetch_add_explicit(&job->next, 1, memory_order_relaxed);
            ls_prefetch ahead = {NULL, NULL};
            if (next < total) {
                int no, m0, m1;
                chunk_of(job, next, &no, &m0, &m1);
                ahead.next = (const char *)job->ops[no].weights + (size_t)m0 * job->ops[no].row_bytes;
                ahead.end = ahead.next + (size_t)(m1 - m0) * job->ops[no].row_bytes;
            }
            run_gemm_chunk(job, op, n0, n1, scratch, ahead);
            index = next;
            continue;
        }
        run_sgemm_chunk(job, op, n0, n1, scratch);
        index = atomic_fetch_add_explicit(&job->next, 1, memory_order_relaxed);
    }
}

void ls_matmul(ls_runtime *rt, const float *x, int m, int ldx, const ls_matmul_op *ops, int count) {
    if (m <= 0 || count <= 0) return;
    if (count > 8) {
        for (int i = 0; i < count; i += 8) ls_matmul(rt, x, m, ldx, ops + i, count - i < 8 ? count - i : 8);
        return;
    }
    matmul_job job = {.x = x, .m = m, .ldx = ldx, .ops = ops, .count = count, .rt = rt};
    atomic_init(&job.next, 0);
    int threads = ls_runtime_threads(rt);
    for (int i = 0; i < threads; i++) atomic_init(&job.share_next[i].next, 0);
    int packed = 1;
    for (int i = 0; i < count; i++) {
        const ls_quant_kernels *kernels = ls_quant_kernels_for(ops[i].type);
        packed &= kernels != NULL && kernels->packed_rows > 0;
    }
    int fused = m <= (ls_tuned_quantized_max_rows >= 0 ? ls_tuned_quantized_max_rows
                      : packed                         ? LS_FUSED_MAX_ROWS_PACKED
                                                       : LS_FUSED_MAX_ROWS);
    job.fused = fused;
    size_t scratch = 0;
    int max_cols = 0;
    for (int i = 0; i < count; i++) max_cols = ops[i].cols > max_cols ? ops[i].cols : max_cols;

    // Activations as 16-bit integers for every product on the fused kernels or the GEMM. On the
    // GEMM, within the range its weight types' integer sums allow, and with one scale per 8
    // blocks when a product's sums run across a super-block (Q4_K's).
    int quantize = 0, scale_blocks = 1;
    float qmax = 32767.0f;
    for (int i = 0; i < count; i++) {
        const ls_quant_kernels *kernels = ls_quant_kernels_for(ops[i].type);
        job.gemm[i] = !fused && kernels != NULL;
        if (job.gemm[i]) {
            int values = sum_values(kernels);
            float limit = ls_gemm_activation_max(kernels->widened_max, values);
            qmax = limit < qmax ? limit : qmax;
            scale_blocks = values / 32 > scale_blocks ? values / 32 : scale_blocks;
        }
        quantize |= kernels != NULL;
    }
    if (quantize) {
        size_t per_row = ls_pair_row_bytes(max_cols);
        size_t group_bytes = 0, groups = 0;
        for (int i = 0; i < count; i++)
            if (job.gemm[i]) {
                group_bytes = ls_gemm_group_bytes(max_cols);
                groups = ((size_t)m + LS_GEMM_LANES - 1) / LS_GEMM_LANES;
            }
        uint8_t *storage = ls_shared(rt, per_row * (size_t)m + group_bytes * groups + sizeof(qrow) * (size_t)m);
        if (!storage) return;
        uint8_t *transposed = storage + per_row * (size_t)m;
        qrow *rows = (qrow *)(transposed + group_bytes * groups);
        quantize_job q = {x, ldx, ops[0].cols, qmax, scale_blocks, storage, per_row, rows, m,
                          groups ? transposed : NULL, group_bytes};
        // Many rows on every thread: one thread quantizing was ~3% of prefill (512 rows) and, at
        // 32 rows, ~4% of a 32-stream load with the other thread idle.
        if (m >= 16)
            ls_parallel(rt, quantize_worker, &q);
        else
            quantize_worker(&q, 0, 1);
        job.qrows = rows;
        job.groups = q.groups;
    }
    if (fused) {
        for (int i = 0; i < count; i++) job.chunk_rows[i] = 16;
        // Room for a float row or a widened one (176 bytes per 64 columns).
        scratch = (size_t)max_cols * sizeof(float) + 256;
    } else {
        // Tiles of float32 weights, at least one per worker per product. Each sgemm call packs
        // the activations again, so tiles are large (~1 MB): at 32 rows, 256 KB tiles made the
        // output head alone ~440 calls per step, 5% of the time in repacking.
        for (int i = 0; i < count; i++) {
            size_t bytes;
            if (job.gemm[i]) {
                // A chunk of weight rows widened, per worker.
                job.chunk_rows[i] = LS_GEMM_CHUNK;
                bytes = LS_GEMM_CHUNK * ls_pair_row_bytes(ops[i].cols);
                scratch = bytes > scratch ? bytes : scratch;
                continue;
            }
            int tile = (ls_tuned_tile_floats / ops[i].cols) & ~15;
            if (tile < 16) tile = 16;
            int tiles = (ops[i].rows + tile - 1) / tile;
            tiles = (tiles + threads - 1) / threads * threads;
            tile = ((ops[i].rows + tiles - 1) / tiles + 15) & ~15;
            job.chunk_rows[i] = tile;
            bytes = (size_t)tile * ops[i].cols * sizeof(float);
            scratch = bytes > scratch ? bytes : scratch;
        }
    }
    job.chunk_start[0] = 0;
    for (int i = 0; i < count; i++)
        job.chunk_start[i + 1] = job.chunk_start[i] + (ops[i].rows + job.chunk_rows[i] - 1) / job.chunk_rows[i];
    if (ls_reserve_scratch(rt, scratch)) return;
    ls_parallel(rt, matmul_worker, &job);
}
