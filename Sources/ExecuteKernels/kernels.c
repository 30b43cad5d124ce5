// The public entry points of the kernels compiled twice (see internal.h): each runs the kernel
// set its runtime was created with. Also the products' tunables, which both sets share.
#define LS_KERNEL_DISPATCH
#include "quantized.h"

// -1: each kernel set's own crossover (LS_FUSED_MAX_ROWS, matmul.c).
int ls_tuned_quantized_max_rows = -1;
int ls_tuned_tile_floats = 262144;

void ls_set_sgemm_tile_floats(int floats) { ls_tuned_tile_floats = floats; }
void ls_set_quantized_max_rows(int rows) { ls_tuned_quantized_max_rows = rows; }
int ls_quantized_max_rows(void) { return ls_tuned_quantized_max_rows; }

void ls_matmul_avx2(ls_runtime *rt, const float *x, int m, int ldx, const ls_matmul_op *ops, int count);
void ls_matmul_avx512(ls_runtime *rt, const float *x, int m, int ldx, const ls_matmul_op *ops, int count);

void ls_matmul(ls_runtime *rt, const float *x, int m, int ldx, const ls_matmul_op *ops, int count) {
    if (ls_runtime_kernels(rt) == LS_KERNELS_AVX512)
        ls_matmul_avx512(rt, x, m, ldx, ops, count);
    else
        ls_matmul_avx2(rt, x, m, ldx, ops, count);
}

void ls_attention_avx2(ls_runtime *rt, const float *q, int ldq, const uint16_t *k_cache, const uint16_t *v_cache,
                       int heads, int kv_heads, int head_dim, float scale, int window,
                       const ls_attention_segment *segments, int segment_count, float *out, int ldo);
void ls_attention_avx512(ls_runtime *rt, const float *q, int ldq, const uint16_t *k_cache, const uint16_t *v_cache,
                         int heads, int kv_heads, int head_dim, float scale, int window,
                         const ls_attention_segment *segments, int segment_count, float *out, int ldo);

void ls_attention(ls_runtime *rt, const float *q, int ldq, const uint16_t *k_cache, const uint16_t *v_cache, int heads,
                  int kv_heads, int head_dim, float scale, int window, const ls_attention_segment *segments,
                  int segment_count, float *out, int ldo) {
    if (ls_runtime_kernels(rt) == LS_KERNELS_AVX512)
        ls_attention_avx512(rt, q, ldq, k_cache, v_cache, heads, kv_heads, head_dim, scale, window, segments,
                            segment_count, out, ldo);
    else
        ls_attention_avx2(rt, q, ldq, k_cache, v_cache, heads, kv_heads, head_dim, scale, window, segments,
                          segment_count, out, ldo);
}

void ls_dequantize_avx2(int type, const void *src, float *dst, int n);
void ls_dequantize_avx512(int type, const void *src, float *dst, int n);

void ls_dequantize_using(int kernels, int type, const void *src, float *dst, int n) {
    if (kernels == LS_KERNELS_AVX512)
        ls_dequantize_avx512(type, src, dst, n);
    else
        ls_dequantize_avx2(type, src, dst, n);
}

void ls_dequantize(int type, const void *src, float *dst, int n) { ls_dequantize_using(LS_KERNELS_AVX2, type, src, dst, n); }

// MARK: The types' geometry and packed layouts (the same in either kernel set, so the baseline's answers)

const ls_quant_kernels *ls_quant_kernels_for_avx2(int type);
int ls_packed_layout_avx2(int type);

int ls_block_geometry(int type, int *values, int *bytes) {
    const ls_quant_kernels *kernels = ls_quant_kernels_for_avx2(type);
    if (!kernels) return -1;
    *values = kernels->block_values;
    *bytes = kernels->block_bytes;
    return 0;
}

int ls_packed_type(int type, int rows, int cols) {
    if (rows <= 0 || rows % LS_PACKED_ROWS != 0 || cols <= 0) return -1;
    int packed = ls_packed_layout_avx2(type);
    if (packed < 0 || cols % ls_quant_kernels_for_avx2(packed)->block_values != 0) return -1;
    return packed;
}

void ls_pack(int packed_type, const void *src, int rows, int cols, void *dst) {
    const ls_quant_kernels *kernels = ls_quant_kernels_for_avx2(packed_type);
    if (kernels && kernels->pack) kernels->pack(src, rows, cols, dst);
}
