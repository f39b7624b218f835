package io.terok.shield;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * A "fake internet" the tests own: a network namespace reached through a veth pair from the root namespace, with
 * addresses from 198.19.N.0/24 (inside 198.18.0.0/15, reserved for benchmarks; N chosen free at start), HTTP
 * servers on .2, .3 and .4 (port 80) and a DNS server on .2 answering {@code *.name.test} → .3,
 * {@code other.test} → .4 and {@code near.test} → .4. Containers reach it through slirp4netns, which forwards
 * through the host's routing table. {@link #close()} stops what it started (by pid) and deletes the netns and veth.
 */
final class FakeInternet implements AutoCloseable {
    final String ns;
    final String net;
    private final String hostIf;
    private final Path www;
    private final List<Process> procs = new ArrayList<>();

    FakeInternet() throws IOException {
        String id = TestShield.hex(3);
        ns = "tsh-" + id;
        hostIf = "tsh" + id + "h";
        String routes = Sh.ok("ip", "-4", "route", "show");
        int n = 100 + new SecureRandom().nextInt(150);
        while (routes.contains("198.19." + n + ".")) {
            n = 100 + (n - 99) % 150;
        }
        net = "198.19." + n;
        www = Files.createTempDirectory("shield-fake-internet");
        Files.writeString(www.resolve("index.html"), "hello from the fake internet\n");
        try {
            Sh.ok("ip", "netns", "add", ns);
            Sh.ok("ip", "link", "add", hostIf, "type", "veth", "peer", "name", "tsh" + id + "n");
            Sh.ok("ip", "link", "set", "tsh" + id + "n", "netns", ns);
            Sh.ok("ip", "addr", "add", net + ".1/24", "dev", hostIf);
            Sh.ok("ip", "link", "set", hostIf, "up");
            for (int a = 2; a <= 5; a++) {
                Sh.ok("ip", "netns", "exec", ns, "ip", "addr", "add", net + "." + a + "/24", "dev", "tsh" + id + "n");
            }
            Sh.ok("ip", "netns", "exec", ns, "ip", "link", "set", "tsh" + id + "n", "up");
            Sh.ok("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up");
            Sh.ok("ip", "netns", "exec", ns, "ip", "route", "add", "default", "via", net + ".1");
            for (int a = 2; a <= 5; a++) {
                spawn("ip", "netns", "exec", ns, "busybox", "httpd", "-f", "-p", net + "." + a + ":80", "-h", www.toString());
            }
            spawn("ip", "netns", "exec", ns, "dnsmasq", "--keep-in-foreground", "--no-resolv", "--no-hosts",
                    "--bind-interfaces", "--listen-address=" + net + ".2", "--except-interface=lo", "--pid-file=",
                    "--user=root", "--log-queries", "--log-facility=-",
                    "--address=/name.test/" + net + ".3", "--address=/other.test/" + net + ".4",
                    "--address=/near.test/" + net + ".4");
            waitHttp(net + ".2");
            waitHttp(net + ".3");
            waitHttp(net + ".4");
        } catch (RuntimeException | IOException e) {
            close();
            throw e;
        }
    }

    String ip(int last) {
        return net + "." + last;
    }

    private void spawn(String... argv) throws IOException {
        procs.add(new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start());
    }

    private static void waitHttp(String ip) {
        for (int i = 0; i < 100; i++) {
            if (Sh.run("curl", "-s", "-m", "1", "-o", "/dev/null", "http://" + ip + "/").code() == 0) {
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
        for (Process p : procs) {
            p.descendants().forEach(ProcessHandle::destroy);
            p.destroy();
        }
        for (Process p : procs) {
            try {
                p.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        Sh.run("ip", "link", "del", hostIf);
        Sh.run("ip", "netns", "del", ns);
        Sh.run("rm", "-rf", www.toString());
    }
}
