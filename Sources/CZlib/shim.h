#include <zlib.h>

// inflateInit2 is a macro that Swift cannot call; 15 + 32 reads zlib and gzip headers alike.
static inline int runledger_inflate_init(z_stream *s) { return inflateInit2(s, 15 + 32); }
