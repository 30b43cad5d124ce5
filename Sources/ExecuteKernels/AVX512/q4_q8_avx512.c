// q4_q8.c for AVX-512 (see avx512.h).
#include "avx512.h"
#include "../q4_q8.c"
#pragma clang attribute pop
