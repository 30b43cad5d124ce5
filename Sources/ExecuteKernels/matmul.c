// Matrix products against quantized weights.
//
// Few input rows (decode): a fused kernel reads each 4-bit or 8-bit weight block once, widens it
// to 16-bit integers and multiplies it with every row's activations, themselves quantized per
// 32-block to 16-bit integers (pmaddwd: 16 products per instruction). 16-bit activations keep
// the golden logits within 0.002 of float32; 8-bit ones would not.
//
// Many input rows (prefill, wide decode batches): the product is compute-bound, so each worker
// dequantizes a tile of weight rows into its scratch and hands it to single-threaded
// cblas_sgemm; the float32 copy of a weight never exceeds one tile per worker.
#include <math.h>
#include <string.h>

#include <cblas.h>

#include "internal.h"

// Crossover measured with `bench/run kernels` (hot cache): the fused and widened-integer
// kernels win up to 16 rows, sgemm from 32.
static int quantized_max_rows = 16;
static int tile_floats = 262144;

void ls_set_sgemm_tile_floats(int floats) { tile_floats = floats; }

void ls_set_quantized_max_rows(int rows) { quantized_max_rows = rows; }
int ls_quantized_max_rows(void) { return quantized_max_rows; }

static int is_block_quantized(int type) {
    return type == LS_TYPE_Q4_0 || type == LS_TYPE_Q4_1 || type == LS_TYPE_Q8_0;
}

// MARK: Activations as 16-bit integers

/// Row `r` of quantized activations: `cols` int16 values, then per 32-block a scale and the
/// float sum of the original values (for Q4_1's minimum and Q4_0's offset).
typedef struct {
    const int16_t *q;
    const float *scale;
    const float *sum;
} qrow;

static size_t qrow_bytes(int cols) {
    size_t blocks = (size_t)cols / 32;
    return ((size_t)cols * 2 + blocks * 8 + LS_ALIGN - 1) / LS_ALIGN * LS_ALIGN;
}

static qrow quantize_row(const float *x, int cols, uint8_t *storage) {
    int blocks = cols / 32;
    int16_t *q = (int16_t *)storage;
    float *scale = (float *)(storage + (size_t)cols * 2);
    float *sum = scale + blocks;
    const __m256 sign = _mm256_set1_ps(-0.0f);
    for (int b = 0; b < blocks; b++) {
        const float *xb = x + 32 * b;
        __m256 v0 = _mm256_loadu_ps(xb), v1 = _mm256_loadu_ps(xb + 8);
        __m256 v2 = _mm256_loadu_ps(xb + 16), v3 = _mm256_loadu_ps(xb + 24);
        __m256 amax = _mm256_max_ps(_mm256_max_ps(_mm256_andnot_ps(sign, v0), _mm256_andnot_ps(sign, v1)),
                                    _mm256_max_ps(_mm256_andnot_ps(sign, v2), _mm256_andnot_ps(sign, v3)));
        __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(amax), _mm256_extractf128_ps(amax, 1));
        m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
        m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
        float max = _mm_cvtss_f32(m4);
        float d = max / 32767.0f;
        __m256 inv = _mm256_set1_ps(d > 0 ? 1.0f / d : 0.0f);
        __m256i i0 = _mm256_cvtps_epi32(_mm256_mul_ps(v0, inv));
        __m256i i1 = _mm256_cvtps_epi32(_mm256_mul_ps(v1, inv));
        __m256i i2 = _mm256_cvtps_epi32(_mm256_mul_ps(v2, inv));
        __m256i i3 = _mm256_cvtps_epi32(_mm256_mul_ps(v3, inv));
        // packs interleaves 128-bit lanes; the permute restores element order.
        __m256i p01 = _mm256_permute4x64_epi64(_mm256_packs_epi32(i0, i1), 0xD8);
        __m256i p23 = _mm256_permute4x64_epi64(_mm256_packs_epi32(i2, i3), 0xD8);
        _mm256_storeu_si256((__m256i *)(q + 32 * b), p01);
        _mm256_storeu_si256((__m256i *)(q + 32 * b + 16), p23);
        scale[b] = d;
        sum[b] = ls_hsum(_mm256_add_ps(_mm256_add_ps(v0, v1), _mm256_add_ps(v2, v3)));
    }
    return (qrow){q, scale, sum};
}

// MARK: Fused kernels: one weight row against up to four activation rows

#define LS_GROUP 4

static inline __attribute__((always_inline)) void dot_nibbles(const uint8_t *w, int blocks, int stride, int has_min,
                                                               const qrow *rows, int R, float *result) {
    const __m128i mask = _mm_set1_epi8(0x0F);
    __m256 acc[LS_GROUP];
    __m128 offset[LS_GROUP];  // lane 0: even blocks, lane 1: odd blocks (two chains, not one)
    for (int r = 0; r < R; r++) {
        acc[r] = _mm256_setzero_ps();
        offset[r] = _mm_setzero_ps();
    }
    for (int b = 0; b < blocks; b++, w += stride) {
        __m128 dm = ls_half2_to_float(w);  // Q4_0: lane 1 holds quant bytes, unused
        float d = _mm_cvtss_f32(dm);
        __m128 m = has_min ? _mm_movehdup_ps(dm) : _mm_set_ss(-8.0f * d);
        __m128i raw = _mm_loadu_si128((const __m128i *)(w + (has_min ? 4 : 2)));
        __m256i lo = _mm256_cvtepu8_epi16(_mm_and_si128(raw, mask));
        __m256i hi = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(raw, 4), mask));
        for (int r = 0; r < R; r++) {
            const int16_t *a = rows[r].q + 32 * b;
            __m256i p = _mm256_add_epi32(_mm256_madd_epi16(lo, _mm256_loadu_si256((const __m256i *)a)),
                                         _mm256_madd_epi16(hi, _mm256_loadu_si256((const __m256i *)(a + 16))));
            acc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(d * rows[r].scale[b]), acc[r]);
            __m128 term = _mm_mul_ps(m, _mm_load_ss(&rows[r].sum[b]));  // [m*sum, 0, 0, 0]
            offset[r] = _mm_add_ps(offset[r], (b & 1) ? _mm_unpacklo_ps(_mm_setzero_ps(), term) : term);
        }
    }
    for (int r = 0; r < R; r++) {
        __m128 o = offset[r];
        result[r] = ls_hsum(acc[r]) + _mm_cvtss_f32(_mm_add_ss(o, _mm_movehdup_ps(o)));
    }
}

static inline __attribute__((always_inline)) void dot_q8_0(const uint8_t *w, int blocks, const qrow *rows, int R,
                                                            float *result) {
    __m256 acc[LS_GROUP];
    for (int r = 0; r < R; r++) acc[r] = _mm256_setzero_ps();
    for (int b = 0; b < blocks; b++, w += 34) {
        float d = _mm_cvtss_f32(ls_half2_to_float(w));
        __m256i w0 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(w + 2)));
        __m256i w1 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(w + 18)));
        for (int r = 0; r < R; r++) {
            const int16_t *a = rows[r].q + 32 * b;
            __m256i p = _mm256_add_epi32(_mm256_madd_epi16(w0, _mm256_loadu_si256((const __m256i *)a)),
                                         _mm256_madd_epi16(w1, _mm256_loadu_si256((const __m256i *)(a + 16))));
            acc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(d * rows[r].scale[b]), acc[r]);
        }
    }
    for (int r = 0; r < R; r++) result[r] = ls_hsum(acc[r]);
}

static void dot_quantized(int type, const uint8_t *w, int cols, const qrow *rows, int R, float *result) {
    int blocks = cols / 32;
#define LS_DISPATCH(CALL)                                                                                          \
    switch (R) {                                                                                                   \
    case 1: CALL(1); break;                                                                                        \
    case 2: CALL(2); break;                                                                                        \
    case 3: CALL(3); break;                                                                                        \
    default: CALL(4); break;                                                                                       \
    }
    switch (type) {
    case LS_TYPE_Q4_1:
#define LS_Q41(N) dot_nibbles(w, blocks, 20, 1, rows, N, result)
        LS_DISPATCH(LS_Q41)
        break;
    case LS_TYPE_Q4_0:
#define LS_Q40(N) dot_nibbles(w, blocks, 18, 0, rows, N, result)
        LS_DISPATCH(LS_Q40)
        break;
    case LS_TYPE_Q8_0:
#define LS_Q80(N) dot_q8_0(w, blocks, rows, N, result)
        LS_DISPATCH(LS_Q80)
        break;
    }
}

// MARK: Many rows: each weight row widened once, reused for every activation row

/// Widens one weight row to 16-bit integers with its per-block scale and offset (Q4_1's
/// minimum, Q4_0's -8·d, 0 for Q8_0), so the many activation rows of a batch each pay only the
/// multiply-adds.
static void widen_row(int type, const uint8_t *w, int blocks, int16_t *q, float *d, float *m) {
    const __m128i mask = _mm_set1_epi8(0x0F);
    for (int b = 0; b < blocks; b++) {
        if (type == LS_TYPE_Q8_0) {
            const uint8_t *blk = w + 34 * b;
            d[b] = _mm_cvtss_f32(ls_half2_to_float(blk));
            m[b] = 0;
            _mm256_storeu_si256((__m256i *)(q + 32 * b), _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(blk + 2))));
            _mm256_storeu_si256((__m256i *)(q + 32 * b + 16), _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(blk + 18))));
        } else {
            int has_min = type == LS_TYPE_Q4_1;
            const uint8_t *blk = w + (has_min ? 20 : 18) * b;
            __m128 dm = ls_half2_to_float(blk);
            d[b] = _mm_cvtss_f32(dm);
            m[b] = has_min ? _mm_cvtss_f32(_mm_movehdup_ps(dm)) : -8.0f * d[b];
            __m128i raw = _mm_loadu_si128((const __m128i *)(blk + (has_min ? 4 : 2)));
            _mm256_storeu_si256((__m256i *)(q + 32 * b), _mm256_cvtepu8_epi16(_mm_and_si128(raw, mask)));
            _mm256_storeu_si256((__m256i *)(q + 32 * b + 16), _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(raw, 4), mask)));
        }
    }
}

/// One widened weight row against activation rows `rows[0..R)`.
static inline __attribute__((always_inline)) void dot_widened(const int16_t *q, const float *d, const float *m, int blocks,
                                                               const qrow *rows, int R, float *result) {
    __m256 acc[LS_GROUP];
    __m256 offset[LS_GROUP];
    for (int r = 0; r < R; r++) {
        acc[r] = _mm256_setzero_ps();
        offset[r] = _mm256_setzero_ps();
    }
    for (int b = 0; b < blocks; b++) {
        __m256i w0 = _mm256_loadu_si256((const __m256i *)(q + 32 * b));
        __m256i w1 = _mm256_loadu_si256((const __m256i *)(q + 32 * b + 16));
        __m256 db = _mm256_broadcast_ss(d + b);
        for (int r = 0; r < R; r++) {
            const int16_t *a = rows[r].q + 32 * b;
            __m256i p = _mm256_add_epi32(_mm256_madd_epi16(w0, _mm256_loadu_si256((const __m256i *)a)),
                                         _mm256_madd_epi16(w1, _mm256_loadu_si256((const __m256i *)(a + 16))));
            __m256 scaled = _mm256_mul_ps(_mm256_cvtepi32_ps(p), _mm256_broadcast_ss(rows[r].scale + b));
            acc[r] = _mm256_fmadd_ps(scaled, db, acc[r]);
        }
    }
    // The offsets (minimum × block sum) as one dot product over the blocks per row.
    for (int r = 0; r < R; r++) {
        int b = 0;
        for (; b + 8 <= blocks; b += 8)
            offset[r] = _mm256_fmadd_ps(_mm256_loadu_ps(m + b), _mm256_loadu_ps(rows[r].sum + b), offset[r]);
        float tail = 0;
        for (; b < blocks; b++) tail += m[b] * rows[r].sum[b];
        result[r] = ls_hsum(acc[r]) + ls_hsum(offset[r]) + tail;
    }
}

// MARK: Work distribution

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
    _Atomic int share_next[LS_MAX_THREADS];  // next chunk of each worker's share (fused path)
    const qrow *qrows;  // quantized activations when any product has block-quantized weights
    ls_runtime *rt;
} matmul_job;

static void run_fused_chunk(const matmul_job *job, const ls_matmul_op *op, int n0, int n1, float *scratch) {
    const uint8_t *w = op->weights;
    int blocks = op->cols / 32;
    for (int n = n0; n < n1; n++) {
        const uint8_t *row = w + (size_t)n * op->row_bytes;
        if (is_block_quantized(op->type) && job->m > LS_GROUP) {
            // Many rows: widen the weight row once (into L1-resident scratch), reuse it for all.
            int16_t *q = (int16_t *)scratch;
            float *d = (float *)(q + op->cols);
            float *m = d + blocks;
            widen_row(op->type, row, blocks, q, d, m);
            for (int r0 = 0; r0 < job->m; r0 += LS_GROUP) {
                int R = job->m - r0 < LS_GROUP ? job->m - r0 : LS_GROUP;
                float result[LS_GROUP];
                switch (R) {
                case 1: dot_widened(q, d, m, blocks, job->qrows + r0, 1, result); break;
                case 2: dot_widened(q, d, m, blocks, job->qrows + r0, 2, result); break;
                case 3: dot_widened(q, d, m, blocks, job->qrows + r0, 3, result); break;
                default: dot_widened(q, d, m, blocks, job->qrows + r0, 4, result); break;
                }
                for (int r = 0; r < R; r++) {
                    float *o = op->out + (size_t)(r0 + r) * op->ldo + n;
                    *o = op->accumulate ? *o + result[r] : result[r];
                }
            }
        } else if (is_block_quantized(op->type)) {
            for (int r0 = 0; r0 < job->m; r0 += LS_GROUP) {
                int R = job->m - r0 < LS_GROUP ? job->m - r0 : LS_GROUP;
                float result[LS_GROUP];
                dot_quantized(op->type, row, op->cols, job->qrows + r0, R, result);
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

static void run_sgemm_chunk(const matmul_job *job, const ls_matmul_op *op, int n0, int n1, float *scratch) {
    const uint8_t *w = op->weights;
    int rows = n1 - n0;
    for (int n = n0; n < n1; n++) ls_dequantize(op->type, w + (size_t)n * op->row_bytes, scratch + (size_t)(n - n0) * op->cols, op->cols);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, job->m, rows, op->cols, 1.0f, job->x, job->ldx, scratch,
                op->cols, op->accumulate ? 1.0f : 0.0f, op->out + n0, op->ldo);
}

/// Runs rows [begin, end) of the products' rows taken end to end.
static void fused_rows(matmul_job *job, int begin, int end, float *scratch) {
    int offset = 0;
    for (int i = 0; i < job->count && begin < end; i++) {
        const ls_matmul_op *op = &job->ops[i];
        int n0 = begin - offset, n1 = end - offset;
        if (n0 < op->rows && n1 > 0) run_fused_chunk(job, op, n0 > 0 ? n0 : 0, n1 < op->rows ? n1 : op->rows, scratch);
        offset += op->rows;
    }
}

/// The fused path streams weights from memory, so each worker owns one contiguous share of all
/// the products' rows and walks it front to back in chunks (long sequential runs for the
/// hardware prefetchers); a worker done with its share then takes chunks of the others', so a
/// worker the OS delayed does not hold up the join. Decode went from ~100 to ~160 tok/s
/// against interleaved chunks handed out by one counter.
#define LS_FUSED_CHUNK 32
static void fused_worker(matmul_job *job, int worker, int workers, float *scratch) {
    int total = 0;
    for (int i = 0; i < job->count; i++) total += job->ops[i].rows;
    for (int k = 0; k < workers; k++) {
        int share = (worker + k) % workers;
        int begin = (int)((long)total * share / workers);
        int end = (int)((long)total * (share + 1) / workers);
        for (;;) {
            int chunk = atomic_fetch_add_explicit(&job->share_next[share], 1, memory_order_relaxed);
            int n0 = begin + chunk * LS_FUSED_CHUNK;
            if (n0 >= end) break;
            fused_rows(job, n0, n0 + LS_FUSED_CHUNK < end ? n0 + LS_FUSED_CHUNK : end, scratch);
        }
    }
}

static void matmul_worker(void *ctx, int worker, int workers) {
    matmul_job *job = ctx;
    float *scratch = ls_scratch(job->rt, worker);
    if (job->fused) return fused_worker(job, worker, workers, scratch);
    int total = job->chunk_start[job->count];
    for (;;) {
        int index = atomic_fetch_add_explicit(&job->next, 1, memory_order_relaxed);
        if (index >= total) return;
        int o = 0;
        while (index >= job->chunk_start[o + 1]) o++;
        const ls_matmul_op *op = &job->ops[o];
        int n0 = (index - job->chunk_start[o]) * job->chunk_rows[o];
        int n1 = n0 + job->chunk_rows[o] < op->rows ? n0 + job->chunk_rows[o] : op->rows;
        if (job->fused)
            run_fused_chunk(job, op, n0, n1, scratch);
        else
            run_sgemm_chunk(job, op, n0, n1, scratch);
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
    for (int i = 0; i < LS_MAX_THREADS; i++) atomic_init(&job.share_next[i], 0);
    int threads = ls_runtime_threads(rt);
    int fused = m <= quantized_max_rows;
    job.fused = fused;
    size_t scratch = 0;
    int max_cols = 0;
    for (int i = 0; i < count; i++) max_cols = ops[i].cols > max_cols ? ops[i].cols : max_cols;

    if (fused) {
        int quantize = 0;
        for (int i = 0; i < count; i++) quantize |= is_block_quantized(ops[i].type);
        if (quantize) {
            size_t per_row = qrow_bytes(max_cols);
            uint8_t *storage = ls_shared(rt, per_row * (size_t)m + sizeof(qrow) * (size_t)m);
            qrow *rows = (qrow *)(storage + per_row * (size_t)m);
            for (int r = 0; r < m; r++) rows[r] = quantize_row(x + (size_t)r * ldx, ops[0].cols, storage + per_row * r);
            job.qrows = rows;
        }
        for (int i = 0; i < count; i++) job.chunk_rows[i] = 16;
        // Room for a widened row (16-bit values, then per-block scales and offsets) or a float row.
        scratch = (size_t)max_cols * sizeof(float) + 64;
    } else {
        // Tiles of float32 weights, at least one per worker per product. Each sgemm call packs
        // the activations again, so tiles are large (~1 MB): at 32 rows, 256 KB tiles made the
        // output head alone ~440 calls per step, 5% of the time in repacking.
        for (int i = 0; i < count; i++) {
            int tile = (tile_floats / ops[i].cols) & ~15;
            if (tile < 16) tile = 16;
            int tiles = (ops[i].rows + tile - 1) / tile;
            tiles = (tiles + threads - 1) / threads * threads;
            tile = ((ops[i].rows + tiles - 1) / tiles + 15) & ~15;
            job.chunk_rows[i] = tile;
            size_t bytes = (size_t)tile * ops[i].cols * sizeof(float);
            scratch = bytes > scratch ? bytes : scratch;
        }
    }
    job.chunk_start[0] = 0;
    for (int i = 0; i < count; i++)
        job.chunk_start[i + 1] = job.chunk_start[i] + (ops[i].rows + job.chunk_rows[i] - 1) / job.chunk_rows[i];
    ls_reserve_scratch(rt, scratch);
    ls_parallel(rt, matmul_worker, &job);
}
