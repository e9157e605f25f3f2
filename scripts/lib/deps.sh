# shellcheck shell=bash
# scripts/lib/deps.sh — installs the Debian packages OneWindow needs to build, test and run.
# Sourced by scripts/run and scripts/test; defines ow_deps_install.
#
# Only what is missing is installed: each package is checked with dpkg first, so a machine
# that has everything makes no network call at all.

OW_DEPS_PACKAGES=(
  build-essential cmake pkg-config
  libzmq3-dev libprotobuf-c-dev protobuf-c-compiler libpq-dev libevent-dev libjansson-dev
  libcmocka-dev libcurl4-openssl-dev
  postgresql postgresql-contrib
  python3 python3-zmq python3-psycopg2
  curl jq clang-format
  libssl-dev
  wrk python3-protobuf
  clang libclang-rt-14-dev protobuf-compiler
)

# True when the package is installed (not merely known or half-removed).
ow_deps_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

ow_deps_install() {
  local missing=() pkg
  for pkg in "${OW_DEPS_PACKAGES[@]}"; do
    ow_deps_installed "$pkg" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0

  local sudo=()
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || {
      echo "deps: missing packages (${missing[*]}) and not root without sudo: install them first" >&2
      return 1
    }
    sudo=(sudo)
  fi
  echo "deps: installing ${missing[*]}" >&2
  # Debian's postgresql package would otherwise create and start a system-wide cluster on
  # port 5432; OneWindow runs its own private clusters (scripts/pg), so that is harmless
  # but not needed. Non-interactive so CI never waits on a prompt.
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}
