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

# The end-to-end test under a real systemd (deploy-test SystemdEndToEndTest): a Debian 12 root filesystem with
# systemd, a user manager for the lingering user `tk` (uid 1000) and rootless podman 4.3, plus Quadlet 5.4 as the
# user generator. The test boots it with `podman run --systemd=always --privileged --rootfs DIR:O /sbin/init` (an
# overlay: the cached tree is never changed) and gives tk's podman storage its own bind mount. gnome-keyring and
# libsecret-tools: tk's vault passphrase is provisioned into a real Secret Service (gnome-keyring-daemon on tk's
# session bus, from dbus-user-session) and the test looks it up with secret-tool.
# The version is part of the directory name: a changed package list or configuration gets a new tree (CI rebuilds
# it) without replacing the tree that an older checkout on the same machine still boots.
SYSTEMD_ROOT_VERSION=2   # bump when the package list or the configuration below changes
SYSTEMD_ROOT=$CACHE_DIR/debian-bookworm-systemd-$SYSTEMD_ROOT_VERSION
SYSTEMD_PACKAGES=systemd,systemd-sysv,dbus,dbus-user-session,libpam-systemd,podman,netavark,aardvark-dns,runc,conmon,uidmap,slirp4netns,fuse-overlayfs,catatonit,openjdk-17-jre-headless,nftables,dnsmasq-base,util-linux,tcpdump,curl,ca-certificates,git,procps,iproute2,gnome-keyring,libsecret-tools
if [ "$(cat "$SYSTEMD_ROOT/.terok-version" 2>/dev/null)" != "$SYSTEMD_ROOT_VERSION" ]; then
    sd_root="$(mktemp -d "$CACHE_DIR/systemd.XXXXXX")"
    DEBOOTSTRAP_DIR=$sd_root
    log "deploy: debootstrap bookworm with systemd and podman (about 3 min, log: $CACHE_DIR/debootstrap-systemd.log)"
    if ! debootstrap --variant=minbase --include="$SYSTEMD_PACKAGES" bookworm "$sd_root" "$(debian_mirror)" \
        >"$CACHE_DIR/debootstrap-systemd.log" 2>&1; then
        tail -n 20 "$CACHE_DIR/debootstrap-systemd.log" >&2
        die "debootstrap (systemd root) failed (see $CACHE_DIR/debootstrap-systemd.log)"
    fi
    apt_clean_rootfs "$sd_root"
    chmod 0755 "$sd_root"   # mktemp made it 0700: nobody but root could traverse /
    echo terok-systemd >"$sd_root/etc/hostname"
    chroot "$sd_root" useradd --create-home --uid 1000 --shell /bin/bash tk
    echo 'tk:100000:65536' >"$sd_root/etc/subuid"
    echo 'tk:100000:65536' >"$sd_root/etc/subgid"
    install -d "$sd_root/var/lib/systemd/linger" && : >"$sd_root/var/lib/systemd/linger/tk"
    printf '%s\n' "$CONTAINERS_CONF" >"$sd_root/etc/containers/containers.conf"
    install -d -o 1000 -g 1000 "$sd_root/home/tk/.config" "$sd_root/home/tk/.config/containers" \
        "$sd_root/home/tk/.local" "$sd_root/home/tk/.local/share" "$sd_root/home/tk/.local/share/containers"
    printf '%s\n' "$CONTAINERS_CONF" >"$sd_root/home/tk/.config/containers/containers.conf"
    printf '[storage]\ndriver = "overlay"\n' >"$sd_root/home/tk/.config/containers/storage.conf"
    chown 1000:1000 "$sd_root/home/tk/.config/containers/"*.conf
    install -m 0755 "$QUADLET_BIN" "$sd_root/usr/libexec/podman/quadlet"
    install -d "$sd_root/usr/lib/systemd/user-generators" "$sd_root/usr/lib/systemd/system-generators"
    ln -sfn /usr/libexec/podman/quadlet "$sd_root/usr/lib/systemd/user-generators/podman-user-generator"
    ln -sfn /usr/libexec/podman/quadlet "$sd_root/usr/lib/systemd/system-generators/podman-system-generator"
    echo "$SYSTEMD_ROOT_VERSION" >"$sd_root/.terok-version"
    rm -rf "$SYSTEMD_ROOT"
    mv "$sd_root" "$SYSTEMD_ROOT"
    DEBOOTSTRAP_DIR=""
    log "deploy: cached $SYSTEMD_ROOT ($(du -sh "$SYSTEMD_ROOT" | cut -f1))"
else
    log "deploy: $SYSTEMD_ROOT present"
fi
