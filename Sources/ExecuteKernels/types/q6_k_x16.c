// Q6_K packed 16 rows to a group (packed.h): the layout a Q4_K_M model's Q6_K weights are held
// in (its output head, Qwen2.5's 151,936 x 1,536 among them, and half its value and down
// projections), built once at load (ls_pack).
//
// Per group and super-block column, 3,360 bytes (210 per row, as in the file): the rows' f16 d,
// the sixteen signed sub-block scales as sixteen runs of 16 (scale t of row i at 32 + 16t + i),
// then per 32-block 384 bytes: the values' low four bits as Q4_1_x16 holds a block's nibbles
// (ls_pack_nibbles), then their top two bits in two 64-byte chunks, row i's word at 4i: chunk k
// holds units 2k and 2k+1, the bits of the int16 pair met by int32 j of unit 2k+u at bits
// 2j+8u (first of the pair) and 16+2j+8u (second). Values stay unsigned (0..63): the -32 is an
// offset against the activations' 16-value sums, as in the file's kernel (q6_k.c).
#ifndef LS_TYPE_ENTRIES_ONLY
#include "../packed.h"

#define GROUP LS_PACKED_ROWS
#define HEAD_BYTES (2 * GROUP + 16 * GROUP)
#define WORDS_BYTES (64 * 6)

static void q6_k_x16_pack_block(const uint8_t *block, uint8_t *out, int i) {
    memcpy(out + 2 * i, block + 208, 2);
    for (int t = 0; t < 16; t++) out[2 * GROUP + GROUP * t + i] = block[192 + t];
    // ggml's order: per 128 values, ql's 64 bytes (low nibbles, then high) and qh's 32.
    uint8_t q[256];
    for (int half = 0; half < 2; half++) {
        const uint8_t *ql = block + 64 * half, *qh = block + 128 + 32 * half;
        uint8_t *y = q + 128 * half;
        for (int l = 0; l < 32; l++) {
            y[l] = (uint8_t)((ql[l] & 0x0F) | ((qh[l] >> 0) & 3) << 4);
            y[l + 32] = (uint8_t)((ql[l + 32] & 0x0F) | ((qh[l] >> 2) & 3) << 4);
            y[l + 64] = (uint8_t)((ql[l] >> 4) | ((qh[l] >> 4) & 3) << 4);
            y[l + 96] = (uint8_t)((ql[l + 32] >> 4) | ((qh[l] >> 6) & 3) << 4);
        }
    }
    for (int j = 0; j < 8; j++) {
        const uint8_t *v = q + 32 * j;
        uint8_t low[32];
        for (int l = 0; l < 32; l++) low[l] = v[l] & 0x0F;
        uint8_t *words = out + HEAD_BYTES + WORDS_BYTES * j;
        ls_pack_nibbles(low, words, i);
        for (int k = 0; k < 2; k++) {
            uint32_t word = 0;
            for (int u = 0; u < 2; u++)
                for (int n = 0; n < 4; n++) {
                    int c = 2 * k + u;
                    word |= (uint32_t)(v[ls_element_of(c, 2 * n)] >> 4) << (2 * n + 8 * u);
                    word |= (uint32_t)(v[ls_element_of(c, 2 * n + 1)] >> 4) << (16 + 2 * n + 8 * u);
                }
            memcpy(words + 256 + 64 * k + 4 * i, &word, 4);
        }
    }
}

static void q6_k_x16_pack(const uint8_t *src, int rows, int cols, uint8_t *dst) {
    ls_pack_rows(q6_k_x16_pack_block, 256, 210, 210 * GROUP, src, rows, cols, dst);
}

/// Unit `c`'s values 0..63: the low nibbles as Q4_1_x16's, the top bits shifted to bits 4-5.
static inline __attribute__((always_inline)) void q6_k_x16_unit(const uint8_t *words, int c, vint e[4]) {
    ls_nibble_unit(words, c, e);
    const vint top = vint_set1(0x00300030);
    vint high = vint_loadu(words + 256 + 64 * (c >> 1));
    int u = c & 1;
    for (int j = 0; j < 4; j++) {
        int at = 2 * j + 8 * u;
        vint bits = at <= 4 ? vint_slli16(high, (unsigned)(4 - at)) : vint_srli16(high, (unsigned)(at - 4));
        e[j] = vint_or(e[j], vint_and(bits, top));
    }
}

/// d·sc of the sixteen sub-blocks of 16 values, and -32·d·sc against their activation sums.
static inline __attribute__((always_inline)) void q6_k_x16_head(const uint8_t *super, int h, vfloat *d, vfloat *m) {
    vfloat dd = vfloat_halves(super + 2 * LS_VECTOR_LANES * h);
    for (int t = 0; t < 16; t++) {
        __m128i sc = _mm_loadu_si128((const __m128i *)(super + 2 * GROUP + GROUP * t + LS_VECTOR_LANES * h));
        d[t] = vfloat_mul(dd, vfloat_from_i8(sc));
        m[t] = vfloat_mul(d[t], vfloat_set1(-32.0f));
    }
}

/// The widened form (many activation rows): (q - 32)·sc in the weights, d the block's scale.
static inline __attribute__((always_inline)) vfloat q6_k_x16_fold(const uint8_t *super, int j, int h, int c, vint e[4]) {
    q6_k_x16_unit(super + HEAD_BYTES + WORDS_BYTES * j + 4 * LS_VECTOR_LANES * h, c, e);
    // Units 0 and 2 are the block's first 16 values, 1 and 3 its second.
    __m128i sc = _mm_loadu_si128((const __m128i *)(super + 2 * GROUP + GROUP * (2 * j + (c & 1)) + LS_VECTOR_LANES * h));
    vint scale = vint_pairs_from_i8(sc), bias = vint_set1(0x00200020);
    for (int k = 0; k < 4; k++) e[k] = vint_mullo16(vint_sub16(e[k], bias), scale);
    return vfloat_halves(super + 2 * LS_VECTOR_LANES * h);
}

LS_PACKED_KERNELS(q6_k_x16, q6_k_x16_unit, q6_k_x16_head, NULL, q6_k_x16_fold,
                  ((ls_packed_shape){HEAD_BYTES, WORDS_BYTES, 8, 2, 1}))

#undef GROUP
#undef HEAD_BYTES
#undef WORDS_BYTES
#endif

LS_TYPE(q6_k_x16, 1014, .block_values = 256, .block_bytes = 210, .dot = q6_k_x16_dot, .widened_max = 4096,
        .offsets = 0, .packed_rows = LS_PACKED_ROWS, .packs = 14, .pack = q6_k_x16_pack,
        .widen_group = q6_k_x16_widen_group)
