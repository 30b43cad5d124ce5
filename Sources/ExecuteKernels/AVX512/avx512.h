// Opens an AVX-512 compilation of one kernel file: AVX512/<file>.c includes this, then
// "../<file>.c" (types_avx512.c: every type file, through types/types.h), then closes the target
// with `#pragma clang attribute pop`.
//
// The system headers come first, outside the target (the intrinsics carry their own); every
// function of the kernel file and of the shared kernel headers takes it. Same source as the
// baseline, so the same arithmetic in the same order: only the encoding changes (EVEX, 32 vector
// registers), plus VNNI's `vpdpwssd` for the 16-bit multiply-adds (LS_VNNI, quantized.h), whose
// integer sums equal the baseline's.
#pragma once

#include <immintrin.h>
#include <math.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define LS_VARIANT avx512
#define LS_VNNI

#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni"))), apply_to = function)
