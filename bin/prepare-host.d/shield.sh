# shellcheck shell=bash
# shield-service: what its tests (and the shield itself) need on the host. Sourced by bin/prepare-host.
#  - nftables (nft), iproute2 (ip netns for the tests' fake internet), dnsmasq-base (per-task DNS forwarder
#    with nftset, and the fake internet's resolver), util-linux (nsenter), tcpdump (reads the NFLOG group of
#    a task's netns for blocked-connection events), busybox-static (httpd in the fake internet).
ensure_packages nftables iproute2 dnsmasq-base util-linux tcpdump busybox-static
if ! dnsmasq --version 2>/dev/null | grep -qw nftset || dnsmasq --version | grep -qw no-nftset; then
    die "shield: this dnsmasq has no nftset support (needs dnsmasq-base >= 2.87 built with nftset)"
fi
