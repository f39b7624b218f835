# vault-service: sourced by bin/prepare-host (idempotent).
# keyctl (keyutils) backs the kernel-keyring passphrase tier and its tests; curl is used by the vault tests to
# check that the Unix socket serves no broker traffic. The Secret Service tier's tests run a real
# gnome-keyring-daemon (secrets component, headless) on their own dbus-daemon and store items with secret-tool
# (libsecret-tools); the systemd-creds tier uses systemd's own systemd-creds (package systemd, always present).
log "vault: keyutils, gnome-keyring, libsecret-tools, dbus-daemon"
ensure_packages keyutils curl gnome-keyring libsecret-tools dbus-daemon dbus-bin
