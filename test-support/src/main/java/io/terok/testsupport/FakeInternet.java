package io.terok.testsupport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * A "fake internet" a test or benchmark owns (root only): a network namespace reached through a veth pair from the
 * root namespace, addressed from 198.19.N.0/24 (inside 198.18.0.0/15, reserved for benchmarks; N chosen among the
 * subnets no route uses yet). The host side is .1; the namespace holds the requested addresses, one busybox HTTP
 * server on port 80 of all of them, and a DNS server on .2 answering only the configured names. Containers reach
 * it through slirp4netns, which forwards through the host's routing table, so no traffic ever leaves the machine.
 * {@link #close()} stops what it started (by handle) and deletes the namespace, the veth pair and the web root.
 */
public final class FakeInternet implements AutoCloseable {
    public static final int RESOLVER = 2;
    /** The host end of the veth pair (in the root namespace): where {@link Spec#hostName} names point. */
    public static final int HOST = 1;

    public final String ns;
    /** The first three octets, e.g. {@code 198.19.123}. */
    public final String net;
    private final String privateIp;
    private final String hostIf;
    private final Path www;
    private final List<Process> procs = new ArrayList<>();

    /** What to build: the last octets to serve (2 is always added: the resolver) and DNS names to last octets. */
    public static final class Spec {
        private final String prefix;
        private final TreeSet<Integer> addresses = new TreeSet<>(List.of(RESOLVER));
        private final Map<String, Integer> names = new LinkedHashMap<>();
        private final TreeSet<Integer> ports = new TreeSet<>(List.of(80));
        private boolean privateAddress;

        private Spec(String prefix) {
            if (!prefix.matches("[a-z]{3}")) {
                throw new IllegalArgumentException("prefix: three lower-case letters (interface names are short)");
            }
            this.prefix = prefix;
        }

        public Spec addresses(int from, int to) {
            for (int a = from; a <= to; a++) {
                if (a < 2 || a > 254) {
                    throw new IllegalArgumentException("address ." + a + ": must be within .2-.254");
                }
                addresses.add(a);
            }
            return this;
        }

        /** {@code name} and every name below it resolve to {@code .last}, which is served too. */
        public Spec name(String name, int last) {
            if (!name.matches("[a-z0-9.-]+\\.test")) {
                throw new IllegalArgumentException("name " + name + ": only names under .test");
            }
            names.put(name, last);
            return addresses(last, last);
        }

        /**
         * A vendor's real name (one a program has compiled in, e.g. {@code auth.openai.com}) that this resolver, and
         * only this resolver, answers with the host end of the veth pair, {@link #hostIp()}: the test binds its own
         * server (TLS with its own CA) there. Containers reach it like any fake-internet address; the machine's own
         * resolver never learns the name.
         */
        public Spec hostName(String name) {
            if (!name.matches("[a-z0-9]([a-z0-9.-]{0,200}[a-z0-9])?") || !name.contains(".") || name.contains("..")) {
                throw new IllegalArgumentException("name " + name + ": a DNS name");
            }
            names.put(name, HOST);
            return this;
        }

        /** Serves HTTP on {@code port} too (every address; 80 always). */
        public Spec port(int port) {
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("port " + port);
            }
            ports.add(port);
            return this;
        }

        /**
         * Adds {@link #privateIp()}, an address in 172.16.0.0/12 (private) routed from the host to the namespace and
         * served like the others: a listener a firewall's private-range reject must stop.
         */
        public Spec privateAddress() {
            privateAddress = true;
            return this;
        }

        public FakeInternet start() throws IOException {
            return new FakeInternet(this);
        }
    }

    /** {@code prefix}: three letters that name the netns and interfaces, so leftovers show whose they are. */
    public static Spec spec(String prefix) {
        return new Spec(prefix);
    }

    private FakeInternet(Spec spec) throws IOException {
        Cmd.require(List.of("ip", "busybox", "dnsmasq", "curl"));
        String id = RandomHex.of(3);
        ns = spec.prefix + "-" + id;
        hostIf = spec.prefix + id + "h";
        String nsIf = spec.prefix + id + "n";
        String routes = Cmd.ok("ip", "-4", "route", "show");
        int n = 100 + new SecureRandom().nextInt(150);
        for (int tries = 0; routes.contains("198.19." + n + "."); tries++) {
            if (tries > 150) {
                throw new IllegalStateException("no free 198.19.N.0/24 subnet for a fake internet");
            }
            n = 100 + (n - 99) % 150;
        }
        net = "198.19." + n;
        String priv = "172.31." + n + ".2";
        if (spec.privateAddress && routes.contains("172.31." + n + ".")) {
            throw new IllegalStateException("a route already covers " + priv);
        }
        privateIp = spec.privateAddress ? priv : null;
        www = Files.createTempDirectory("terok-fake-internet");
        Files.writeString(www.resolve("index.html"), "hello from the fake internet\n");
        try {
            Cmd.ok("ip", "netns", "add", ns);
            Cmd.ok("ip", "link", "add", hostIf, "type", "veth", "peer", "name", nsIf);
            Cmd.ok("ip", "link", "set", nsIf, "netns", ns);
            Cmd.ok("ip", "addr", "add", net + ".1/24", "dev", hostIf);
            Cmd.ok("ip", "link", "set", hostIf, "up");
            for (int a : spec.addresses) {
                Cmd.ok("ip", "netns", "exec", ns, "ip", "addr", "add", ip(a) + "/24", "dev", nsIf);
            }
            Cmd.ok("ip", "netns", "exec", ns, "ip", "link", "set", nsIf, "up");
            Cmd.ok("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up");
            Cmd.ok("ip", "netns", "exec", ns, "ip", "route", "add", "default", "via", net + ".1");
            if (privateIp != null) {
                Cmd.ok("ip", "netns", "exec", ns, "ip", "addr", "add", privateIp + "/32", "dev", nsIf);
                Cmd.ok("ip", "route", "add", privateIp + "/32", "via", ip(RESOLVER), "dev", hostIf);
            }
            for (int port : spec.ports) {
                procs.add(Cmd.spawn("ip", "netns", "exec", ns, "busybox", "httpd", "-f", "-p", String.valueOf(port), "-h",
                        www.toString()));
            }
            List<String> dns = new ArrayList<>(List.of("ip", "netns", "exec", ns, "dnsmasq", "--keep-in-foreground",
                    "--no-resolv", "--no-hosts", "--bind-interfaces", "--listen-address=" + ip(RESOLVER),
                    "--except-interface=lo", "--pid-file=", "--user=root"));
            // --local: the names are answered here and never forwarded, so a query for another type (AAAA) gets an
            // empty answer instead of REFUSED (no upstream), which musl's resolver (Codex's static binary) takes as
            // a failed lookup of the whole name.
            spec.names.forEach((name, last) -> dns.addAll(List.of("--address=/" + name + "/" + ip(last), "--local=/" + name + "/")));
            procs.add(Cmd.spawn(dns.toArray(String[]::new)));
            for (int port : spec.ports) {
                waitHttp(ip(RESOLVER) + ":" + port);
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    public String ip(int last) {
        return net + "." + last;
    }

    /** The private address {@link Spec#privateAddress()} asked for. */
    public String privateIp() {
        if (privateIp == null) {
            throw new IllegalStateException("no private address: Spec.privateAddress()");
        }
        return privateIp;
    }

    /** The host end of the veth pair: a test's own server bound here is reached from the fake internet's side. */
    public String hostIp() {
        return ip(HOST);
    }

    public String resolver() {
        return ip(RESOLVER);
    }

    /** The web root every address serves (holds {@code index.html}). */
    public Path www() {
        return www;
    }

    private static void waitHttp(String ip) {
        for (int i = 0; i < 100; i++) {
            if (Cmd.run("curl", "-s", "-m", "1", "-o", "/dev/null", "http://" + ip + "/").code() == 0) {
                return;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        throw new IllegalStateException("fake internet HTTP server " + ip + " did not come up");
    }

    @Override
    public void close() {
        procs.forEach(Cmd::stop);
        Cmd.run("ip", "link", "del", hostIf);
        Cmd.run("ip", "netns", "del", ns);
        Cmd.run("rm", "-rf", www.toString());
    }
}
