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
# Every tested agent (and Node.js) staged from the npm registry into the tests' stage, by the real Stager, so
# the image tests (PodmanBuildTest, AgentHeadlessEndToEndTest) build without downloading. Done again only when
# the roster or the Node.js pin changes (a stamp named by their hash); already staged versions are kept.
AGENTS_STAGE=$CACHE_DIR/agents-stage
REPO_DIR="$(cd "$SCRIPT_DIR/.." && pwd)"
STAGE_STAMP="$AGENTS_STAGE/.prepared-$(cat "$REPO_DIR"/agents/src/main/resources/io/terok/agents/roster/* \
    "$REPO_DIR"/agents/src/main/java/io/terok/agents/image/NodeRuntime.java | sha256sum | cut -c1-16)"
if [ "${PROFILE:-}" != product ] && [ ! -f "$STAGE_STAMP" ]; then
    log "  staging the agents into $AGENTS_STAGE (npm registry)"
    # One reactor run: on a fresh machine terok-common is in no local repository, only in this reactor.
    (cd "$REPO_DIR" && ./mvnw -B -q -ntp -pl agents -am -DskipTests package dependency:build-classpath \
        -Dmdep.outputFile=target/prepare-host.cp) >&2
    java -cp "$REPO_DIR/agents/target/classes:$REPO_DIR/common/target/classes:$(cat "$REPO_DIR/agents/target/prepare-host.cp")" \
        io.terok.agents.stage.StageCommand "$AGENTS_STAGE" localhost/terok-agent-base:bookworm >&2
    touch "$STAGE_STAMP"
    log "  agents staged in $AGENTS_STAGE"
fi
