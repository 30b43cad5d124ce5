// Numeric kernels of LightServe's Execute stage: a fork-join pool that owns the compute threads,
// quantized and float matrix products, attention over the token-slot KV pool, and the small
// elementwise steps of a Llama layer. Everything here runs on threads the pool owns, never on
// Swift's cooperative pool. Compiled for AVX2 + FMA + F16C (the CI machines' baseline), with the
// matrix products, dequantizers and attention compiled a second time for AVX-512 + VNNI and
// chosen per runtime (LS_KERNELS_*), so one binary runs, and uses, both kinds of processor.
#pragma once

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Tensor types are ggml's codes (GGUF's): the float types F32 (0), F16 (1) and BF16 (30), and
/// the block-quantized types listed in types/types.h, one file each. LightServe's own packed
/// layouts (ls_pack), never found in a file, have codes of their own: 1000 + the code of the file
/// type they repack.

/// The geometry of block-quantized type or packed layout `type`: 0 with the values and bytes of
/// one block (a packed layout: of one row's part of a block, as in the file), or -1 for float
/// types and codes the kernels do not know.
int ls_block_geometry(int type, int *values, int *bytes);

/// Rows per group of a packed layout: a packed matrix has a whole number of groups, and the
/// products split its work only between groups.
#define LS_PACKED_ROWS 16

/// The packed layout the kernels have for `rows` x `cols` weights of `type` (a row-interleaved
/// layout their few-rows kernels read at several times the speed of the file's), or -1 when
/// there is none for the type, `rows` is not a multiple of LS_PACKED_ROWS or `cols` not one of
/// the type's block (256 values for the K-quants and IQ4_XS). A packed matrix
/// takes the same bytes as the file's and the same ls_matmul_op (row_bytes as in the file), but
/// its rows are not contiguous: ls_dequantize cannot decode them.
int ls_packed_type(int type, int rows, int cols);

/// Writes `rows` x `cols` weights of the file type that `packed_type` repacks (`src`, rows
/// contiguous) into `dst` in that layout: as many bytes as `src`.
void ls_pack(int packed_type, const void *src, int rows, int cols, void *dst);

// MARK: OpenBLAS

/// Opens OpenBLAS (libopenblas.so.0) for this process, once; later calls only report. Unless the
/// environment already names one, `core_type` (NULL: OpenBLAS's own choice) is put in
/// OPENBLAS_CORETYPE for the load and removed after it: OpenBLAS chooses its kernels while it
/// loads and never again. OpenBLAS is held to one thread per call. Returns 0, or -1 with the
/// reason in `error`.
int ls_blas_load(const char *core_type, char *error, int error_len);

/// Whether OpenBLAS is loaded in this process.
int ls_blas_loaded(void);

/// The kernel set OpenBLAS runs ("Haswell", "SkylakeX", "Prescott", ...); NULL before a load.
const char *ls_blas_core_name(void);

/// Row-major single-threaded sgemm through the loaded OpenBLAS: `c = alpha · a · op(b) + beta · c`,
/// op(b) = bᵀ when `trans_b`. OpenBLAS must be loaded (ls_blas_load).
void ls_blas_sgemm(int trans_b, int m, int n, int k, float alpha, const float *a, int lda, const float *b, int ldb,
                   float beta, float *c, int ldc);

// MARK: Runtime: compute threads and their scratch memory

/// The kernel sets a runtime can run: the baseline, and the AVX-512 build of the same kernels
/// (needs AVX-512 F, BW, VL and VNNI; the caller checks the processor).
enum { LS_KERNELS_AVX2 = 0, LS_KERNELS_AVX512 = 1 };

/// A fork-join pool of `threads` workers (the calling thread is worker 0) with per-worker
/// scratch buffers. Not thread-safe: one owner thread drives it.
typedef struct ls_runtime ls_runtime;

/// Creates the pool, whose products and attention run kernel set `kernels`. OpenBLAS must be
/// loaded first (ls_blas_load, with the core type chosen for the processor): a runtime never
/// loads it, because the first load in a process fixes its kernels. Returns NULL, with every
/// thread it started joined again, if a thread or the pool cannot be had or OpenBLAS is not
/// loaded; `error` then holds the failing call's errno (ELIBACC: OpenBLAS not loaded).
ls_runtime *ls_runtime_create(int threads, int kernels, int *error);
void ls_runtime_destroy(ls_runtime *rt);
int ls_runtime_threads(const ls_runtime *rt);
int ls_runtime_kernels(const ls_runtime *rt);

/// Whether a kernel since the last call skipped its work because its working memory could not
/// be allocated (its outputs are then garbage); clears the flag.
int ls_runtime_take_failure(ls_runtime *rt);

// MARK: Matrix products

/// One product `out[m, n] (+)= sum_k x[m, k] * W[n, k]` with W stored as `rows` rows of `cols`
/// elements of ggml type `type`.
typedef struct {
    const void *weights;
    int type;
    int rows;
    int cols;
    size_t row_bytes;
    float *out;
    int ldo;
    int accumulate;
} ls_matmul_op;

/// Runs `count` products that share the input `x` (`m` rows, row stride `ldx`). Small `m` takes
/// the fused quantized kernel (weights read once, activations as 16-bit integers per 32-block);
/// large `m` runs quantized weights through the integer GEMM (the same 16-bit activations, weights
/// widened once per row), and dequantizes float weights' tiles into per-thread scratch for
/// `cblas_sgemm`.
void ls_matmul(ls_runtime *rt, const float *x, int m, int ldx, const ls_matmul_op *ops, int count);

/// Rows at or below which `ls_matmul` uses the fused quantized kernel (tunable for benchmarks;
/// -1, the default, is the kernel set's measured crossover).
void ls_set_quantized_max_rows(int rows);
int ls_quantized_max_rows(void);

/// Float32 weights dequantized per sgemm call (tunable for benchmarks).
void ls_set_sgemm_tile_floats(int floats);

/// Dequantizes `n` elements (a whole number of blocks) of type `type` into `dst`, bit for bit as
/// ggml's reference dequantizers (and the `gguf` Python package) do for the K-quants and Q5 types.
/// Every kernel set gives the same bits; this one runs the baseline's.
void ls_dequantize(int type, const void *src, float *dst, int n);
/// ``ls_dequantize`` with kernel set `kernels` (tests pin that the sets agree).
void ls_dequantize_using(int kernels, int type, const void *src, float *dst, int n);

// MARK: Attention

/// One sequence's run of consecutive query rows in a batch: rows `row .. row+count-1` are
/// positions `position .. position+count-1` of a sequence whose KV lives in slots `slots[0 ..
/// position+count-1]` (one slot per position).
typedef struct {
    int row;
    int count;
    int position;
    const int32_t *slots;
} ls_attention_segment;

/// Causal grouped-query attention for every segment. `q` is `rows x (heads*head_dim)` with
/// stride `ldq`; `k_cache`/`v_cache` are the layer's slot pools, `kv_heads*head_dim` half-precision
/// values per slot; writes `out` (`rows x heads*head_dim`, stride `ldo`). Scores are `q·k * scale`;
/// with `window` > 0 a query at position p sees only keys at positions above p - window (sliding-
/// window layers), with 0 every earlier key.
void ls_attention(ls_runtime *rt, const float *q, int ldq, const uint16_t *k_cache, const uint16_t *v_cache,
                  int heads, int kv_heads, int head_dim, float scale, int window, const ls_attention_segment *segments,
                  int segment_count, float *out, int ldo);

/// Writes row `r` of `k` and `v` (stride `ld`, `kv_dim` a multiple of 8) into slot `slots[r]` of
/// the layer's pools, rounded to half precision.
void ls_store_kv(const float *k, const float *v, int ld, int rows, const int32_t *slots, uint16_t *k_cache,
                 uint16_t *v_cache, int kv_dim);

// MARK: Elementwise

/// `out[r] = x[r] / rms(x[r]) * weight` for `rows` rows of `dim`.
void ls_rmsnorm(const float *x, int ldx, const float *weight, float *out, int ldo, int rows, int dim, float eps);

/// ``ls_rmsnorm`` and ``ls_swiglu`` with their rows spread over the runtime's threads (worth it
/// from a few dozen rows: prefill chunks and wide decode batches).
void ls_rmsnorm_parallel(ls_runtime *rt, const float *x, int ldx, const float *weight, float *out, int ldo, int rows,
                         int dim, float eps);
void ls_swiglu_parallel(ls_runtime *rt, const float *gate, int ldg, const float *up, int ldu, float *out, int ldo, int rows,
                        int n);

/// Rotates adjacent pairs `(2i, 2i+1)` of the first `rotary_dim` dims of each head by the
/// row's angles: `cos_sin` holds, per row, `rotary_dim/2` cosines then `rotary_dim/2` sines.
void ls_rope(float *x, int ldx, int rows, int heads, int head_dim, int rotary_dim, const float *cos_sin);

/// `out[i] = silu(gate[i]) * up[i]` over `rows` rows of `n`.
void ls_swiglu(const float *gate, int ldg, const float *up, int ldu, float *out, int ldo, int rows, int n);

/// `x[i] = exp(x[i] - max)` then normalised to sum 1; returns log(sum) + max (the log-partition).
float ls_softmax(float *x, int n);

/// log(sum of exp(x[i])) over `n` values, without overflow and without writing `x`; `max` is
/// the largest of them, which the caller already has (greedy sampling: the argmax's logit).
float ls_logsumexp(const float *x, int n, float max);

/// Index of the largest of `n` values (first on ties); `x` must hold no NaN (ls_make_finite).
int ls_argmax(const float *x, int n);

/// NaN becomes -inf and +inf the largest finite float; returns whether any value is above -inf.
int ls_make_finite(float *x, int n);

// MARK: Optional block parts (families other than plain Llama)

/// `x[r] += bias` for `rows` rows of `n` (q/k/v biases).
void ls_add_bias(float *x, int ldx, int rows, const float *bias, int n);

/// Like ``ls_rope`` with the NEOX layout: element `i` rotates with element `i + rotary_dim/2`.
void ls_rope_neox(float *x, int ldx, int rows, int heads, int head_dim, int rotary_dim, const float *cos_sin);

/// `out[i] = gelu_tanh(gate[i]) * up[i]` over `rows` rows of `n` (GeGLU).
void ls_geglu(const float *gate, int ldg, const float *up, int ldu, float *out, int ldo, int rows, int n);
void ls_geglu_parallel(ls_runtime *rt, const float *gate, int ldg, const float *up, int ldu, float *out, int ldo, int rows,
                       int n);

/// `residual[r] += x[r] / rms(x[r]) * weight`: a norm on a sub-layer's output, then the residual add.
void ls_rmsnorm_add(const float *x, int ldx, const float *weight, float *residual, int ldr, int rows, int dim, float eps);
void ls_rmsnorm_add_parallel(ls_runtime *rt, const float *x, int ldx, const float *weight, float *residual, int ldr,
                             int rows, int dim, float eps);

#ifdef __cplusplus
}
#endif
