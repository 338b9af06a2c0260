#include "CBuildInfo.h"

// A C file rather than Swift: only this file is compiled again when the stamp changes (a new commit),
// where a Swift constant would rebuild the module that holds it.
#if __has_include("stamp.h")
#include "stamp.h"
#endif
#ifndef RUNLEDGER_REVISION
#define RUNLEDGER_REVISION "unknown"
#endif
#ifndef RUNLEDGER_BUILD_DATE
#define RUNLEDGER_BUILD_DATE "unknown"
#endif
#ifndef RUNLEDGER_SWIFT_VERSION
#define RUNLEDGER_SWIFT_VERSION "unknown"
#endif

const char *runledger_build_revision(void) { return RUNLEDGER_REVISION; }
const char *runledger_build_date(void) { return RUNLEDGER_BUILD_DATE; }
const char *runledger_build_swift_version(void) { return RUNLEDGER_SWIFT_VERSION; }
