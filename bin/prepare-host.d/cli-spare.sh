# The CLI's native client (cli/src/main/c/terok-client.c): bin/terok compiles it with cc; the spare CLI process e2e tests need it.
ensure_packages gcc libc6-dev
