# agents: the tests stage the real agent CLIs from the npm registry on the host (npm) and build the L0/L1/L2
# layers with --network=none on a Debian base that already carries every L0 tool, so no build step downloads.
# The base's root filesystem is debootstrapped once and cached in CACHE_DIR. Sourced by bin/prepare-host
# (idempotent).
command -v npm >/dev/null || ensure_packages npm
TEROK_CI_CACHE="$CACHE_DIR" "$SCRIPT_DIR/../agents/scripts/build-ci-base.sh" >/dev/null
log "  root: localhost/terok-agent-base:bookworm present"
# bin/quickstart's operator runs tasks with their own rootless podman: the base goes into their storage too.
if [ "$PROFILE" = product ] && [ "$TEST_UID" != 0 ] && ! as_user podman image exists localhost/terok-agent-base:bookworm; then
    as_user podman import --quiet --change 'CMD ["/bin/bash"]' "$CACHE_DIR/debian-bookworm-agent-base.tar" \
        localhost/terok-agent-base:bookworm >/dev/null
    log "  user: imported localhost/terok-agent-base:bookworm"
fi
