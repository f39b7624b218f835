package io.terok.shield;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.terok.common.ServiceException;
import io.terok.shield.events.BlockedEvent;
import io.terok.shield.netns.NsenterRunner;
import io.terok.shield.policy.RulesetGenerator;
import io.terok.shield.task.AuditLog;
import io.terok.testsupport.FakeInternet;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Rootful podman containers behind the shield, against a fake internet: the hook loads the firewall before the
 * container's first instruction, live changes take effect without a restart, restarts keep the firewall, a failing
 * hook keeps the container from running. One container carries the ordered steps.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RootfulFirewallTest {
    static FakeInternet internet;
    static TestShield shield;
    static HttpServer allowedPort;
    static HttpServer otherPort;
    static final String TASK = TestShield.newTaskId();
    static final String NAME = "shield-test-" + TASK.substring(0, 8);
    static final LinkedBlockingQueue<BlockedEvent> events = new LinkedBlockingQueue<>();

    @BeforeAll
    static void setUp() throws Exception {
        Sh.require(true, "podman", "nft", "nsenter", "ip", "dnsmasq", "busybox", "tcpdump", "curl");
        NsenterRunner runner = new NsenterRunner(false);
        shield = new TestShield(Files.createTempDirectory("shield-rootful"), false, runner);
        internet = shield.internet;
        shield.hub(runner).subscribe(TASK, events::add);
        allowedPort = http();
        otherPort = http();
        shield.manager.prepare(TASK, NAME, List.of(), List.of(allowedPort.getAddress().getPort()), "10.0.2.2");
        Sh.Out run = shield.podman.runTask(NAME, TASK);
        assertEquals(0, run.code(), run.both());
    }

    static HttpServer http() throws Exception {
        HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        s.createContext("/", x -> {
            byte[] b = "host\n".getBytes(StandardCharsets.UTF_8);
            x.sendResponseHeaders(200, b.length);
            x.getResponseBody().write(b);
            x.close();
        });
        s.start();
        return s;
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (shield != null) {
            shield.close();
        }
        if (allowedPort != null) {
            allowedPort.stop(0);
            otherPort.stop(0);
        }
    }

    @Test
    @Order(1)
    void refusedBeforeAllowAndAnEventArrives() throws Exception {
        BlockedEvent e = shield.firstBlocked(NAME, shield.url(3), events);
        assertEquals(internet.ip(3), e.destinationIp());
        assertEquals(80, e.destinationPort());
        assertEquals("tcp", e.protocol());
    }

    @Test
    @Order(2)
    void hostPortsOnlyTheTasksOwn() {
        assertTrue(shield.podman.reaches(NAME, "http://10.0.2.2:" + allowedPort.getAddress().getPort() + "/"));
        assertFalse(shield.podman.reaches(NAME, "http://10.0.2.2:" + otherPort.getAddress().getPort() + "/"),
                "another host loopback port is refused");
    }

    @Test
    @Order(3)
    void allowWorksLiveThenDenyRefusesAgain() {
        long t0 = System.nanoTime();
        shield.manager.allow(TASK, internet.ip(3));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(shield.podman.reaches(NAME, shield.url(3)), "allowed without restart");
        assertFalse(shield.podman.reaches(NAME, shield.url(4)), "only what was allowed");
        System.out.println("[shield] allow applied in " + ms + " ms");
        shield.manager.deny(TASK, internet.ip(3));
        assertFalse(shield.podman.reaches(NAME, shield.url(3)), "denied again");
    }

    @Test
    @Order(4)
    void denyBeatsAllow() {
        shield.manager.deny(TASK, internet.net + ".0/24");
        var status = shield.manager.allow(TASK, internet.ip(4));
        assertTrue(status.notes().stream().anyMatch(n -> n.contains("deny beats allow")), status.toString());
        assertFalse(shield.podman.reaches(NAME, shield.url(4)), "deny (CIDR) beats allow (IP)");
    }

    @Test
    @Order(5)
    void privateRangesRefusedUnlessExplicitlyAllowed() {
        // 10.0.2.2 is the host's loopback through slirp4netns: only the task's own port is open there
        int other = otherPort.getAddress().getPort();
        assertFalse(shield.podman.reaches(NAME, "http://10.0.2.2:" + other + "/"));
        // a listener at a private address (172.31.N.2, routed to the fake internet)
        String priv = "http://" + internet.privateIp() + "/";
        Sh.Out host = Sh.run("curl", "-sS", "-m", "3", "-o", "/dev/null", priv);
        assertEquals(0, host.code(), "positive control: the private listener answers from the host: " + host.both());
        assertFalse(shield.podman.reaches(NAME, priv), "a private address is refused");
        try {
            // down: everything else is let through, so only the private-range reject stands between task and listener
            shield.manager.down(TASK, false);
            assertFalse(shield.podman.reaches(NAME, priv), "a private address is refused even with the shield down");
            shield.manager.down(TASK, true);
            assertTrue(shield.podman.reaches(NAME, priv),
                    "positive control: without the private-range reject (down --all) the task reaches it");
        } finally {
            shield.manager.up(TASK);
        }
        assertFalse(shield.podman.reaches(NAME, priv), "refused again once the shield is up");
    }

    @Test
    @Order(6)
    void badInputIsRefusedAndChangesNothing() {
        int pid = shield.podman.pid(NAME);
        String before = shield.manager.runner().listTable(pid);
        for (String bad : List.of("1.2.3.4; flush ruleset", "1.2.3.4 }", "example.com\nflush ruleset", "10.0.0.0/33",
                "not_a_host!", "1.2.3.256", "")) {
            ServiceException e = TargetsTest.invalid(() -> shield.manager.allow(TASK, bad), bad);
            assertTrue(e.getMessage().startsWith("target: "), e.getMessage());
        }
        assertEquals(strip(before), strip(shield.manager.runner().listTable(pid)));
    }

    static String strip(String ruleset) {
        return ruleset.replaceAll("counter packets \\d+ bytes \\d+", "counter").replaceAll("expires \\S+", "");
    }

    @Test
    @Order(7)
    void containerCannotAlterTheRules() {
        String task = TestShield.newTaskId();
        shield.manager.prepare(task, "nft-probe", List.of(), List.of(), "10.0.2.2");
        // the host's own nft, run inside the container through the host's dynamic loader
        Sh.Out o = shield.podman.podman("run", "--rm", "--cap-drop=all", "--security-opt=no-new-privileges",
                "--userns=auto", "--user=1000:1000", "--network=slirp4netns:allow_host_loopback=true", "--dns=127.0.0.1",
                "--annotation", "io.terok.shield.task=" + task, "-v", "/usr:/host/usr:ro", Podman.IMAGE,
                "/host/usr/lib64/ld-linux-x86-64.so.2", "--library-path", "/host/usr/lib/x86_64-linux-gnu",
                "/host/usr/sbin/nft", "flush", "ruleset");
        assertNotEquals(0, o.code(), "nft inside the container must fail: " + o.both());
        assertTrue(o.both().contains("Operation not permitted"), o.both());
        shield.manager.release(task);
        Sh.Out caps = shield.podman.podman("exec", NAME, "grep", "CapEff", "/proc/self/status");
        assertTrue(caps.out().contains("0000000000000000"), caps.out());
    }

    @Test
    @Order(8)
    void restartAndStopStartKeepTheFirewall() {
        shield.manager.allow(TASK, internet.net + ".0/24");   // lifts the deny of the CIDR, opens it
        shield.manager.deny(TASK, internet.ip(3));
        assertTrue(shield.podman.reaches(NAME, shield.url(2)), () -> shield.manager.rules(TASK) + shield.podman.podman("exec", NAME,
                "curl", "-sS", "-m", "3", shield.url(2)).both());
        Sh.Out r = shield.podman.podman("restart", "-t", "0", NAME);
        assertEquals(0, r.code(), r.both());
        assertTrue(shield.podman.reaches(NAME, shield.url(2)), "live allow survives the restart");
        assertFalse(shield.podman.reaches(NAME, shield.url(3)), "firewall back after podman restart");
        assertEquals(0, shield.podman.podman("stop", "-t", "0", NAME).code());
        assertEquals(0, shield.podman.podman("start", NAME).code());
        assertFalse(shield.podman.reaches(NAME, shield.url(3)), "firewall back after podman stop + start");
        assertTrue(shield.manager.runningPid(TASK).isPresent(), "the hook recorded the new pid");
        assertTrue(shield.podman.reaches(NAME, shield.url(2)));
    }

    @Test
    @Order(9)
    void failingHookLeavesTheContainerNotRunning() throws Exception {
        String task = TestShield.newTaskId();
        String name = "shield-fail-" + task.substring(0, 8);
        shield.manager.prepare(task, name, List.of(), List.of(), "10.0.2.2");
        Path ruleset = shield.manager.store().dir(task).resolve("ruleset.nft");
        Files.writeString(ruleset, "this is not nft\n");
        Sh.Out o = shield.podman.runTask(name, task);
        assertNotEquals(0, o.code(), "podman run must fail when the hook fails");
        assertNotEquals("running", shield.podman.state(name));
        // unknown task (state released): fail closed too
        String ghost = TestShield.newTaskId();
        Sh.Out g = shield.podman.runTask("shield-ghost-" + ghost.substring(0, 8), ghost);
        assertNotEquals(0, g.code());
        assertNotEquals("running", shield.podman.state("shield-ghost-" + ghost.substring(0, 8)));
        shield.manager.release(task);
    }

    /** A task whose profile allows name.test, started behind its firewall; closing removes it and its state. */
    record Started(String task, String name, int pid) implements AutoCloseable {
        static Started with(String prefix, List<String> relayed) throws Exception {
            // the fake internet serves plain HTTP on 80: a profile line names the port (443 is the default)
            return with(prefix, relayed, "# the test's names\nname.test 80\n");
        }

        static Started with(String prefix, List<String> relayed, String profile) throws Exception {
            String task = TestShield.newTaskId();
            String name = prefix + task.substring(0, 8);
            String profileName = "fake-" + task.substring(0, 8);
            Files.createDirectories(shield.root.resolve("profiles"));
            Files.writeString(shield.root.resolve("profiles/" + profileName + ".txt"), profile);
            shield.manager.prepare(task, name, List.of(profileName), List.of(), "10.0.2.2", relayed);
            Sh.Out run = shield.podman.runTask(name, task);
            if (run.code() != 0) {
                shield.manager.release(task);
                throw new AssertionError(run.both());
            }
            return new Started(task, name, shield.podman.pid(name));
        }

        /** Waits until the hook's pre-resolution put {@code address} into the task's table; true when it did. */
        boolean tableHas(String address) throws InterruptedException {
            for (int i = 0; i < 60 && !shield.manager.runner().listTable(pid).contains(address); i++) {
                Thread.sleep(50);
            }
            return shield.manager.runner().listTable(pid).contains(address);
        }

        @Override
        public void close() {
            shield.podman.podman("rm", "-f", "-t", "0", name);
            shield.manager.release(task);
        }
    }

    @Test
    @Order(10)
    void domainAllowThroughTheTasksResolver() throws Exception {
        try (Started t = Started.with("shield-dns-", List.of())) {
            String task = t.task();
            String name = t.name();
            int pid = t.pid();
            Path dir = shield.manager.store().dir(task);
            assertTrue(t.tableHas(internet.ip(3)),
                    () -> "pre-resolved by the hook before the first instruction\n" + shield.manager.runner().listTable(pid)
                            + Sh.run("sh", "-c", "cd " + dir + " && ls -la && cat dnsmasq.log hook-error.log domains").both());
            assertTrue(shield.podman.reaches(name, "http://name.test/"), "allowed domain works");
            assertTrue(shield.podman.reaches(name, "http://www.name.test/"), "and its subdomains");
            assertFalse(shield.podman.reaches(name, "http://other.test/"), "a name not on the list: refused");
            assertFalse(shield.manager.runner().listTable(pid).contains(internet.ip(4)),
                    "resolving a name not on the list does not allow its address");
            long t0 = System.nanoTime();
            shield.manager.allow(task, "other.test");
            long ms = (System.nanoTime() - t0) / 1_000_000;
            System.out.println("[shield] domain allow (forwarder restart + pre-resolve) in " + ms + " ms");
            assertTrue(shield.podman.reaches(name, "http://other.test/"), "live domain allow");
            shield.manager.deny(task, "other.test");
            Sh.Out nx = shield.podman.podman("exec", name, "getent", "hosts", "other.test");
            assertNotEquals(0, nx.code(), "a denied name does not resolve: " + nx.both());
            assertFalse(shield.podman.reaches(name, "http://" + internet.ip(4) + "/"), "its learned address is gone");
            assertTrue(shield.podman.reaches(name, "http://name.test/"), "the other allowed name still works");
            String log = Files.readString(shield.manager.store().dir(task).resolve("audit.jsonl"));
            assertTrue(log.contains("\"action\":\"allowed\",\"destination\":\"other.test\""), log);
        }
    }

    @Test
    @Order(11)
    void relayedHostsStayDeniedWhateverTheOperatorAllows() throws Exception {
        // other.test and near.test are the same address (.4); .5 is a relayed address literal
        try (Started t = Started.with("shield-relay-", List.of("other.test", internet.ip(5)))) {
            String task = t.task();
            String name = t.name();
            assertTrue(t.tableHas(internet.ip(4)), "the relayed name's address is denied before the task's first instruction");
            assertTrue(shield.podman.reaches(name, "http://name.test/"), "the profile still works");
            assertFalse(shield.podman.reaches(name, "http://other.test/"), "relayed name refused");

            var allowed = shield.manager.allow(task, "other.test");
            assertTrue(allowed.notes().stream().anyMatch(n -> n.contains("relayed by the vault")), allowed.toString());
            assertFalse(shield.podman.reaches(name, "http://other.test/"), "an allow of the name does not open it");
            shield.manager.allow(task, internet.ip(4));
            assertFalse(shield.podman.reaches(name, shield.url(4)), "nor an allow of its address (a clearance verdict)");
            shield.manager.allow(task, "near.test");
            assertFalse(shield.podman.reaches(name, "http://near.test/"), "nor another name on the same address");
            shield.manager.allow(task, internet.ip(5));
            assertFalse(shield.podman.reaches(name, shield.url(5)), "a relayed address literal likewise");
            shield.manager.down(task, true);
            assertFalse(shield.podman.reaches(name, shield.url(4)), "shield down --all keeps them closed");
            assertTrue(shield.podman.reaches(name, shield.url(3)), "while the rest is open");
            assertEquals(List.of("other.test", internet.ip(5)), shield.manager.status(task).relayed());
        }
    }

    @Test
    @Order(12)
    void anAllowWithAPortOpensOnlyThatPort() throws Exception {
        try (Started t = Started.with("shield-port-", List.of())) {
            String port80 = shield.url(5);
            String port81 = "http://" + internet.ip(5) + ":81/";
            assertFalse(shield.podman.reaches(t.name(), port80));
            assertFalse(shield.podman.reaches(t.name(), port81));
            LinkedBlockingQueue<BlockedEvent> passed = new LinkedBlockingQueue<>();
            LinkedBlockingQueue<BlockedEvent> plain = new LinkedBlockingQueue<>();
            shield.hub().subscribe(t.task(), true, e -> {
                if (e.passed()) {
                    passed.add(e);
                }
            });
            shield.hub().subscribe(t.task(), plain::add);
            Thread.sleep(700);   // the hub's reader attaches within a scan (200 ms here)
            // what a clearance verdict for "198.19.N.5:80/tcp" sends
            var s = shield.manager.allow(t.task(), internet.ip(5), 80, "tcp");
            assertTrue(s.allowed().contains(internet.ip(5) + ":80/tcp"), s.toString());
            assertTrue(shield.podman.reaches(t.name(), port80), "the port the prompt showed is open");
            // the first packet through after the Allow is reported once (the verdict's effect, for the timeline)
            BlockedEvent first = passed.poll(5, TimeUnit.SECONDS);
            assertNotNull(first, "the first packet through after the Allow is reported");
            assertEquals(internet.ip(5), first.destinationIp());
            assertEquals(80, first.destinationPort());
            assertEquals("tcp", first.protocol());
            assertTrue(shield.podman.reaches(t.name(), port80));
            assertNull(passed.poll(1, TimeUnit.SECONDS), "only the first one: the one-shot element is gone");
            assertTrue(plain.stream().noneMatch(BlockedEvent::passed), "a subscriber that did not ask never sees one");
            assertTrue(shield.manager.auditLog(t.task(), 100).stream()
                    .anyMatch(a -> a.action().equals("passed") && a.destination().equals(internet.ip(5) + ":80")),
                    "audited as passed");
            assertFalse(shield.podman.reaches(t.name(), port81), "another port of the same address stays closed");
            Sh.Out r = shield.podman.podman("restart", "-t", "0", t.name());
            assertEquals(0, r.code(), r.both());
            assertTrue(shield.podman.reaches(t.name(), port80), "the port allow survives a restart");
            assertFalse(shield.podman.reaches(t.name(), port81), "and still only that port");
            shield.manager.allow(t.task(), internet.ip(5));
            assertTrue(shield.podman.reaches(t.name(), port81), "positive control: port 81 answers once the address is allowed");
        }
    }

    @Test
    @Order(13)
    void hostLoopbackLinkLocalAndMetadataAreNeverOpenedByAnAllow() {
        String otherUrl = "http://10.0.2.2:" + otherPort.getAddress().getPort() + "/";
        for (String target : List.of("10.0.2.2", "169.254.169.254", "127.0.0.1", "169.254.0.0/24", "fd00:ec2::254", "fe80::1")) {
            ServiceException whole = TargetsTest.invalid(() -> shield.manager.allow(TASK, target), target);
            assertTrue(whole.getMessage().contains("--host-port"), whole.getMessage());
            if (!target.contains("/")) {
                ServiceException port = TargetsTest.invalid(() -> shield.manager.allow(TASK, target, 5432, "tcp"), target);
                assertTrue(port.getMessage().contains("an Allow never opens " + target), port.getMessage());
            }
        }
        assertFalse(shield.podman.reaches(NAME, otherUrl), "a host loopback service stays closed");
        assertFalse(shield.manager.status(TASK).allowed().stream().anyMatch(a -> a.startsWith("10.0.2.2") || a.startsWith("169.254")));
        var wide = shield.manager.allow(TASK, "10.0.0.0/8");
        assertTrue(wide.notes().stream().anyMatch(n -> n.contains("does not open")), wide.toString());
        assertFalse(shield.podman.reaches(NAME, otherUrl), "a wider allowed network does not open the host's loopback");
        var explicit = shield.manager.allowHostPort(TASK, otherPort.getAddress().getPort());
        assertTrue(explicit.notes().get(0).contains("host's loopback port"), explicit.toString());
        assertTrue(shield.podman.reaches(NAME, otherUrl), "only the operator's explicit --host-port opens one");
    }

    /**
     * Issue 15 item 2: an allowed domain opens only the ports its profile names (443 when it names none), so a
     * default profile's github.com does not let a task `git push git@github.com:...` (port 22) past the gate.
     * Listeners on 22, 80 and 443 of the fake internet; before profile ports every port of an allowed name was open
     * (name.test:22 was reached).
     */
    @Test
    @Order(15)
    void aProfileDomainOpensOnlyThePortsItsProfileNames() throws Exception {
        try (Started t = Started.with("shield-prt-", List.of(), "name.test\nnear.test 22 443\n")) {
            String name = t.name();
            assertTrue(t.tableHas(internet.ip(3)), "pre-resolved");
            assertTrue(shield.podman.reaches(name, "http://name.test:443/"), "443 by default");
            assertFalse(shield.podman.reaches(name, "http://name.test:22/"), "22 only where a profile names it");
            assertFalse(shield.podman.reaches(name, "http://name.test/"), "nor 80");
            assertTrue(shield.podman.reaches(name, "http://near.test:22/"), "a profile that names 22 opens it");
            assertTrue(shield.podman.reaches(name, "http://near.test:443/"));
            assertFalse(shield.podman.reaches(name, "http://near.test:81/"), "and nothing it does not name");
            // The operator's explicit allow of the name opens it on every port, as an allowed address.
            shield.manager.allow(t.task(), "name.test");
            assertTrue(shield.podman.reaches(name, "http://name.test:22/"), "explicitly allowed: every port");
        }
    }

    @Test
    @Order(14)
    void aFloodOfBlockedConnectionsAndLookupsLeavesTheLogsUnderTheirCaps() throws Exception {
        try (Started t = Started.with("shield-flood-", List.of())) {
            Path dir = shield.manager.store().dir(t.task());
            // one task: 300 blocked connections to distinct destinations (150 addresses, 2 ports each: each one an
            // event, none folded), each after a DNS lookup
            String net = internet.ip(5).substring(0, internet.ip(5).lastIndexOf('.') + 1);
            // The flood limit may drop some of them (those time out, unlogged); the last one comes after the task's
            // bucket refilled ((burst / rate) s on the kernel's clock), so it is always logged.
            long refill = 1000L * RulesetGenerator.FLOOD_BURST / RulesetGenerator.FLOOD_RATE + 500;
            Sh.Out flood = shield.podman.podman("exec", t.name(), "sh", "-c", "for a in $(seq 100 249); do for p in 2298 2299; do "
                    + "getent hosts name.test >/dev/null; curl -s -m 1 -o /dev/null http://" + net + "$a:$p/; done; done; sleep "
                    + refill / 1000.0 + "; curl -s -m 1 -o /dev/null http://" + net + "250:2300/; true");
            assertEquals(0, flood.code(), flood.both());
            Path audit = shield.manager.store().auditLog(t.task());
            Path dns = dir.resolve("dnsmasq.log");
            for (int i = 0; i < 50 && !shield.manager.auditLog(t.task(), 1).toString().contains(net + "250:2300"); i++) {
                Thread.sleep(100);
            }
            Thread.sleep(600);   // a scan of the hub after the flood
            assertTrue(Files.exists(AuditLog.previous(audit)), "the audit log rotated");
            assertTrue(Files.size(audit) <= TestShield.AUDIT_CAP, "audit.jsonl: " + Files.size(audit));
            assertTrue(Files.size(AuditLog.previous(audit)) <= TestShield.AUDIT_CAP);
            List<AuditLog.Entry> last = shield.manager.auditLog(t.task(), 1);
            assertEquals("blocked", last.get(0).action(), last.toString());
            assertTrue(Files.exists(dir.resolve("dnsmasq.log.1")), "the DNS query log rotated");
            assertTrue(Files.size(dns) <= 2 * TestShield.DNS_LOG_CAP, "dnsmasq.log: " + Files.size(dns));
            // dnsmasq keeps logging into the truncated file: a new lookup lands there
            shield.podman.podman("exec", t.name(), "getent", "hosts", "www.name.test");
            for (int i = 0; i < 20 && !Files.readString(dns).contains("www.name.test"); i++) {
                Thread.sleep(100);
            }
            assertTrue(Files.readString(dns).contains("www.name.test"), Files.readString(dns));
            assertTrue(shield.podman.reaches(t.name(), "http://name.test/"), "the task still works");
        }
    }

    /**
     * Issue 16: one task floods (300 blocked connects to new ports of one address at once, from inside its container,
     * as curl --parallel does) while another makes one blocked connection to a new destination. The other task's
     * event arrives promptly; the flooder's flood costs at most 8 events per 30 s window (EventFolder: the first 8
     * ports of the address per window, the rest folded); its table's flood limit answers the first
     * {@value RulesetGenerator#FLOOD_BURST} and then {@value RulesetGenerator#FLOOD_RATE} a second with a reset and
     * drops the rest (they time out, nothing is let through), and {@code Status} counts them; once the flood stopped,
     * its next blocked connect is refused at once again. Before the limit all 300 were refused at once (the
     * flooder looped on resets: 54-62 % of a core for a thousand a second) and none was counted, so this fails there.
     */
    @Test
    @Order(16)
    void aFloodingTaskIsThrottledAndFoldedAndAnotherTasksBlockedConnectionArrivesPromptly() throws Exception {
        try (Started flooder = Started.with("shield-flooder-", List.of()); Started victim = Started.with("shield-victim-", List.of())) {
            List<BlockedEvent> fromFlooder = new java.util.concurrent.CopyOnWriteArrayList<>();
            LinkedBlockingQueue<BlockedEvent> fromVictim = new LinkedBlockingQueue<>();
            shield.hub().subscribe(flooder.task(), fromFlooder::add);
            shield.hub().subscribe(victim.task(), fromVictim::add);
            Thread.sleep(700);   // both readers attached (a scan every 200 ms here)
            String target = internet.ip(5);
            int n = 300;
            long floodStart = System.nanoTime();
            // curl's exit code per connection: 7 refused (a reset), 28 timed out (its SYNs dropped)
            var flood = java.util.concurrent.CompletableFuture.supplyAsync(() -> shield.podman.podman("exec", flooder.name(), "sh", "-c",
                    "for p in $(seq 3000 " + (3000 + n - 1) + "); do printf 'url = \"http://" + target + ":%d/\"\\noutput = \"/dev/null\"\\n' $p; done > /tmp/urls;"
                            + " curl -sZ --parallel-max " + n + " --connect-timeout 3 -m 4 -w '%{exitcode}\\n' -K /tmp/urls > /tmp/codes;"
                            + " echo refused=$(grep -cx 7 /tmp/codes) timedout=$(grep -cx 28 /tmp/codes) other=$(grep -cvx '7\\|28' /tmp/codes)"));
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (fromFlooder.size() < 8 && !flood.isDone() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertFalse(flood.isDone(), "the flood still runs while the other task connects: " + (flood.isDone() ? flood.get().both() : ""));
            long t0 = System.nanoTime();
            Sh.Out other = shield.podman.podman("exec", victim.name(), "curl", "-s", "-m", "3", "-o", "/dev/null", "http://" + internet.ip(4) + ":7777/");
            long refusedMs = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(7, other.code(), "the other task's blocked connect is refused (curl 7), not dropped: " + other.both());
            BlockedEvent e = fromVictim.poll(10, TimeUnit.SECONDS);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertNotNull(e, "the other task's blocked connection arrives during the flood");
            assertEquals(internet.ip(4), e.destinationIp());
            assertEquals(7777, e.destinationPort());
            assertTrue(ms < 3000, "promptly: " + ms + " ms");
            Sh.Out out = flood.get(5, TimeUnit.MINUTES);
            double seconds = (System.nanoTime() - floodStart) / 1e9;
            long windows = (long) (seconds / 30) + 1;   // the hub's window here: 30 s
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("refused=(\\d+) timedout=(\\d+) other=(\\d+)").matcher(out.out());
            assertTrue(m.find(), out.both());
            long refused = Long.parseLong(m.group(1));
            long timedOut = Long.parseLong(m.group(2));
            assertEquals("0", m.group(3), "nothing connected or failed otherwise: " + out.out());
            long bound = RulesetGenerator.FLOOD_BURST + Math.round(RulesetGenerator.FLOOD_RATE * (seconds + 1));
            assertTrue(refused >= 1 && refused <= bound, "refused at once up to the limit (" + bound + " in " + seconds + " s): " + out.out());
            assertEquals(n, refused + timedOut, out.out());
            long dropped = shield.manager.status(flooder.task(), true).floodDropped();
            assertTrue(dropped >= timedOut, "Status counts the dropped attempts: " + dropped + " for " + timedOut + " timed out");
            assertEquals(0, shield.manager.status(victim.task(), true).floodDropped(), "the other task's limit untouched");
            long floodEvents = fromFlooder.stream().filter(x -> x.destinationIp().equals(target)).count();
            assertTrue(floodEvents >= 1 && floodEvents <= 8 * windows, "the flooder's events are bounded: " + floodEvents
                    + " in " + windows + " window(s)");
            assertTrue(shield.manager.auditLog(flooder.task(), 10_000).stream().filter(a -> a.action().equals("blocked")).count() <= 8 * windows,
                    "and so are its audit lines");
            // the flood over, the bucket refills ((burst / rate) s on the kernel's clock): refused at once again
            Thread.sleep(1000L * RulesetGenerator.FLOOD_BURST / RulesetGenerator.FLOOD_RATE + 500);
            t0 = System.nanoTime();
            Sh.Out after = shield.podman.podman("exec", flooder.name(), "curl", "-s", "-m", "3", "-o", "/dev/null", "http://" + target + ":2999/");
            long afterMs = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(7, after.code(), "refused, not dropped, after the flood: " + after.both());
            System.out.printf("flood: %d connects at once: %d refused, %d timed out (flood_dropped %d packets), %d events; the other"
                    + " task refused in %d ms, its event after %d ms; the flooder's next connect refused in %d ms%n",
                    n, refused, timedOut, dropped, floodEvents, refusedMs, ms, afterMs);
        }
    }

    @Test
    @Order(17)
    void aStatusWhoseFloodCounterCannotBeReadStillAnswersAndSaysWhy() {
        // The shield's nft older than the host's crashes reading the host's table (Debian 12's on Debian 13's): the
        // count is informational, the status must still answer, and say why the count is missing.
        NsenterRunner real = new NsenterRunner(false);
        io.terok.shield.netns.NetnsRunner crashing = new io.terok.shield.netns.NetnsRunner() {
            @Override
            public List<String> enter(int pid) {
                return real.enter(pid);
            }

            @Override
            public io.terok.common.HostProcess.Result run(int pid, List<String> command, String input, java.time.Duration timeout) {
                io.terok.common.HostProcess.Result r = real.run(pid, command, input, timeout);
                return command.contains("counter")
                        ? new io.terok.common.HostProcess.Result(r.command(), 139, new byte[0], "", false, false) : r;
            }
        };
        var status = shield.manager(crashing).status(TASK, true);
        assertTrue(status.liveMode().isPresent(), "the task still runs: " + status);
        assertEquals(0, status.floodDropped());
        assertTrue(status.notes().stream().anyMatch(n -> n.startsWith("flood counter not read: nft crashed")), status.notes().toString());
    }
}
