// Debian installs cblas.h under openblas-pthread/; pkg-config puts that directory on the
// include path, so the plain name resolves to OpenBLAS's header, not a reference CBLAS.
#include <cblas.h>
