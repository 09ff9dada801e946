# shellcheck shell=bash
# realtime-gateway: shared by scripts/demo and scripts/test (sourced, not run).
#
# rt_install_deps [EXTRA_PACKAGE...]  install the Debian packages the build,
#                                     the tests and the demo need, only those
#                                     missing (apt-get update only then)
# rt_build BUILD_DIR [MESON_OPTION...] configure (or reconfigure) and build
# rt_npm_ci                           npm ci in tests/interop, tests/schema
#                                     (ajv), console (the pinned esbuild) and
#                                     tests/browser (puppeteer-core); fails
#                                     when any of them fails
#
# RT_ROOT is the repository root; every path here is relative to it.

RT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export RT_ROOT

# Build, test and demo dependencies on Debian 12.
RT_DEBIAN_PACKAGES=(
  meson ninja-build pkg-config gcc
  libglib2.0-dev libsoup-3.0-dev libjson-glib-dev
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libgstreamer-plugins-bad1.0-dev
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-rtsp
  gstreamer1.0-plugins-base-apps gstreamer1.0-nice libsystemd-dev
  glib-networking ca-certificates curl valgrind clang-format
  clang libclang-rt-14-dev llvm-14 python3 iproute2 ethtool
  chromium coturn
)

rt_log() {
  printf '==> %s\n' "$*" >&2
}

rt_die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

rt_pkg_installed() {
  local status
  status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null) || return 1
  [[ $status == ii* ]]
}

rt_install_deps() {
  local wanted=("${RT_DEBIAN_PACKAGES[@]}" "$@") missing=() p
  # Node may come from elsewhere (nodesource, nvm): only ask Debian for it
  # when there is none on PATH.
  command -v node >/dev/null 2>&1 || wanted+=(nodejs)
  command -v npm >/dev/null 2>&1 || wanted+=(npm)
  command -v dpkg-query >/dev/null 2>&1 \
    || rt_die "dpkg-query not found: these scripts expect Debian 12"
  for p in "${wanted[@]}"; do
    rt_pkg_installed "$p" || missing+=("$p")
  done
  if ((${#missing[@]} == 0)); then
    rt_log "Debian packages: all present"
    return 0
  fi
  rt_log "installing missing Debian packages: ${missing[*]}"
  local sudo=()
  if ((EUID != 0)); then
    command -v sudo >/dev/null 2>&1 || rt_die "not root and no sudo: install ${missing[*]}"
    sudo=(sudo)
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive timeout 900 apt-get update -q \
    || rt_die "apt-get update failed"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive timeout 1800 \
    apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null \
    || rt_die "apt-get install failed"
}

# rt_build BUILD_DIR [MESON_OPTION...]
rt_build() {
  local dir=$1
  shift
  if [[ -f $RT_ROOT/$dir/meson-private/coredata.dat ]]; then
    # Already configured: meson compile regenerates on its own when a
    # meson.build changed; only options need setting.
    if (($# > 0)) && ! meson configure "$RT_ROOT/$dir" "$@" >/dev/null; then
      rt_log "meson configure failed: wiping $dir"
      meson setup --wipe "$RT_ROOT/$dir" "$RT_ROOT" "$@" || return 1
    fi
  else
    rt_log "configuring $dir $*"
    meson setup "$RT_ROOT/$dir" "$RT_ROOT" "$@" || return 1
  fi
  rt_log "building $dir"
  timeout 1800 meson compile -C "$RT_ROOT/$dir"
}

# The folders whose package-lock.json pins what a test or the console
# needs; the suites that use them (interop, schema-ajv, browser) skip
# without their node_modules, so scripts/test counts a failure here, and a
# skip of those suites, as failures.
RT_NPM_DIRS=(tests/interop tests/schema console tests/browser)

rt_npm_ci() {
  local dir
  for dir in "${RT_NPM_DIRS[@]}"; do
    rt_log "npm ci in $dir"
    # --prefer-offline: from npm's cache when it holds the pinned versions.
    (cd "$RT_ROOT/$dir" \
      && timeout 600 npm ci --prefer-offline --no-audit --no-fund \
        --loglevel=error </dev/null) \
      || { rt_log "npm ci in $dir failed"; return 1; }
  done
}
