#include <zlib.h>

/// zlib's init macros pass the library version and struct size; Swift cannot call macros.
/// Raw deflate streams (window bits -15), as zip archives store them.
static inline int ls_inflate_init_raw(z_stream *stream) { return inflateInit2(stream, -15); }
static inline int ls_deflate_init_raw(z_stream *stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
}
