# vault-service: sourced by bin/prepare-host (idempotent).
# keyctl (keyutils) backs the kernel-keyring passphrase tier and its tests; curl is used by the vault tests to
# check that the Unix socket serves no broker traffic. The Secret Service tier's tests run a real
# gnome-keyring-daemon (secrets component, headless) on their own dbus-daemon and store items with secret-tool
# (libsecret-tools); the systemd-creds tier uses systemd's own systemd-creds (package systemd, always present).
log "vault: keyutils, gnome-keyring, libsecret-tools, dbus-daemon"
ensure_packages keyutils curl gnome-keyring libsecret-tools dbus-daemon dbus-bin

# The SSH signer's tests run their own sshd (its own host key and config in a temp dir, on a loopback port), so
# only the binary is needed. The package must not bring a system sshd with it: service starts are denied during
# the install (policy-rc.d, as gate.sh does for lighttpd), /etc/ssh/sshd_not_to_be_run keeps ssh.service and the
# init script from ever starting it, and the host keys its postinst generates are deleted again - only those this
# install created, never keys that were there before.
if [ "$(dpkg-query -W -f='${db:Status-Abbrev}' openssh-server 2>/dev/null)" != "ii " ]; then
    log "vault: openssh-server (binary only: no system sshd, no host keys)"
    vault_policy_created=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        vault_policy_created=1
    fi
    mkdir -p /etc/ssh
    touch /etc/ssh/sshd_not_to_be_run
    vault_old_host_keys="$(ls /etc/ssh/ssh_host_*_key 2>/dev/null || true)"
    ensure_packages openssh-server openssh-client
    for k in /etc/ssh/ssh_host_*_key; do
        [ -e "$k" ] || continue
        case "
$vault_old_host_keys
" in
            *"
$k
"*) ;;
            *) rm -f "$k" "$k.pub" ;;
        esac
    done
    [ "$vault_policy_created" = 1 ] && rm -f /usr/sbin/policy-rc.d
    unset vault_policy_created vault_old_host_keys k
else
    ensure_packages openssh-client
fi
