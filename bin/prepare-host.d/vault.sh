# vault-service: sourced by bin/prepare-host (idempotent).
# keyctl (keyutils) backs the kernel-keyring passphrase tier and its tests; curl is used by the vault tests to
# check that the Unix socket serves no broker traffic.
log "vault: keyutils"
ensure_packages keyutils curl
