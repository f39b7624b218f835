# gate-service: its tests drive the real git CLI and run `git http-backend` behind an HTTPS server whose
# certificates openssl makes (https upstreams); bench/run-gate compares the gate with `git http-backend`
# behind lighttpd. Sourced by bin/prepare-host (idempotent).
#
# lighttpd's package would start a system web server on port 80 of every interface. The benchmark runs its
# own instance on a loopback port, so the install is done with service starts denied (policy-rc.d, removed
# again only if this script created it).
if [ "$(dpkg-query -W -f='${db:Status-Abbrev}' lighttpd 2>/dev/null)" != "ii " ]; then
    gate_policy_created=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        gate_policy_created=1
    fi
    ensure_packages git openssl lighttpd
    [ "$gate_policy_created" = 1 ] && rm -f /usr/sbin/policy-rc.d
    unset gate_policy_created
else
    ensure_packages git openssl
fi
