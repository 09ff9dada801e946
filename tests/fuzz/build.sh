#!/usr/bin/env bash
# realtime-gateway: builds the libFuzzer targets of tests/fuzz/ with clang,
# AddressSanitizer and UndefinedBehaviorSanitizer, outside the meson build
# (which CI runs with gcc). Each target is linked with only the gateway
# sources it fuzzes; a missing source fails the build.
#
# Usage: tests/fuzz/build.sh [BUILD_DIR]
#   BUILD_DIR  where objects and fuzzer binaries go (default: build-fuzz at
#              the repository root; build*/ is ignored by git)
# Environment: CC (clang), FUZZ_CFLAGS (extra flags), FUZZ_SRC_ROOT (a
#   tree whose gateway/ is compiled instead of this one's: for trying a fix
#   before it is committed)
# Exit status: 0 when every target whose sources exist was built, 1 when
# one failed to build, 77 when clang or libFuzzer is not installed.
# Needs (Debian 12): clang libclang-rt-14-dev, and the project's -dev
# packages (libglib2.0-dev libjson-glib-dev libgstreamer1.0-dev
# libsoup-3.0-dev).
set -euo pipefail

FUZZ_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RT_ROOT=$(cd "$FUZZ_DIR/../.." && pwd)
OUT=${1:-$RT_ROOT/build-fuzz}
SRC_ROOT=${FUZZ_SRC_ROOT:-$RT_ROOT}
CC=${CC:-clang}

die() {
  printf 'fuzz/build.sh: %s\n' "$*" >&2
  exit "${2:-1}"
}

command -v "$CC" >/dev/null 2>&1 \
  || die "$CC not found (Debian 12: apt-get install clang libclang-rt-14-dev)" 77
mkdir -p "$OUT/obj"

# libFuzzer's runtime comes with clang's compiler-rt (libclang-rt-14-dev).
probe=$OUT/obj/probe.c
printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
  'int LLVMFuzzerTestOneInput (const uint8_t *d, size_t n);' \
  'int LLVMFuzzerTestOneInput (const uint8_t *d, size_t n) { return 0; }' \
  >"$probe"
"$CC" -fsanitize=fuzzer,address,undefined "$probe" -o "$OUT/obj/probe" \
  2>"$OUT/obj/probe.log" \
  || die "$CC cannot link -fsanitize=fuzzer,address,undefined (Debian 12: apt-get install libclang-rt-14-dev); see $OUT/obj/probe.log" 77

PKGS=(glib-2.0 gobject-2.0 gio-2.0 json-glib-1.0 gstreamer-1.0 libsoup-3.0
  gstreamer-webrtc-1.0)
read -r -a PKG_CFLAGS <<<"$(pkg-config --cflags "${PKGS[@]}")"
read -r -a PKG_LIBS <<<"$(pkg-config --libs "${PKGS[@]}")"

# Same GLib API window and warnings as meson.build; sanitizers abort on the
# first report so libFuzzer keeps the input.
# shellcheck disable=SC2054  # -fsanitize=a,b is one argument
COMMON=(-g -O1 -fno-omit-frame-pointer -std=gnu11
  -fsanitize=address,undefined -fno-sanitize-recover=all
  -DGLIB_VERSION_MIN_REQUIRED=GLIB_VERSION_2_74
  -DGLIB_VERSION_MAX_ALLOWED=GLIB_VERSION_2_74
  -DG_LOG_USE_STRUCTURED -DPACKAGE_VERSION='"fuzz"'
  -DPKGDATADIR='"/usr/share/realtime-gateway"'
  -DPKGSYSCONFDIR='"/etc/realtime-gateway"'
  -I"$SRC_ROOT/gateway/realtime" -I"$SRC_ROOT/gateway/contract"
  -I"$SRC_ROOT/gateway/config" -I"$SRC_ROOT/gateway/ondemand"
  -I"$SRC_ROOT/gateway/mainloop" -I"$SRC_ROOT/gateway/webrtc" -I"$FUZZ_DIR"
  "${PKG_CFLAGS[@]}")
# shellcheck disable=SC2206  # word splitting wanted
COMMON+=(${FUZZ_CFLAGS:-})
# The targets themselves are held to -Werror; gateway sources are compiled
# as they are (clang warns about other things than gcc).
TARGET_WARN=(-Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers
  -Wmissing-prototypes -Wstrict-prototypes -Werror)

# compile SRC DOMAIN -> prints the object path
compile_gateway() {
  local src=$1 domain=$2 obj
  obj=$OUT/obj/$(echo "${src#"$SRC_ROOT"/}" | tr '/' '_' | sed 's/\.c$/.o/')
  "$CC" "${COMMON[@]}" -fsanitize=fuzzer-no-link -DG_LOG_DOMAIN="\"$domain\"" \
    -c "$src" -o "$obj"
  printf '%s\n' "$obj"
}

# target NAME SOURCE... : the gateway sources (relative to the repo root)
# it needs; a missing one is a failure (the layout moved and this list did
# not follow), never a quiet skip.
built=0
broken=0
target() {
  local name=$1 src obj objs=() missing=()
  shift
  for src in "$@"; do
    [[ -f $SRC_ROOT/$src ]] || missing+=("$src")
  done
  if ((${#missing[@]} > 0)); then
    printf 'fuzz/build.sh: FAILED to build %s: %s not found\n' "$name" \
      "${missing[*]}" >&2
    broken=$((broken + 1))
    return 0
  fi
  rm -f "$OUT/$name"
  for src in "$@"; do
    local domain=gateway
    [[ $src == gateway/realtime/* ]] && domain=realtime
    if ! obj=$(compile_gateway "$SRC_ROOT/$src" "$domain"); then
      printf 'fuzz/build.sh: FAILED to build %s: %s does not compile\n' \
        "$name" "$src" >&2
      broken=$((broken + 1))
      return 0
    fi
    objs+=("$obj")
  done
  if ! "$CC" "${COMMON[@]}" "${TARGET_WARN[@]}" -fsanitize=fuzzer \
    -DG_LOG_DOMAIN='"fuzz"' "$FUZZ_DIR/$name.c" "${objs[@]}" \
    "${PKG_LIBS[@]}" -o "$OUT/$name"; then
    printf 'fuzz/build.sh: FAILED to build %s\n' "$name" >&2
    broken=$((broken + 1))
    return 0
  fi
  printf 'fuzz/build.sh: built %s\n' "$OUT/$name" >&2
  built=$((built + 1))
}

# Gateway core sources shared by the request and pipeline targets.
core=(gateway/contract/gateway-error.c gateway/contract/untrusted.c)
# A definition may end in a WebRTC output (pipeline-def.c builds it).
defs=(gateway/contract/params.c gateway/contract/host-address.c
  gateway/config/key-file-loader.c gateway/config/pipeline-def.c
  gateway/contract/request.c gateway/webrtc/webrtc-output-def.c
  gateway/webrtc/webrtc-pipeline.c)

target fuzz-codec gateway/realtime/realtime-codec.c
target fuzz-request gateway/realtime/realtime-codec.c "${core[@]}" "${defs[@]}"
target fuzz-pipeline-def "${core[@]}" "${defs[@]}"
# The daemon configuration loader resolves the URL with the client's own
# code and holds its settings, so it links the whole realtime client (and
# libsoup).
realtime_all=(gateway/realtime/backoff.c gateway/realtime/realtime-codec.c
  gateway/realtime/realtime-redact.c gateway/realtime/realtime-push.c
  gateway/realtime/realtime-marshal.c
  gateway/realtime/realtime-channel.c gateway/realtime/realtime-client.c
  gateway/realtime/realtime-refusal.c gateway/realtime/link-bytes.c
  gateway/realtime/reconnect-policy.c
  gateway/realtime/realtime-settings.c gateway/realtime/secret-file.c
  gateway/mainloop/owned-source.c)
# ... and the [webrtc] group's settings (STUN/TURN).
target fuzz-config "${realtime_all[@]}" "${core[@]}" \
  gateway/config/key-file-loader.c gateway/config/gateway-config.c \
  gateway/webrtc/webrtc-settings.c

printf 'fuzz/build.sh: %d target(s) built in %s, %d failed\n' \
  "$built" "$OUT" "$broken" >&2
((broken == 0))
