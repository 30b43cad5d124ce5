// q2_k.c for AVX-512 (see avx512.h).
#include "avx512.h"
#include "../q2_k.c"
#pragma clang attribute pop
