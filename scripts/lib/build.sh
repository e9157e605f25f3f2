# shellcheck shell=bash
# scripts/lib/build.sh — configures and builds OneWindow with CMake. Sourced by scripts/run
# and scripts/test; defines ow_build.
#
#   ow_build ROOT          builds ROOT/build
#   ow_build ROOT sanitize builds ROOT/build-sanitize with AddressSanitizer and UBSan
#   ow_build ROOT VARIANT DIR builds in DIR instead
# Sets OW_BUILD_DIR to the build directory. Two jobs: the machines have two cores.

ow_build() {
  local root=$1 variant=${2:-} override=${3:-}
  local dir=$root/build
  local flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
  if [ "$variant" = sanitize ]; then
    dir=$root/build-sanitize
    flags=(-DCMAKE_BUILD_TYPE=Debug -DONEWINDOW_SANITIZE=ON)
  fi
  [ -z "$override" ] || dir=$override
  cmake -S "$root" -B "$dir" "${flags[@]}" >/dev/null
  cmake --build "$dir" -j2
  OW_BUILD_DIR=$dir
  export OW_BUILD_DIR
}
