// Linking jemalloc into the executable makes it the allocator of the whole process
// (it interposes malloc/free); the header is only needed for introspection (mallctl).
#include <jemalloc/jemalloc.h>
