#ifndef RUNLEDGER_CBUILDINFO_H
#define RUNLEDGER_CBUILDINFO_H
// What `runledger --version` and runledger_build_info say of the build. The values come from stamp.h,
// which tools/build-stamp.sh writes (git revision, the commit's date, the compiler's version); a build
// without it (a plain `swift build` from a tarball) says "unknown".
const char *runledger_build_revision(void);
const char *runledger_build_date(void);
const char *runledger_build_swift_version(void);
#endif
