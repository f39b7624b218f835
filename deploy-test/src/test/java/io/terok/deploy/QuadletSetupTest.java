package io.terok.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code terok setup --user} / {@code terok doctor --user} / {@code terok uninstall --user [--purge]} with the real
 * CLI, the real podman (images are built into the storage of the user running the tests) and private XDG directories.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class QuadletSetupTest {
    /** The images setup builds: the five services' and the web console's. */
    static final List<String> SERVICES = List.of("runtime", "vault", "gate", "shield", "clearance", "console");
    static final String VAULT_VOLUME = "terok-vault-data";

    @TempDir
    static Path home;
    static Terok terok;
    static boolean createdVolume;

    @BeforeAll
    static void init() throws IOException {
        terok = new Terok(home);
    }

    @AfterAll
    static void cleanUp() {
        if (createdVolume) {
            Terok.podman("volume", "rm", "--force", VAULT_VOLUME);
        }
    }

    Path quadletDir() {
        return home.resolve("config/containers/systemd");
    }

    Path hooksDir() {
        return home.resolve(".local/state/terok/shield-hooks");
    }

    /** The user's port registry record (embedded mode's too), where setup records the units' ports. */
    Path portRecord() {
        return home.resolve("state/terok/ports.properties");
    }

    /** The port recorded for {@code listener}, 0 when none is. */
    int recordedPort(String listener) throws IOException {
        if (!Files.exists(portRecord())) {
            return 0;
        }
        java.util.Properties p = new java.util.Properties();
        p.load(new java.io.StringReader(Files.readString(portRecord())));
        return Integer.parseInt(p.getProperty(listener, "0"));
    }

    /** The listener whose port setup writes into a unit, and its environment variable. */
    static final Map<String, String[]> PORT_UNITS = Map.of(
            "terok-vault.container", new String[] {"vault-broker", "TEROK_VAULT_BROKER_PORT"},
            "terok-gate.container", new String[] {"gate-http", "TEROK_GATE_HTTP_PORT"},
            "terok-console.container", new String[] {"console", "TEROK_CONSOLE_PORT"});

    /** Every file and directory below home: path -> type, size, permissions, modification time (ns). */
    static Map<String, String> snapshot(Path root) throws IOException {
        Map<String, String> m = new TreeMap<>();
        try (Stream<Path> w = Files.walk(root)) {
            for (Path p : w.toList()) {
                m.put(root.relativize(p).toString(), (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) ? "d " : "f " + Files.size(p) + " ")
                        + PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS)) + " "
                        + Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).toInstant());
            }
        }
        return m;
    }

    static String imageIds() {
        StringBuilder sb = new StringBuilder();
        for (String s : SERVICES) {
            sb.append(Terok.podman("image", "inspect", "--format", "{{.Id}}", "localhost/terok-" + s + ":latest").ok().out().strip()).append(' ');
        }
        return sb.toString();
    }

    @Test
    @Order(1)
    void setupInstallsUnitsTargetHooksImagesAndCompletion() throws IOException {
        Terok.Result r = terok.run("setup", "--user").ok();
        List<Path> shipped;
        try (Stream<Path> s = Stream.concat(Files.list(Terok.REPO.resolve("deploy/quadlet")),
                Files.list(Terok.REPO.resolve("deploy/quadlet/console")))) {
            shipped = s.filter(p -> p.getFileName().toString().startsWith("terok")).sorted().toList();
        }
        // the five services' units, their volumes, the target, and the web console's container and pod
        assertEquals(16, shipped.size(), shipped.toString());
        for (Path src : shipped) {
            String name = src.getFileName().toString();
            Path installed = name.endsWith(".target") ? home.resolve("config/systemd/user").resolve(name) : quadletDir().resolve(name);
            String[] port = PORT_UNITS.get(name);
            if (port == null) {
                assertEquals(Files.readString(src), Files.readString(installed), name + " installed as shipped");
                continue;
            }
            // This user's port, recorded in the port registry, is in the unit (and the console's health check).
            int recorded = recordedPort(port[0]);
            assertTrue(recorded >= 1024, port[0] + " recorded in " + portRecord());
            String unit = Files.readString(installed);
            assertTrue(unit.contains("\nEnvironment=" + port[1] + "=" + recorded + "\n"), unit);
            assertEquals(Files.readString(src).replace("127.0.0.1:9421", "127.0.0.1:" + recorded),
                    unit.replaceAll("# terok setup: this installation's " + port[0] + " port.*\n.*\n\n", ""),
                    name + " installed as shipped, with its port");
        }
        assertTrue(r.out().contains("  ports: recorded (vault-broker 127.0.0.1:" + recordedPort("vault-broker") + ", gate-http 127.0.0.1:"
                + recordedPort("gate-http") + ", console 127.0.0.1:" + recordedPort("console") + "; " + portRecord() + ")"), r.out());
        assertTrue(Files.readString(home.resolve("ports/" + System.getProperty("user.name") + ".ports"))
                .contains("vault-broker=" + recordedPort("vault-broker")), "published for the host's other users");
        for (String f : List.of("terok-shield-hook", "terok-shield-createRuntime.json", "terok-shield-poststop.json")) {
            assertTrue(Files.isRegularFile(hooksDir().resolve(f)), f);
        }
        // The hook reads each task's state from the root the shield container mounts at the same host path.
        assertTrue(Files.readString(hooksDir().resolve("terok-shield-hook")).contains(home.resolve(".local/state/terok/shield").toString()));
        String registration = Files.readString(home.resolve("config/containers/containers.conf.d/terok-shield.conf"));
        assertTrue(registration.contains("hooks_dir = [\"" + hooksDir() + "\""), registration);
        assertTrue(Files.readString(home.resolve("data/bash-completion/completions/terok")).contains("terok"));
        for (String s : SERVICES) {
            Terok.Result label = Terok.podman("image", "inspect", "--format", "{{index .Labels \"io.terok.build-input\"}} {{index .Labels \"io.terok.service\"}}",
                    "localhost/terok-" + s + ":latest").ok();
            assertTrue(label.out().strip().matches("[0-9a-f]{64} " + s), s + ": " + label.out());
            assertTrue(r.out().contains("image localhost/terok-" + s + ":latest: "), r.out());
        }
        assertTrue(r.out().contains("next: systemctl --user start terok.target"), r.out());
        // No Secret Service in this private session: no weaker tier is invented, and the operator is told what that
        // means and how to get a keyring. Nothing is written for it.
        assertTrue(r.out().contains("vault passphrase: none (no Secret Service (org.freedesktop.secrets) answers on unix:path="
                + home.resolve("run/bus") + ")"), r.out());
        assertTrue(r.out().contains("note: the vault will start locked: after each start run `terok vault unlock --prompt`"), r.out());
        assertTrue(r.out().contains("install a keyring (Debian/Ubuntu: apt-get install gnome-keyring)"), r.out());
        assertFalse(Files.exists(home.resolve("config/terok/config.yaml")), "no passphrase source recorded");
    }

    @Test
    @Order(2)
    void aSecondSetupChangesNothing() throws IOException {
        Map<String, String> before = snapshot(home);
        String images = imageIds();
        Terok.Result r = terok.run("setup", "--user").ok();
        List<String> items = r.out().lines().filter(l -> l.startsWith("  ") && !l.startsWith("    ")).toList();
        assertTrue(items.size() >= 16 + 1 + 6 + 1, r.out());
        for (String line : items) {
            assertTrue(line.contains(": unchanged") || line.startsWith("  systemd: not reachable")
                    || line.startsWith("  vault passphrase: none"), "second run: " + line);
        }
        assertEquals(before, snapshot(home), "no file, directory, permission or mtime changed");
        assertEquals(images, imageIds(), "no image rebuilt");
    }

    @Test
    @Order(3)
    void doctorChecksTheDeploymentOneLinePerCheckWithTheFix() throws IOException {
        Terok.Result r = terok.run("doctor", "--user");
        assertTrue(r.out().lines().anyMatch(l -> l.matches("  Quadlet units \\.+ ok \\(16 current in .*")), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.matches("  Quadlet images \\.+ ok .*")), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.matches("  Quadlet firewall hooks \\.+ ok .*")), r.out());
        // Each listener's port: free here (no service runs), named with its setting and unit.
        String vaultLine = " ok (127.0.0.1:" + recordedPort("vault-broker") + " (TEROK_VAULT_BROKER_PORT in terok-vault.container), free)";
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("  vault-broker port ") && l.endsWith(vaultLine)), r.out());
        // A process of another kind on the gate's port: named with its pid and command line, and the setting that moves it.
        int gatePort = recordedPort("gate-http");
        try (java.net.ServerSocket squatter = new java.net.ServerSocket(gatePort, 1, java.net.InetAddress.getLoopbackAddress())) {
            Terok.Result taken = terok.run("doctor", "--user");
            String line = taken.out().lines().filter(l -> l.startsWith("  gate-http port ")).findFirst().orElseThrow(() -> new AssertionError(taken.out()));
            assertTrue(line.contains(" ERROR (127.0.0.1:" + gatePort + " (TEROK_GATE_HTTP_PORT in terok-gate.container) is taken by pid "
                    + ProcessHandle.current().pid() + " (") && line.contains("so terok-gate cannot start; stop that process, or set "
                    + "terok.gate.http-port in " + home.resolve("config/terok/config.yaml") + " to a free port and run `terok setup --user` again)"), line);
        }
        // No systemd user manager on this host: said, with what to do instead.
        assertTrue(r.out().lines().anyMatch(l -> l.matches("  terok\\.target \\.+ WARN \\(cannot check: .*terok services up.*")), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.matches("  podman API socket \\.+ ERROR \\(.*systemctl --user enable --now podman\\.socket`\\)")), r.out());
        // No session bus in the private runtime directory: clearance's unit could not start, so it is an error.
        assertTrue(r.out().lines().anyMatch(l -> l.matches("  D-Bus session bus \\.+ ERROR \\(no session bus at .*dbus-user-session.*")), r.out());
        // Without a keyring the vault starts locked: a warning with the way out.
        assertTrue(r.out().lines().anyMatch(l -> l.matches("  vault passphrase \\.+ WARN \\(no Secret Service on unix:path=.*: the vault will"
                + " start locked: after each start run `terok vault unlock --prompt`; install a keyring \\(apt-get install gnome-keyring\\),"
                + " log in again, then `terok setup --user`\\)")), r.out());

        // A unit edited by hand is reported (with the fix), and the next setup restores exactly that one.
        Files.writeString(quadletDir().resolve("terok-vault.container"), "\n# edited\n", java.nio.file.StandardOpenOption.APPEND);
        Terok.Result stale = terok.run("doctor", "--user");
        assertEquals(2, stale.exitCode(), stale.toString());
        assertTrue(stale.out().lines().anyMatch(l -> l.matches("  Quadlet units \\.+ ERROR \\(differ from this version: terok-vault\\.container; run `terok setup --user`\\)")),
                stale.out());
        Terok.Result again = terok.run("setup", "--user").ok();
        assertTrue(again.out().contains("unit terok-vault.container: updated"), again.out());
        assertEquals(1, again.out().lines().filter(l -> l.contains(": updated") || l.contains(": installed") || l.contains(": built")).count(), again.out());
    }

    @Test
    @Order(4)
    void uninstallRemovesUnitsHooksAndImagesButKeepsTheVaultDataUnlessPurged() throws IOException {
        // A vault database volume as the units would have created it (refuse to touch a real installation's).
        assertFalse(Terok.podman("volume", "exists", VAULT_VOLUME).exitCode() == 0,
                "a volume " + VAULT_VOLUME + " already exists: this host has a real terok installation; not running a purge test here");
        Terok.podman("volume", "create", "--label", "io.terok.deploy=1", VAULT_VOLUME).ok();
        createdVolume = true;

        Terok.Result r = terok.run("uninstall", "--user").ok();
        // The units named the ports; with them gone the ports are given back (another user may have them now).
        assertTrue(r.out().contains("  ports: released (vault-broker, gate-http, console)"), r.out());
        assertEquals(0, recordedPort("vault-broker") + recordedPort("gate-http") + recordedPort("console"), Files.readString(portRecord()));
        try (Stream<Path> s = Files.list(quadletDir())) {
            assertEquals(List.of(), s.toList(), "no unit left");
        }
        assertFalse(Files.exists(home.resolve("config/systemd/user/terok.target")));
        assertFalse(Files.exists(hooksDir()), "hooks removed");
        assertFalse(Files.exists(home.resolve("config/containers/containers.conf.d/terok-shield.conf")), "hooks registration removed");
        assertFalse(Files.exists(home.resolve("data/bash-completion/completions/terok")));
        for (String s : SERVICES) {
            assertEquals(1, Terok.podman("image", "exists", "localhost/terok-" + s + ":latest").exitCode(), s + " image removed");
        }
        assertEquals(0, Terok.podman("volume", "exists", VAULT_VOLUME).exitCode(), "the credential database is kept: " + r.out());
        assertTrue(r.out().contains("data: kept (volumes " + VAULT_VOLUME), r.out());

        Terok.Result purge = terok.run("uninstall", "--user", "--purge").ok();
        assertEquals(1, Terok.podman("volume", "exists", VAULT_VOLUME).exitCode(), "--purge removes it: " + purge.out());
        createdVolume = false;
        assertTrue(purge.out().contains("volume " + VAULT_VOLUME + ": removed"), purge.out());
    }

    @Test
    @Order(5)
    void badUsageIsRefusedWithTheFix() {
        Terok.Result both = terok.run("setup", "--user", "--system");
        assertEquals(2, both.exitCode(), both.toString());
        Terok.Result purge = terok.run("uninstall", "--purge");
        assertTrue(purge.exitCode() != 0 && purge.err().contains("add --user or --system"), purge.toString());
        Terok.Result base = terok.run("setup", "--user", "--no-images", "--base-image", "x");
        // --no-images with a base is harmless; a base that does not exist is refused when images are built:
        assertEquals(0, base.exitCode(), base.toString());
        Terok.Result missing = terok.run("setup", "--user", "--base-image", "localhost/terok-no-such-base:latest");
        assertTrue(missing.exitCode() != 0 && missing.err().contains("--base-image"), missing.toString());
        terok.run("uninstall", "--user").ok();
    }
}
