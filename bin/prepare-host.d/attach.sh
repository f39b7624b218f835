# terok attach / login / run -t: the e2e tests (AttachEndToEndTest) drive the CLI through a real pseudo-terminal,
# a tmux server of their own (typed keys, window resize, what the screen shows). Sourced by bin/prepare-host
# (idempotent).
ensure_packages tmux
