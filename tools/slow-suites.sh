#!/bin/sh
# The names of the test suites tagged `.slow` (Tests/TestSupport/Tags.swift), as one `a|b|c` pattern for
# `swift test --skip`: swift test has no tag filter on its command line, so the tags are read from the code.
grep -rhoE '@Suite\([^)]*\.tags\(\.slow\)\)[[:space:]]*(struct|final class|class) [A-Za-z]+' "${1:-Tests}" \
    | awk '{print $NF}' | paste -sd'|'
