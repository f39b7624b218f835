# shellcheck shell=bash
# Podman 5 under systemd (deploy-test's Podman5SystemdEndToEndTest): a Debian 13 (trixie) root filesystem with
# systemd, a user manager for the lingering user `tk` (uid 1000) and Debian 13's rootless podman 5 with its own
# Quadlet generator, booted by the test as a systemd container (`podman run --systemd=always --rootfs DIR:O`).
# Run by bin/prepare-host in the background (a subshell with its own log, overlapping the image builds and the
# other parts; idempotent); it needs only the packages and the helpers prepare-host defines before step 5.
#  - debootstrap trixie INTO A DIRECTORY from the Debian mirror this machine already uses. The machine's own apt
#    sources are never touched: a trixie source there would upgrade libc and systemd on the whole machine.
#  - minbase plus only what the test runs inside: systemd + the user manager (dbus-user-session, libpam-systemd),
#    podman 5 and what it needs rootless (netavark, aardvark-dns, conmon, crun/runc, uidmap, passt = pasta, the
#    default rootless network of podman 5, fuse-overlayfs, catatonit; slirp4netns for root's tasks: rootful podman 5
#    refuses pasta), the shield hook's tools (nftables,
#    dnsmasq-base, iproute2), git (the gate's upstream), gnome-keyring + libsecret-tools (the vault passphrase in
#    tk's Secret Service). No JRE: the test mounts the host's JDK 17 read-only for `bin/terok` (the services run
#    in their own images, which carry their JRE).
#  - cached as a tar ($SYSTEMD5_TAR, what a CI cache keeps) and unpacked beside it as the directory the test boots
#    (read-only, through an overlay). The version is part of both names: a changed package list or configuration
#    gets new ones, an older checkout on the same machine keeps booting its own.
SYSTEMD5_VERSION=3   # bump when the package list or the configuration below changes
SYSTEMD5_ROOT=$CACHE_DIR/debian-trixie-systemd-$SYSTEMD5_VERSION
SYSTEMD5_TAR=$SYSTEMD5_ROOT.tar
SYSTEMD5_PACKAGES=systemd,systemd-sysv,dbus,dbus-user-session,libpam-systemd,podman,netavark,aardvark-dns,crun,runc,conmon,uidmap,passt,slirp4netns,fuse-overlayfs,catatonit,nftables,dnsmasq-base,iproute2,procps,git,gnome-keyring,libsecret-tools
# The test boots this root on a pure cgroup v2 hierarchy (what every podman 5 host has; this VM's kernel is cgroups
# v1 hybrid, whose v2 hierarchy carries no controller). Hence pids_limit = 0: podman's default pids limit needs the
# pids controller (runc: pids.max: no such file). Default ulimits: the VM's hard limits are lower (as for the host's
# podman, CONTAINERS_CONF in bin/prepare-host). Everything else is podman 5's default (pasta, netavark, quadlet).
SYSTEMD5_CONTAINERS_CONF="$MARKER
[containers]
pids_limit = 0
default_ulimits = [\"nofile=1024:1024\", \"nproc=1024:1024\"]

[engine]
runtime = \"runc\""

build_systemd5_tar() {
    local t0=$SECONDS root
    root="$(mktemp -d "$CACHE_DIR/systemd5.XXXXXX")"
    DEBOOTSTRAP_DIR=$root
    log "podman5: debootstrap trixie (minbase, ${SYSTEMD5_PACKAGES//,/ }) from $(debian_mirror) into $root" \
        "(a few minutes, log: $CACHE_DIR/debootstrap-trixie-systemd.log)"
    if ! debootstrap --variant=minbase --include="$SYSTEMD5_PACKAGES" trixie "$root" "$(debian_mirror)" \
        >"$CACHE_DIR/debootstrap-trixie-systemd.log" 2>&1; then
        tail -n 20 "$CACHE_DIR/debootstrap-trixie-systemd.log" >&2
        die "debootstrap (trixie systemd root) failed (see $CACHE_DIR/debootstrap-trixie-systemd.log)"
    fi
    log "podman5: debootstrap done after $((SECONDS - t0)) s; configuring"
    apt_clean_rootfs "$root"
    rm -rf "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/locale/* "$root"/usr/share/info/*
    chmod 0755 "$root"   # mktemp made it 0700: nobody but root could traverse /
    echo terok-systemd5 >"$root/etc/hostname"
    chroot "$root" useradd --create-home --uid 1000 --shell /bin/bash tk
    echo 'tk:100000:65536' >"$root/etc/subuid"
    echo 'tk:100000:65536' >"$root/etc/subgid"
    install -d "$root/var/lib/systemd/linger" && : >"$root/var/lib/systemd/linger/tk"
    install -d "$root/etc/containers"
    printf '%s\n' "$SYSTEMD5_CONTAINERS_CONF" >"$root/etc/containers/containers.conf"
    install -d -o 1000 -g 1000 "$root/home/tk/.config" "$root/home/tk/.config/containers" \
        "$root/home/tk/.local" "$root/home/tk/.local/share" "$root/home/tk/.local/share/containers"
    printf '%s\n' "$SYSTEMD5_CONTAINERS_CONF" >"$root/home/tk/.config/containers/containers.conf"
    printf '[storage]\ndriver = "overlay"\n' >"$root/home/tk/.config/containers/storage.conf"
    chown 1000:1000 "$root/home/tk/.config/containers/"*.conf
    # Podman 5's Quadlet units wait for the system's network-online.target (podman-user-wait-network-online.service).
    # On a host, NetworkManager or networkd reaches it; this container has no network manager (--network=none, only
    # loopback), so the target is simply part of the boot.
    ln -sfn /usr/lib/systemd/system/network-online.target "$root/etc/systemd/system/multi-user.target.wants/network-online.target"
    [ -x "$root/usr/libexec/podman/quadlet" ] || die "podman5: the trixie podman has no /usr/libexec/podman/quadlet"
    [ -e "$root/usr/lib/systemd/user-generators/podman-user-generator" ] \
        || die "podman5: the trixie podman has no user generator"
    echo "$SYSTEMD5_VERSION" >"$root/.terok-version"
    tar --numeric-owner -C "$root" -cf "$SYSTEMD5_TAR.tmp" .
    chmod 0644 "$SYSTEMD5_TAR.tmp"
    mv -f "$SYSTEMD5_TAR.tmp" "$SYSTEMD5_TAR"
    cleanup_debootstrap
    DEBOOTSTRAP_DIR=""
    log "podman5: cached $SYSTEMD5_TAR ($(du -h "$SYSTEMD5_TAR" | cut -f1)) after $((SECONDS - t0)) s"
}

if [ "$(cat "$SYSTEMD5_ROOT/.terok-version" 2>/dev/null)" != "$SYSTEMD5_VERSION" ]; then
    sd5_t0=$SECONDS
    [ -f "$SYSTEMD5_TAR" ] || build_systemd5_tar
    sd5_dir="$(mktemp -d "$CACHE_DIR/systemd5-x.XXXXXX")"
    tar --numeric-owner -C "$sd5_dir" -xf "$SYSTEMD5_TAR"
    chmod 0755 "$sd5_dir"
    rm -rf --one-file-system "$SYSTEMD5_ROOT"
    mv "$sd5_dir" "$SYSTEMD5_ROOT"
    log "podman5: $SYSTEMD5_ROOT ready ($(du -sh "$SYSTEMD5_ROOT" | cut -f1), podman $(sed -n '/^Package: podman$/,/^$/s/^Version: //p' "$SYSTEMD5_ROOT/var/lib/dpkg/status")) after $((SECONDS - sd5_t0)) s"
    unset sd5_t0 sd5_dir
else
    log "podman5: $SYSTEMD5_ROOT present"
fi
