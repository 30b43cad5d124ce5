// The tensor types the kernels compute with beyond the float ones (dequantize.c): the block-
// quantized types and the packed layouts, one file each, one line each here. Every type file
// ends with LS_TYPE(name, code, fields...), its descriptor (quantized.h).
//
// A unit includes this list for one of two things:
// - the types' kernels: AVX512/types_avx512.c compiles every type file again for AVX-512 (the
//   baseline compiles each file on its own);
// - the types' entries: with LS_TYPE_ENTRIES_ONLY defined, each file is only its LS_TYPE line,
//   which the unit defines as it needs (quant_types.c: declarations, a table, the dispatch).
#include "q4_0.c"
#include "q4_1.c"
#include "q5_0.c"
#include "q5_1.c"
#include "q8_0.c"
#include "q2_k.c"
#include "q3_k.c"
#include "q4_k.c"
#include "q5_k.c"
#include "q6_k.c"
#include "iq4_nl.c"
#include "iq4_xs.c"
#include "q4_1_x16.c"
#include "q8_0_x16.c"
#include "q5_0_x16.c"
#include "q4_k_x16.c"
#include "q5_k_x16.c"
#include "q6_k_x16.c"
#include "iq4_nl_x16.c"
#include "iq4_xs_x16.c"
