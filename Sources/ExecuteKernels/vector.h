// The vector operations the integer kernels are written over, once per build: 512-bit vectors of
// 16 lanes in the AVX-512 build, 256-bit vectors of 8 in the AVX2 one. A kernel written over them
// (gemm.c, packed.h) is one source for both builds.
#pragma once

#include "quantized.h"

#ifdef LS_VNNI
typedef __m512i vint;
typedef __m512 vfloat;

static inline __attribute__((always_inline)) vint vint_load(const void *p) { return _mm512_load_si512(p); }
static inline __attribute__((always_inline)) vint vint_loadu(const void *p) { return _mm512_loadu_si512(p); }
static inline __attribute__((always_inline)) void vint_store(void *p, vint v) { _mm512_store_si512(p, v); }
static inline __attribute__((always_inline)) vint vint_zero(void) { return _mm512_setzero_si512(); }
static inline __attribute__((always_inline)) vfloat vfloat_load(const float *p) { return _mm512_load_ps(p); }
static inline __attribute__((always_inline)) void vfloat_store(float *p, vfloat v) { _mm512_store_ps(p, v); }
static inline __attribute__((always_inline)) vfloat vfloat_zero(void) { return _mm512_setzero_ps(); }
static inline __attribute__((always_inline)) vfloat vfloat_set1(float x) { return _mm512_set1_ps(x); }
static inline __attribute__((always_inline)) vfloat vfloat_add(vfloat a, vfloat b) { return _mm512_add_ps(a, b); }
static inline __attribute__((always_inline)) vfloat vfloat_mul(vfloat a, vfloat b) { return _mm512_mul_ps(a, b); }
static inline __attribute__((always_inline)) vfloat vfloat_fmadd(vfloat a, vfloat b, vfloat c) { return _mm512_fmadd_ps(a, b, c); }
static inline __attribute__((always_inline)) vfloat vfloat_from(vint v) { return _mm512_cvtepi32_ps(v); }
static inline __attribute__((always_inline)) vint vint_add(vint a, vint b) { return _mm512_add_epi32(a, b); }
static inline __attribute__((always_inline)) vint vint_and(vint a, vint b) { return _mm512_and_si512(a, b); }
static inline __attribute__((always_inline)) vint vint_set1(int32_t x) { return _mm512_set1_epi32(x); }
/// Each 16-bit lane shifted right by `n` (a constant), zeros in.
static inline __attribute__((always_inline)) vint vint_srli16(vint v, unsigned n) { return _mm512_srli_epi16(v, n); }
static inline __attribute__((always_inline)) vint vint_slli16(vint v, unsigned n) { return _mm512_slli_epi16(v, n); }
/// Each 16-bit lane shifted right by `n` (a constant), the sign in.
static inline __attribute__((always_inline)) vint vint_srai16(vint v, unsigned n) { return _mm512_srai_epi16(v, n); }
static inline __attribute__((always_inline)) vint vint_or(vint a, vint b) { return _mm512_or_si512(a, b); }
static inline __attribute__((always_inline)) vint vint_sub16(vint a, vint b) { return _mm512_sub_epi16(a, b); }
static inline __attribute__((always_inline)) vint vint_mullo16(vint a, vint b) { return _mm512_mullo_epi16(a, b); }
/// The vector's lanes' unsigned bytes, the first 16 of `bytes`, as floats.
static inline __attribute__((always_inline)) vfloat vfloat_from_u8(__m128i bytes) { return _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(bytes)); }
/// The same for signed bytes.
static inline __attribute__((always_inline)) vfloat vfloat_from_i8(__m128i bytes) { return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(bytes)); }
/// Each lane's signed byte of the first 16 of `bytes` in both its int16 halves.
static inline __attribute__((always_inline)) vint vint_pairs_from_i8(__m128i bytes) {
    return _mm512_cvtepi8_epi16(_mm256_set_m128i(_mm_unpackhi_epi8(bytes, bytes), _mm_unpacklo_epi8(bytes, bytes)));
}
static inline __attribute__((always_inline)) vfloat vfloat_loadu(const float *p) { return _mm512_loadu_ps(p); }
static inline __attribute__((always_inline)) void vfloat_storeu(float *p, vfloat v) { _mm512_storeu_ps(p, v); }
/// A vector of f16 values at `p` (16 of them) as floats.
static inline __attribute__((always_inline)) vfloat vfloat_halves(const void *p) {
    return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)p));
}

/// acc + the pairwise products of x and the int32 at `w` (two int16) in every lane, always as one
/// `vpdpwssd` with an embedded broadcast. Under its generic tuning clang splits the intrinsic
/// into `vpmaddwd` + `vpaddd` (perf, first version: 43% of the kernel's samples on the two
/// halves, 1% on `vpdpwssd`); the folded broadcast against a separate `vpbroadcastd` took the
/// layer at 32 rows from 1.43-1.52 to 1.40-1.51 ms and at 512 rows from 25.3 to 23.0-24.4 ms.
static inline __attribute__((always_inline)) vint dot_broadcast(vint acc, vint x, const int32_t *w) {
    __asm__("vpdpwssd %2%{1to16%}, %1, %0" : "+v"(acc) : "v"(x), "m"(*w));
    return acc;
}

/// Transposes 16 vectors of 16 int32 (v[i] element j becomes v[j] element i): 32-bit and
/// 64-bit unpacks transpose 4x4 blocks within each 128-bit lane, two 128-bit shuffles move the
/// blocks.
static inline __attribute__((always_inline)) void transpose(vint v[16]) {
    __m512i t[16];
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_epi32(v[i], v[i + 1]);
        t[i + 1] = _mm512_unpackhi_epi32(v[i], v[i + 1]);
    }
    // v[4q + k], lane j: rows 4q..4q+3 of column 4j + k.
    for (int q = 0; q < 16; q += 4) {
        v[q] = _mm512_unpacklo_epi64(t[q], t[q + 2]);
        v[q + 1] = _mm512_unpackhi_epi64(t[q], t[q + 2]);
        v[q + 2] = _mm512_unpacklo_epi64(t[q + 1], t[q + 3]);
        v[q + 3] = _mm512_unpackhi_epi64(t[q + 1], t[q + 3]);
    }
    for (int k = 0; k < 4; k++) {
        t[k] = _mm512_shuffle_i32x4(v[k], v[4 + k], 0x88);       // lanes 0, 2 of rows 0-3, 4-7
        t[4 + k] = _mm512_shuffle_i32x4(v[k], v[4 + k], 0xDD);   // lanes 1, 3
        t[8 + k] = _mm512_shuffle_i32x4(v[8 + k], v[12 + k], 0x88);
        t[12 + k] = _mm512_shuffle_i32x4(v[8 + k], v[12 + k], 0xDD);
    }
    for (int k = 0; k < 4; k++) {
        v[k] = _mm512_shuffle_i32x4(t[k], t[8 + k], 0x88);            // column k
        v[8 + k] = _mm512_shuffle_i32x4(t[k], t[8 + k], 0xDD);        // column 8 + k
        v[4 + k] = _mm512_shuffle_i32x4(t[4 + k], t[12 + k], 0x88);   // column 4 + k
        v[12 + k] = _mm512_shuffle_i32x4(t[4 + k], t[12 + k], 0xDD);  // column 12 + k
    }
}

/// Writes (or adds) the first `width` floats of `v` to `o`.
static inline __attribute__((always_inline)) void store_outputs(float *o, vint v, int width, int accumulate) {
    __mmask16 mask = width >= 16 ? 0xFFFF : (__mmask16)((1u << width) - 1);
    __m512 f = _mm512_castsi512_ps(v);
    if (accumulate) f = _mm512_add_ps(f, _mm512_maskz_loadu_ps(mask, o));
    _mm512_mask_storeu_ps(o, mask, f);
}

/// Transposes four vectors so that v[k]'s 128-bit lane L holds lane 4L + k's four int32.
static inline __attribute__((always_inline)) void transpose4(const vint e[4], vint v[4]) {
    __m512i t0 = _mm512_unpacklo_epi32(e[0], e[1]), t1 = _mm512_unpackhi_epi32(e[0], e[1]);
    __m512i t2 = _mm512_unpacklo_epi32(e[2], e[3]), t3 = _mm512_unpackhi_epi32(e[2], e[3]);
    v[0] = _mm512_unpacklo_epi64(t0, t2);
    v[1] = _mm512_unpackhi_epi64(t0, t2);
    v[2] = _mm512_unpacklo_epi64(t1, t3);
    v[3] = _mm512_unpackhi_epi64(t1, t3);
}

/// For every lane l: lane l's four int32 of a[0..4), then its four of b[0..4), as 32 bytes at
/// dst + l·stride (a widened row's vector of a pair of blocks, quantized.h).
static inline __attribute__((always_inline)) void vint_store_pairs4(const vint a[4], const vint b[4], uint8_t *dst,
                                                                    size_t stride) {
    vint va[4], vb[4];
    transpose4(a, va);
    transpose4(b, vb);
    const __m512i low = _mm512_setr_epi64(0, 1, 8, 9, 2, 3, 10, 11), high = _mm512_setr_epi64(4, 5, 12, 13, 6, 7, 14, 15);
    for (int k = 0; k < 4; k++) {
        __m512i r01 = _mm512_permutex2var_epi64(va[k], low, vb[k]), r23 = _mm512_permutex2var_epi64(va[k], high, vb[k]);
        _mm256_storeu_si256((__m256i *)(dst + (size_t)k * stride), _mm512_castsi512_si256(r01));
        _mm256_storeu_si256((__m256i *)(dst + (size_t)(4 + k) * stride), _mm512_extracti64x4_epi64(r01, 1));
        _mm256_storeu_si256((__m256i *)(dst + (size_t)(8 + k) * stride), _mm512_castsi512_si256(r23));
        _mm256_storeu_si256((__m256i *)(dst + (size_t)(12 + k) * stride), _mm512_extracti64x4_epi64(r23, 1));
    }
}
#else
typedef __m256i vint;
typedef __m256 vfloat;

static inline __attribute__((always_inline)) vint vint_load(const void *p) { return _mm256_load_si256(p); }
static inline __attribute__((always_inline)) vint vint_loadu(const void *p) { return _mm256_loadu_si256(p); }
static inline __attribute__((always_inline)) void vint_store(void *p, vint v) { _mm256_store_si256(p, v); }
static inline __attribute__((always_inline)) vint vint_zero(void) { return _mm256_setzero_si256(); }
static inline __attribute__((always_inline)) vfloat vfloat_load(const float *p) { return _mm256_load_ps(p); }
static inline __attribute__((always_inline)) void vfloat_store(float *p, vfloat v) { _mm256_store_ps(p, v); }
static inline __attribute__((always_inline)) vfloat vfloat_zero(void) { return _mm256_setzero_ps(); }
static inline __attribute__((always_inline)) vfloat vfloat_set1(float x) { return _mm256_set1_ps(x); }
static inline __attribute__((always_inline)) vfloat vfloat_add(vfloat a, vfloat b) { return _mm256_add_ps(a, b); }
static inline __attribute__((always_inline)) vfloat vfloat_mul(vfloat a, vfloat b) { return _mm256_mul_ps(a, b); }
static inline __attribute__((always_inline)) vfloat vfloat_fmadd(vfloat a, vfloat b, vfloat c) { return _mm256_fmadd_ps(a, b, c); }
static inline __attribute__((always_inline)) vfloat vfloat_from(vint v) { return _mm256_cvtepi32_ps(v); }
static inline __attribute__((always_inline)) vint vint_add(vint a, vint b) { return _mm256_add_epi32(a, b); }
static inline __attribute__((always_inline)) vint vint_and(vint a, vint b) { return _mm256_and_si256(a, b); }
static inline __attribute__((always_inline)) vint vint_set1(int32_t x) { return _mm256_set1_epi32(x); }
/// Each 16-bit lane shifted right by `n` (a constant), zeros in.
static inline __attribute__((always_inline)) vint vint_srli16(vint v, unsigned n) { return _mm256_srli_epi16(v, (int)n); }
static inline __attribute__((always_inline)) vint vint_slli16(vint v, unsigned n) { return _mm256_slli_epi16(v, (int)n); }
/// Each 16-bit lane shifted right by `n` (a constant), the sign in.
static inline __attribute__((always_inline)) vint vint_srai16(vint v, unsigned n) { return _mm256_srai_epi16(v, (int)n); }
static inline __attribute__((always_inline)) vint vint_or(vint a, vint b) { return _mm256_or_si256(a, b); }
static inline __attribute__((always_inline)) vint vint_sub16(vint a, vint b) { return _mm256_sub_epi16(a, b); }
static inline __attribute__((always_inline)) vint vint_mullo16(vint a, vint b) { return _mm256_mullo_epi16(a, b); }
/// The vector's lanes' unsigned bytes, the first 8 of `bytes`, as floats.
static inline __attribute__((always_inline)) vfloat vfloat_from_u8(__m128i bytes) { return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(bytes)); }
/// The same for signed bytes.
static inline __attribute__((always_inline)) vfloat vfloat_from_i8(__m128i bytes) { return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(bytes)); }
/// Each lane's signed byte of the first 8 of `bytes` in both its int16 halves.
static inline __attribute__((always_inline)) vint vint_pairs_from_i8(__m128i bytes) {
    return _mm256_cvtepi8_epi16(_mm_unpacklo_epi8(bytes, bytes));
}
static inline __attribute__((always_inline)) vfloat vfloat_loadu(const float *p) { return _mm256_loadu_ps(p); }
static inline __attribute__((always_inline)) void vfloat_storeu(float *p, vfloat v) { _mm256_storeu_ps(p, v); }
/// A vector of f16 values at `p` (8 of them) as floats.
static inline __attribute__((always_inline)) vfloat vfloat_halves(const void *p) {
    return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p));
}

/// acc + the pairwise products of x and the int32 at `w` (two int16) in every lane. The add is
/// opaque so that each sum stays one chain: clang otherwise regroups the adds into trees whose
/// partial sums no longer fit the 16 registers and spill (512 rows: 41 ms per layer, against
/// 28.7-29.2 without the spills).
static inline __attribute__((always_inline)) vint dot_broadcast(vint acc, vint x, const int32_t *w) {
    __m256i products = _mm256_madd_epi16(x, _mm256_set1_epi32(*w));
    __asm__("vpaddd %1, %0, %0" : "+x"(acc) : "x"(products));
    return acc;
}

/// Transposes 8 vectors of 8 int32 (v[i] element j becomes v[j] element i): unpacks transpose
/// 4x4 blocks within each 128-bit lane, 128-bit permutes move the blocks.
static inline __attribute__((always_inline)) void transpose(vint v[8]) {
    __m256i t[8];
    for (int i = 0; i < 8; i += 2) {
        t[i] = _mm256_unpacklo_epi32(v[i], v[i + 1]);
        t[i + 1] = _mm256_unpackhi_epi32(v[i], v[i + 1]);
    }
    // v[4q + k], 128-bit lane h: rows 4q..4q+3 of column 4h + k.
    for (int q = 0; q < 8; q += 4) {
        v[q] = _mm256_unpacklo_epi64(t[q], t[q + 2]);
        v[q + 1] = _mm256_unpackhi_epi64(t[q], t[q + 2]);
        v[q + 2] = _mm256_unpacklo_epi64(t[q + 1], t[q + 3]);
        v[q + 3] = _mm256_unpackhi_epi64(t[q + 1], t[q + 3]);
    }
    for (int k = 0; k < 4; k++) {
        t[k] = _mm256_permute2x128_si256(v[k], v[4 + k], 0x20);      // column k
        t[4 + k] = _mm256_permute2x128_si256(v[k], v[4 + k], 0x31);  // column 4 + k
    }
    for (int k = 0; k < 8; k++) v[k] = t[k];
}

/// Writes (or adds) the first `width` floats of `v` to `o`.
static inline __attribute__((always_inline)) void store_outputs(float *o, vint v, int width, int accumulate) {
    __m256 f = _mm256_castsi256_ps(v);
    if (width >= 8) {
        if (accumulate) f = _mm256_add_ps(f, _mm256_loadu_ps(o));
        _mm256_storeu_ps(o, f);
        return;
    }
    __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(width), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    if (accumulate) f = _mm256_add_ps(f, _mm256_maskload_ps(o, mask));
    _mm256_maskstore_ps(o, mask, f);
}

/// Transposes four vectors so that v[k]'s 128-bit lane L holds lane 4L + k's four int32.
static inline __attribute__((always_inline)) void transpose4(const vint e[4], vint v[4]) {
    __m256i t0 = _mm256_unpacklo_epi32(e[0], e[1]), t1 = _mm256_unpackhi_epi32(e[0], e[1]);
    __m256i t2 = _mm256_unpacklo_epi32(e[2], e[3]), t3 = _mm256_unpackhi_epi32(e[2], e[3]);
    v[0] = _mm256_unpacklo_epi64(t0, t2);
    v[1] = _mm256_unpackhi_epi64(t0, t2);
    v[2] = _mm256_unpacklo_epi64(t1, t3);
    v[3] = _mm256_unpackhi_epi64(t1, t3);
}

/// For every lane l: lane l's four int32 of a[0..4), then its four of b[0..4), as 32 bytes at
/// dst + l·stride (a widened row's vector of a pair of blocks, quantized.h).
static inline __attribute__((always_inline)) void vint_store_pairs4(const vint a[4], const vint b[4], uint8_t *dst,
                                                                    size_t stride) {
    vint va[4], vb[4];
    transpose4(a, va);
    transpose4(b, vb);
    for (int k = 0; k < 4; k++) {
        _mm256_storeu_si256((__m256i *)(dst + (size_t)k * stride), _mm256_permute2x128_si256(va[k], vb[k], 0x20));
        _mm256_storeu_si256((__m256i *)(dst + (size_t)(4 + k) * stride), _mm256_permute2x128_si256(va[k], vb[k], 0x31));
    }
}
#endif
