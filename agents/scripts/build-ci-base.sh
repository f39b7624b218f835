#!/usr/bin/env bash
# Builds the Debian bookworm base the agents tests (and CI) use as image.base_image: debootstrap with every
# tool terok's L0 layer wants, so the L0 build finds them all present and downloads nothing (image builds here
# run with --network=none). The root filesystem tarball is cached outside the repository and reused; the image
# is imported from it when missing. Run as root. bin/prepare-host can call this script as it is.
#
#   TEROK_CI_CACHE   cache directory (default /var/cache/terok-ci)
#   TEROK_DEBIAN_MIRROR  mirror URI (default: the bookworm URI in this machine's apt sources)
#   IMAGE            image to import (default localhost/terok-agent-base:bookworm)
set -euo pipefail

CACHE_DIR=${TEROK_CI_CACHE:-/var/cache/terok-ci}
IMAGE=${IMAGE:-localhost/terok-agent-base:bookworm}
TAR=$CACHE_DIR/debian-bookworm-agent-base.tar
# The L0 tool set (see docs/agents.md): git, curl, CA certificates, ssh client, ripgrep, jq, bash, a compiler
# toolchain, python3; procps for ps/top; xz-utils and unzip for the archives agents and projects fetch.
INCLUDE=bash,git,curl,ca-certificates,openssh-client,ripgrep,jq,build-essential,python3,procps,xz-utils,unzip,less

die() { echo "build-ci-base: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "run as root"

mirror() {
    if [ -n "${TEROK_DEBIAN_MIRROR:-}" ]; then echo "$TEROK_DEBIAN_MIRROR"; return; fi
    local m=""
    shopt -s nullglob
    local sources=(/etc/apt/sources.list.d/*.sources)
    shopt -u nullglob
    if [ "${#sources[@]}" -gt 0 ]; then
        m="$(awk 'BEGIN { RS = ""; FS = "\n" }
            { t = ""; s = ""; u = ""
              for (i = 1; i <= NF; i++) {
                  if ($i ~ /^Types:/)  t = $i
                  if ($i ~ /^Suites:/) s = $i
                  if ($i ~ /^URIs:/)   u = $i
              }
              if (t ~ /[[:space:]]deb([[:space:]]|$)/ && s ~ /[[:space:]]bookworm([[:space:]]|$)/ && u != "") {
                  sub(/^URIs:[[:space:]]*/, "", u); split(u, a, /[[:space:]]+/); print a[1]; exit
              } }' "${sources[@]}")"
    fi
    if [ -z "$m" ] && [ -f /etc/apt/sources.list ]; then
        m="$(sed -E -n 's/^[[:space:]]*deb[[:space:]]+(\[[^]]*\][[:space:]]+)?([^[:space:]]+)[[:space:]]+bookworm([[:space:]].*)?$/\2/p' \
            /etc/apt/sources.list | head -n1)"
    fi
    [ -n "$m" ] || die "no bookworm mirror in the apt sources; set TEROK_DEBIAN_MIRROR"
    echo "$m"
}

ROOT=""
cleanup() {
    [ -n "$ROOT" ] && [ -d "$ROOT" ] || return 0
    for mp in dev/pts dev/shm dev proc sys; do
        mountpoint -q "$ROOT/$mp" 2>/dev/null && umount -l "$ROOT/$mp" || true
    done
    rm -rf --one-file-system "$ROOT"
}
trap cleanup EXIT

install -d -m 0755 "$CACHE_DIR"
if [ ! -f "$TAR" ]; then
    command -v debootstrap >/dev/null || die "debootstrap is not installed (apt-get install debootstrap)"
    ROOT="$(mktemp -d "$CACHE_DIR/agent-base.XXXXXX")"
    echo "build-ci-base: debootstrap bookworm with $INCLUDE (a few minutes; log $CACHE_DIR/debootstrap-agent-base.log)" >&2
    if ! debootstrap --variant=minbase --include="$INCLUDE" bookworm "$ROOT" "$(mirror)" \
        >"$CACHE_DIR/debootstrap-agent-base.log" 2>&1; then
        tail -n 20 "$CACHE_DIR/debootstrap-agent-base.log" >&2
        die "debootstrap failed"
    fi
    chroot "$ROOT" apt-get clean >/dev/null 2>&1 || true
    rm -rf "$ROOT"/var/cache/apt/archives/*.deb "$ROOT"/var/cache/apt/*.bin "$ROOT"/var/lib/apt/lists/* \
        "$ROOT"/var/log/apt/* "$ROOT"/var/log/dpkg.log
    mkdir -p "$ROOT/var/lib/apt/lists/partial"
    : >"$ROOT/etc/resolv.conf"
    : >"$ROOT/etc/hostname"
    tar --numeric-owner -C "$ROOT" -cf "$TAR.tmp" .
    chmod 0644 "$TAR.tmp"
    mv -f "$TAR.tmp" "$TAR"
    cleanup
    ROOT=""
fi
if [ "${TEROK_REBUILD_IMAGES:-0}" = 1 ] || ! podman image exists "$IMAGE"; then
    podman import --change 'CMD ["/bin/bash"]' "$TAR" "$IMAGE" >/dev/null
fi
echo "$IMAGE"
