// Q4_1 packed 16 rows at a time (LS_TYPE_Q4_1_X16): the layout the decode kernel of SmolLM2's
// Q4_1 weights reads, built once at load (ls_pack).
//
// In the file's layout a vector holds one row's weights, so each block of 32 costs a horizontal
// sum, per-block scale shuffles and widening shuffles for a handful of multiply-adds. Here a
// vector's lanes are 16 (AVX-512) or 8 (AVX2) weight rows: the rows' 32-bit words of nibbles are
// widened by shifts and masks alone, each met by one broadcast pair of activations (`vpdpwssd`
// with an embedded broadcast in the AVX-512 build), and the rows' scales and minimums arrive as
// one vector of f16 each. No horizontal sums; the outputs come out as a vector.
//
// Per group of 16 rows and per 32-block column b, 320 bytes (20 per row, as in the file): the
// rows' f16 scales, the rows' f16 minimums, then four chunks of 64 bytes. Chunk c holds each
// row's 32-bit word (row i at byte 4i) of eight nibbles: nibble j (bits 4j..4j+3) and nibble j+4
// (bits 16+4j..) are the weights met by the two activations of int32 j of the block's activation
// group c (quantized.h: groups of elements {2i}, {2i+16}, {2i+1}, {2i+17}), so `(word >> 4j) &
// 0x000F000F` is the int16 pair matching that int32.
//
// Against the file's layout on SmolLM2's shapes (Zen 4, one activation row, 236k rows of 576,
// streamed from memory; prototype measured before integrating): one thread 6.6-7.4 -> 3.3-4.0 ms
// per pass, two threads 4.0-5.1 -> 2.6-3.1 ms; in L1/L2 (4608 rows) 0.12-0.135 -> 0.044 ms.
#include "vector.h"

#define LANES LS_VECTOR_LANES
#define GROUP LS_PACKED_ROWS
#define BLOCK_BYTES (GROUP * 20)

/// Element of a 32-block at word `i` of activation group `c` (quantized.h's layout).
static int element_of(int c, int i) { return 2 * (i % 8) + (c & 1) * 16 + (c >> 1); }

static void q4_1_x16_pack(const uint8_t *src, int rows, int cols, uint8_t *dst) {
    int blocks = cols / 32;
    for (int g = 0; g < rows / GROUP; g++)
        for (int b = 0; b < blocks; b++) {
            uint8_t *out = dst + ((size_t)g * blocks + b) * BLOCK_BYTES;
            for (int i = 0; i < GROUP; i++) {
                const uint8_t *block = src + ((size_t)(GROUP * g + i) * blocks + b) * 20;
                memcpy(out + 2 * i, block, 2);
                memcpy(out + 2 * GROUP + 2 * i, block + 2, 2);
                uint8_t q[32];
                for (int l = 0; l < 16; l++) {
                    q[l] = block[4 + l] & 0x0F;
                    q[l + 16] = block[4 + l] >> 4;
                }
                for (int c = 0; c < 4; c++) {
                    uint32_t word = 0;
                    for (int j = 0; j < 4; j++)
                        word |= (uint32_t)q[element_of(c, 2 * j)] << (4 * j) |
                                (uint32_t)q[element_of(c, 2 * j + 1)] << (16 + 4 * j);
                    memcpy(out + 4 * GROUP + 64 * c + 4 * i, &word, 4);
                }
            }
        }
}

/// Lanes [LANES·h, LANES·h + LANES) of a group of rows against activation rows `rows[0..R)`:
/// result[r] gets their dot products with row r. One activation row keeps two chains of integer
/// sums, so a block's 16 multiply-adds are not one chain of their latency; more rows are chains
/// enough, and one chain each keeps the AVX2 build within its 16 registers (two each spilled: 2
/// and 4 rows were no faster than the file's layout).
static inline __attribute__((always_inline)) void group_dot(const uint8_t *group, int blocks, int h, const qrow *rows,
                                                            int R, vfloat *result) {
    const vint mask = vint_set1(0x000F000F);
    const int chains = R == 1 ? 2 : 1;
    vfloat acc[LS_GROUP];
    for (int r = 0; r < R; r++) acc[r] = vfloat_zero();
    for (int b = 0; b < blocks; b++) {
        const uint8_t *block = group + (size_t)b * BLOCK_BYTES;
        int p = b >> 1, half = b & 1;
        vint sums[LS_GROUP][2];
        for (int r = 0; r < R; r++) sums[r][0] = sums[r][1] = vint_zero();
        for (int c = 0; c < 4; c++) {
            vint v = vint_loadu(block + 4 * GROUP + 64 * c + 4 * LANES * h);
            vint e[4] = {vint_and(v, mask), vint_and(vint_srli16(v, 4), mask), vint_and(vint_srli16(v, 8), mask),
                         vint_srli16(v, 12)};
            for (int r = 0; r < R; r++) {
                const int32_t *a = (const int32_t *)(rows[r].q + 64 * p + 16 * c + 8 * half);
                for (int j = 0; j < 4; j++) sums[r][c % chains] = dot_broadcast(sums[r][c % chains], e[j], a + j);
            }
        }
        vfloat d = vfloat_halves(block + 2 * LANES * h), m = vfloat_halves(block + 2 * GROUP + 2 * LANES * h);
        for (int r = 0; r < R; r++) {
            float scale = rows[r].scale[8 * p + 4 * half];
            float sum = rows[r].sum[4 * p + 2 * half] + rows[r].sum[4 * p + 2 * half + 1];
            vint total = chains == 2 ? vint_add(sums[r][0], sums[r][1]) : sums[r][0];
            acc[r] = vfloat_fmadd(vfloat_from(total), vfloat_mul(d, vfloat_set1(scale)), acc[r]);
            acc[r] = vfloat_fmadd(m, vfloat_set1(sum), acc[r]);
        }
    }
    for (int r = 0; r < R; r++) result[r] = acc[r];
}

static inline __attribute__((always_inline)) void dot_groups(const uint8_t *w, size_t row_bytes, int n, int cols,
                                                             const qrow *rows, int R, float *out, int ldo,
                                                             int accumulate) {
    int blocks = cols / 32;
    for (int g = 0; g < n / GROUP; g++)
        for (int h = 0; h < GROUP / LANES; h++) {
            vfloat result[LS_GROUP];
            group_dot(w + (size_t)g * GROUP * row_bytes, blocks, h, rows, R, result);
            for (int r = 0; r < R; r++) {
                float *o = out + (size_t)r * (size_t)ldo + GROUP * g + LANES * h;
                vfloat_storeu(o, accumulate ? vfloat_add(result[r], vfloat_loadu(o)) : result[r]);
            }
        }
}

static void q4_1_x16_dot(const uint8_t *w, size_t row_bytes, int n, int cols, const qrow *rows, int R, float *out,
                         int ldo, int accumulate) {
    switch (R) {
    case 1: dot_groups(w, row_bytes, n, cols, rows, 1, out, ldo, accumulate); break;
    case 2: dot_groups(w, row_bytes, n, cols, rows, 2, out, ldo, accumulate); break;
    case 3: dot_groups(w, row_bytes, n, cols, rows, 3, out, ldo, accumulate); break;
    default: dot_groups(w, row_bytes, n, cols, rows, 4, out, ldo, accumulate); break;
    }
}

/// Eight rows' int32s of one chunk of a block, each row's four in a 128-bit lane: rows[k] holds
/// row k in its low 128 bits, row 4 + k in its high ones (a 4 x 8 transpose of the words shifted
/// and masked into int32 j = 0..3).
static inline __attribute__((always_inline)) void chunk_rows(const uint8_t *words, __m256i rows[4]) {
    const __m256i mask = _mm256_set1_epi32(0x000F000F);
    __m256i v = _mm256_loadu_si256((const __m256i *)words);
    __m256i e0 = _mm256_and_si256(v, mask), e1 = _mm256_and_si256(_mm256_srli_epi32(v, 4), mask);
    __m256i e2 = _mm256_and_si256(_mm256_srli_epi32(v, 8), mask), e3 = _mm256_and_si256(_mm256_srli_epi32(v, 12), mask);
    __m256i t0 = _mm256_unpacklo_epi32(e0, e1), t1 = _mm256_unpackhi_epi32(e0, e1);
    __m256i t2 = _mm256_unpacklo_epi32(e2, e3), t3 = _mm256_unpackhi_epi32(e2, e3);
    rows[0] = _mm256_unpacklo_epi64(t0, t2);
    rows[1] = _mm256_unpackhi_epi64(t0, t2);
    rows[2] = _mm256_unpacklo_epi64(t1, t3);
    rows[3] = _mm256_unpackhi_epi64(t1, t3);
}

/// Every row of a group widened as the file's Q4_1 rows are (q4_q8.c), row i into scratch +
/// i·stride, a pair of blocks and eight rows at a time: each row's vector of a pair is one store.
static void q4_1_x16_widen_group(const uint8_t *group, int cols, uint8_t *scratch, size_t stride) {
    int blocks = cols / 32, pairs = (blocks + 1) / 2;
    for (int p = 0; p < pairs; p++) {
        // A row ending on a lone block pairs it with zeros.
        const uint8_t *a = group + (size_t)(2 * p) * BLOCK_BYTES;
        const uint8_t *b = 2 * p + 1 < blocks ? a + BLOCK_BYTES : NULL;
        for (int first = 0; first < GROUP; first += 8) {
            uint8_t *row = scratch + (size_t)first * stride;
            for (int c = 0; c < 4; c++) {
                __m256i ra[4], rb[4] = {_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256(),
                                        _mm256_setzero_si256()};
                chunk_rows(a + 4 * GROUP + 64 * c + 4 * first, ra);
                if (b) chunk_rows(b + 4 * GROUP + 64 * c + 4 * first, rb);
                size_t at = (size_t)(4 * p + c) * 32;
                for (int k = 0; k < 4; k++) {
                    _mm256_storeu_si256((__m256i *)(row + (size_t)k * stride + at), _mm256_permute2x128_si256(ra[k], rb[k], 0x20));
                    _mm256_storeu_si256((__m256i *)(row + (size_t)(4 + k) * stride + at), _mm256_permute2x128_si256(ra[k], rb[k], 0x31));
                }
            }
            float da[8], ma[8], db[8] = {0}, mb[8] = {0};
            _mm256_storeu_ps(da, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(a + 2 * first))));
            _mm256_storeu_ps(ma, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(a + 2 * GROUP + 2 * first))));
            if (b) {
                _mm256_storeu_ps(db, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(b + 2 * first))));
                _mm256_storeu_ps(mb, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(b + 2 * GROUP + 2 * first))));
            }
            for (int k = 0; k < 8; k++) {
                float *scales = (float *)(row + (size_t)k * stride + (size_t)pairs * 128);
                _mm256_storeu_ps(scales + 8 * p, ls_spread2(da[k], db[k]));
                _mm_storeu_ps(scales + 8 * pairs + 4 * p, _mm_setr_ps(ma[k], ma[k], mb[k], mb[k]));
            }
        }
    }
}

const ls_quant_kernels ls_q4_1_x16_kernels = {32, 20, NULL, q4_1_x16_dot, NULL, 15, 1, GROUP, q4_1_x16_pack, q4_1_x16_widen_group};
