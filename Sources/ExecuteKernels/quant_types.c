// The block-quantized types the kernels know, by ggml type code, and the packed layouts. A new
// type is a file defining its ls_quant_kernels and one line here (a packed layout, one more line
// in ls_packed_layout).
#include "quantized.h"

extern const ls_quant_kernels ls_q4_0_kernels, ls_q4_1_kernels, ls_q8_0_kernels, ls_q5_0_kernels,
    ls_q5_1_kernels, ls_q2_k_kernels, ls_q3_k_kernels, ls_q4_k_kernels, ls_q5_k_kernels, ls_q6_k_kernels,
    ls_iq4_nl_kernels, ls_iq4_xs_kernels, ls_q4_1_x16_kernels, ls_q8_0_x16_kernels;

const ls_quant_kernels *ls_quant_kernels_for(int type) {
    switch (type) {
    case LS_TYPE_Q4_0: return &ls_q4_0_kernels;
    case LS_TYPE_Q4_1: return &ls_q4_1_kernels;
    case LS_TYPE_Q5_0: return &ls_q5_0_kernels;
    case LS_TYPE_Q5_1: return &ls_q5_1_kernels;
    case LS_TYPE_Q8_0: return &ls_q8_0_kernels;
    case LS_TYPE_Q2_K: return &ls_q2_k_kernels;
    case LS_TYPE_Q3_K: return &ls_q3_k_kernels;
    case LS_TYPE_Q4_K: return &ls_q4_k_kernels;
    case LS_TYPE_Q5_K: return &ls_q5_k_kernels;
    case LS_TYPE_Q6_K: return &ls_q6_k_kernels;
    case LS_TYPE_IQ4_NL: return &ls_iq4_nl_kernels;
    case LS_TYPE_IQ4_XS: return &ls_iq4_xs_kernels;
    case LS_TYPE_Q4_1_X16: return &ls_q4_1_x16_kernels;
    case LS_TYPE_Q8_0_X16: return &ls_q8_0_x16_kernels;
    default: return NULL;
    }
}

int ls_packed_layout(int type) {
    switch (type) {
    case LS_TYPE_Q4_1: return LS_TYPE_Q4_1_X16;
    case LS_TYPE_Q8_0: return LS_TYPE_Q8_0_X16;
    default: return -1;
    }
}
