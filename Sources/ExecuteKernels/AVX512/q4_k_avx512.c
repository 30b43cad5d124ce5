// q4_k.c for AVX-512 (see avx512.h).
#include "avx512.h"
#include "../q4_k.c"
#pragma clang attribute pop
