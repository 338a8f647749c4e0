#!/usr/bin/env bash
# Builds the Debian package: build/package/packages/vigil_<version>_amd64.deb (docs/operations.md,
# "Install"). The `package` preset is the CI build's flags (optimised, warnings are errors: the
# compiler cache of a CI build serves it) without the tests.
#   scripts/package.sh [VERSION]    VERSION overrides the project version (e.g. 0.1.1~rc1)
set -euo pipefail
cd "$(dirname "$0")/.."
export CCACHE_BASEDIR=$(pwd) CCACHE_NOHASHDIR=true
cmake --preset package >/dev/null
cmake --build --preset package -j "${VIGIL_JOBS:-2}"
# `cpack --preset` needs CMake 3.25's package presets (Debian 12 has 3.25.1).
cpack --preset package ${1:+-R "$1"}
ls -1 build/package/packages/vigil_*_amd64.deb
