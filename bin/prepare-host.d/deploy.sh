# shellcheck shell=bash
# Deployment (Quadlet units and service images): sourced by bin/prepare-host (idempotent).
#  - the quadlet generator (podman 5.4.2 from Debian 13) to validate deploy/quadlet/ with `quadlet -dryrun`.
#    Debian 12's podman 4.3 has no quadlet. The .deb is fetched through a PRIVATE sources list and lists dir,
#    never through the machine's apt sources (a Debian 13 source there would upgrade libc and systemd), and
#    only unpacked (dpkg -x), never installed. Cached in $CACHE_DIR/trixie-apt.
#  - a JRE base image for the service images, built offline from Debian 12 packages (debootstrap), cached as
#    $CACHE_DIR/debian-bookworm-jre.tar and imported as localhost/terok-jre-base:latest (root's storage).
DEPLOY_APT=$CACHE_DIR/trixie-apt
QUADLET_BIN=$DEPLOY_APT/x/usr/libexec/podman/quadlet
JRE_TAR=$CACHE_DIR/debian-bookworm-jre.tar
JRE_IMAGE=localhost/terok-jre-base:latest
# What every service image needs; the service Containerfiles install only what a base lacks.
JRE_PACKAGES=openjdk-17-jre-headless,ca-certificates,curl,nftables,dnsmasq-base,tcpdump,catatonit,keyutils

if [ ! -x "$QUADLET_BIN" ]; then
    log "deploy: fetching quadlet (podman from Debian 13, unpacked into $DEPLOY_APT/x, not installed)"
    install -d "$DEPLOY_APT/empty" "$DEPLOY_APT/lists/partial" "$DEPLOY_APT/archives/partial"
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $(debian_mirror) trixie main" \
        >"$DEPLOY_APT/sources.list"
    deploy_apt_opts=(-o "Dir::Etc::sourcelist=$DEPLOY_APT/sources.list" -o "Dir::Etc::sourceparts=$DEPLOY_APT/empty"
        -o "Dir::State::Lists=$DEPLOY_APT/lists" -o "Dir::Cache::archives=$DEPLOY_APT/archives"
        -o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache=" -o "APT::Sandbox::User=root")
    apt-get -q "${deploy_apt_opts[@]}" update >/dev/null
    (cd "$DEPLOY_APT" && rm -f podman_*.deb && apt-get -q "${deploy_apt_opts[@]}" download podman >/dev/null)
    rm -rf "$DEPLOY_APT/x.tmp"
    dpkg -x "$DEPLOY_APT"/podman_*.deb "$DEPLOY_APT/x.tmp"
    rm -rf "$DEPLOY_APT/x" && mv "$DEPLOY_APT/x.tmp" "$DEPLOY_APT/x"
    unset deploy_apt_opts
fi
QUADLET_UNIT_DIRS=/nonexistent "$QUADLET_BIN" -version >/dev/null 2>&1 || die "deploy: $QUADLET_BIN does not run here"
ln -sfn "$QUADLET_BIN" /usr/local/libexec/terok-quadlet 2>/dev/null \
    || { install -d /usr/local/libexec && ln -sfn "$QUADLET_BIN" /usr/local/libexec/terok-quadlet; }
log "deploy: quadlet $("$QUADLET_BIN" -version 2>/dev/null | head -n1) at /usr/local/libexec/terok-quadlet"

build_jre_tar() {
    if [ -f "$JRE_TAR" ]; then return; fi
    local mirror root
    mirror="$(debian_mirror)"
    log "deploy: debootstrap bookworm with a JRE (about 2-3 min, log: $CACHE_DIR/debootstrap-jre.log)"
    root="$(mktemp -d "$CACHE_DIR/jre.XXXXXX")"
    DEBOOTSTRAP_DIR=$root
    if ! debootstrap --variant=minbase --include="$JRE_PACKAGES" bookworm "$root" "$mirror" \
        >"$CACHE_DIR/debootstrap-jre.log" 2>&1; then
        tail -n 20 "$CACHE_DIR/debootstrap-jre.log" >&2
        die "debootstrap (JRE base) failed (see $CACHE_DIR/debootstrap-jre.log)"
    fi
    apt_clean_rootfs "$root"
    rm -rf "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/locale/*
    tar --numeric-owner -C "$root" -cf "$JRE_TAR.tmp" .
    chmod 0644 "$JRE_TAR.tmp"
    mv -f "$JRE_TAR.tmp" "$JRE_TAR"
    cleanup_debootstrap
    log "deploy: cached $JRE_TAR ($(du -h "$JRE_TAR" | cut -f1))"
}
if [ "${TEROK_REBUILD_IMAGES:-0}" = 1 ] || ! podman image exists "$JRE_IMAGE"; then
    build_jre_tar
    podman import --quiet --change 'CMD ["/bin/bash"]' --change "ENV PATH=$IMAGE_PATH" \
        --change 'ENV JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64' "$JRE_TAR" "$JRE_IMAGE" >/dev/null
    log "deploy: imported $JRE_IMAGE"
else
    log "deploy: $JRE_IMAGE present"
fi
