#!/usr/bin/env bash
# Writes Sources/CBuildInfo/stamp.h: the git revision, the date of its commit (not the wall clock, so two
# builds of one commit are the same binary, as SOURCE_DATE_EPOCH asks) and the Swift compiler's version.
# The file is replaced only when it changes, so an unchanged tree does not recompile it.
set -euo pipefail
cd "$(dirname "$0")/.."
swift=${SWIFT:-swift}
revision=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
if [ "$revision" != unknown ] && ! git diff --quiet HEAD -- Sources Package.swift 2>/dev/null; then
  revision="$revision-dirty"
fi
if [ -n "${SOURCE_DATE_EPOCH:-}" ]; then
  date=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)
else
  date=$(TZ=UTC git log -1 --format=%cd --date=format-local:%Y-%m-%dT%H:%M:%SZ 2>/dev/null || echo unknown)
fi
swift_version=$("$swift" --version 2>&1 | sed -n 's/.*Swift version \([0-9][0-9.]*\).*/\1/p' | head -1)
stamp=Sources/CBuildInfo/stamp.h
new=$(printf '#define RUNLEDGER_REVISION "%s"\n#define RUNLEDGER_BUILD_DATE "%s"\n#define RUNLEDGER_SWIFT_VERSION "%s"\n' \
  "$revision" "$date" "${swift_version:-unknown}")
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$new" ]; then
  printf '%s\n' "$new" >"$stamp"
  # The first stamp: the C file's dependency list did not name it yet, so make it recompile.
  touch Sources/CBuildInfo/build_info.c
fi
