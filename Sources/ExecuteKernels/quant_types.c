// The block-quantized types and packed layouts of this kernel set, by code: every entry of
// types/types.h (compiled twice, as every kernel file is: see internal.h).
#define LS_TYPE_ENTRIES_ONLY
#include "quantized.h"

#define LS_TYPE(name, code, ...) extern const ls_quant_kernels LS_KERNELS(name);
#include "types/types.h"
#undef LS_TYPE

static const ls_quant_kernels *const types[] = {
#define LS_TYPE(name, code, ...) &LS_KERNELS(name),
#include "types/types.h"
#undef LS_TYPE
};

const ls_quant_kernels *ls_quant_kernels_for(int type) {
    switch (type) {
#define LS_TYPE(name, code, ...) \
    case code: return &LS_KERNELS(name);
#include "types/types.h"
#undef LS_TYPE
    default: return NULL;
    }
}

int ls_packed_layout(int type) {
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (types[i]->packed_rows && types[i]->packs == type) return types[i]->type;
    return -1;
}
