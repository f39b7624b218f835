package io.terok.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The Quadlet deployment under a REAL systemd, shared by the two systemd roots bin/prepare-host caches: a systemd
 * container boots, the lingering user {@code tk} runs {@code terok setup --user} and
 * {@code systemctl --user start terok.target}; all five services become healthy; the vault unlocks by itself with the
 * passphrase setup generated into tk's real keyring (gnome-keyring-daemon on tk's session bus); a filtered task is
 * launched over gRPC with its firewall, phantom token and gate; a service killed with {@code kill -9} is restarted by
 * systemd with its data intact and unlocks again by itself; {@code systemctl --user stop terok.target} stops
 * everything. Then root runs {@code terok setup --system} (what each root proves there: its subclass).
 * One boot per class; the images are loaded once into the container's storage.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
abstract class SystemdDeploymentTestBase {
    static final String TEROK = Terok.REPO.resolve("bin/terok").toString();
    static final List<String> SERVICES = QuadletSetupTest.SERVICES;
    static final String CRED = "/var/lib/terok/vault/passphrase.cred";
    /** The anthropic key tk stores in the vault: only the provider may ever see it. */
    static final String REAL_KEY = "sk-deploy-e2e-real-key";
    final String name = "terok-deploy-" + getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT) + "-"
            + ProcessHandle.current().pid();
    Path storage;
    Path rootStorage;
    boolean booted;

    /** The cached root filesystem (bin/prepare-host.d/deploy.sh or podman5.sh). */
    abstract Path root();

    /** Extra `podman run` options of the systemd container (mounts). */
    List<String> runOptions() {
        return List.of();
    }

    /** The container's command: systemd as PID 1 (a subclass may prepare its cgroup first). */
    List<String> init() {
        return List.of("/sbin/init");
    }

    /** Extra environment of every command run in the container (e.g. which java runs bin/terok). */
    List<String> commandEnv() {
        return List.of();
    }

    /** Called after `systemctl --user daemon-reload` made the units, before the target starts (test-only drop-ins). */
    void afterUserUnitsGenerated() {
    }

    @BeforeAll
    void boot() throws Exception {
        if (!Files.isRegularFile(root().resolve(".terok-version"))) {
            fail("no systemd root filesystem at " + root() + ": run bin/prepare-host");
        }
        // The images, built as `terok setup` builds them, are copied into tk's storage below.
        Path setupHome = Files.createTempDirectory("terok-deploy-sd-setup");
        new Terok(setupHome).run("setup", "--user").ok();
        deleteTree(setupHome);
        // tk's podman storage on the host's file system: overlay on the root's overlay would not work.
        storage = Files.createTempDirectory(Path.of("/var/tmp"), "terok-deploy-sd-storage");
        Terok.exec(List.of("chown", "1000:1000", storage.toString()), null, 10).ok();
        rootStorage = Files.createTempDirectory(Path.of("/var/tmp"), "terok-deploy-sd-root-storage");
        List<String> run = new ArrayList<>(List.of("run", "-d", "--name", name, "--systemd=always", "--privileged",
                "--cgroupns=private", "--network=none", "-v", Terok.REPO + ":" + Terok.REPO + ":ro",
                "-v", storage + ":/home/tk/.local/share/containers", "-v", rootStorage + ":/var/lib/containers"));
        run.addAll(runOptions());
        run.addAll(List.of("--rootfs", root() + ":O"));
        run.addAll(init());
        Terok.podman(run.toArray(String[]::new)).ok();
        booted = true;
        String state = "";
        for (int i = 0; i < 60 && !(state.equals("running") || state.equals("degraded")); i++) {
            Thread.sleep(500);
            state = Terok.podman("exec", name, "systemctl", "is-system-running").out().strip();
        }
        assertTrue(state.equals("running") || state.equals("degraded"), "systemd in the container: " + state);
        for (int i = 0; i < 60 && Terok.podman("exec", name, "test", "-S", "/run/user/1000/bus").exitCode() != 0; i++) {
            Thread.sleep(500);
        }
        asTk("test", "-S", "/run/user/1000/bus").ok();
        // tk's OS keyring, as a desktop login leaves it: gnome-keyring-daemon (secrets) on tk's session bus, its login
        // collection created and unlocked with the login password on stdin (what pam_gnome_keyring does).
        asTkWithInput("tk-login-password", "gnome-keyring-daemon", "--unlock", "--components=secrets", "--daemonize").ok();
        for (int i = 0; i < 40 && !asTk("busctl", "--user", "status", "org.freedesktop.secrets").out().contains("PID="); i++) {
            Thread.sleep(250);
        }
        // Load the five service images and the task image into tk's storage.
        // (with the base: the images' build digest names its id, so `setup` inside finds them current)
        loadImages(true, userImages());
    }

    List<String> userImages() {
        List<String> images = new ArrayList<>(List.of("localhost/terok-agent:latest", Terok.BASE_IMAGE));
        SERVICES.forEach(s -> images.add("localhost/terok-" + s + ":latest"));
        return images;
    }

    /** Copies images from the host's (root's) storage into tk's ({@code user}) or root's storage in the container. */
    void loadImages(boolean user, List<String> images) {
        String into = user ? "--user tk -e XDG_RUNTIME_DIR=/run/user/1000 -w /home/tk " : "";
        String save = "podman save -m " + String.join(" ", images) + " | podman exec -i " + into + name + " podman load -q";
        Terok.exec(List.of("sh", "-c", save), null, 600).ok();
    }

    @AfterAll
    void shutdown() throws IOException {
        if (booted) {
            Terok.podman("rm", "-f", "-t", "5", name);
        }
        if (storage != null) {
            deleteTree(storage);
        }
        if (rootStorage != null) {
            deleteTree(rootStorage);
        }
    }

    /** A command as tk in the container, with the environment of tk's session. */
    Terok.Result asTk(String... cmd) {
        return asTkWithInput(null, cmd);
    }

    Terok.Result asTkWithInput(String input, String... cmd) {
        List<String> c = new ArrayList<>(List.of("podman", "exec", "-i", "--user", "tk", "-w", "/home/tk", "-e", "HOME=/home/tk",
                "-e", "USER=tk", "-e", "XDG_RUNTIME_DIR=/run/user/1000", "-e", "DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/1000/bus",
                "-e", "PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", "-e", "TEROK_BASE_IMAGE=" + Terok.BASE_IMAGE));
        commandEnv().forEach(e -> c.addAll(List.of("-e", e)));
        c.add(name);
        c.addAll(List.of(cmd));
        if (input == null) {
            return Terok.exec(c, null, 300);
        }
        List<String> sh = List.of("sh", "-c", "printf '%s\\n' \"$0\" | \"$@\"", input);
        List<String> all = new ArrayList<>(sh);
        all.addAll(c);
        return Terok.exec(all, null, 300);
    }

    /** A command as root in the container (the system's manager and root's podman). */
    Terok.Result asRoot(String... cmd) {
        List<String> c = new ArrayList<>(List.of("podman", "exec", "-i", "-w", "/root", "-e", "HOME=/root",
                "-e", "PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", "-e", "TEROK_BASE_IMAGE=" + Terok.BASE_IMAGE));
        commandEnv().forEach(e -> c.addAll(List.of("-e", e)));
        c.add(name);
        c.addAll(List.of(cmd));
        return Terok.exec(c, null, 300);
    }

    /** The passphrase in tk's keyring, compared (grep -F -f -) with files without ever being on a command line. */
    static final String TK_PASSPHRASE = "p=$(secret-tool lookup application terok purpose vault-passphrase); echo len=${#p}; ";

    /**
     * A container's health: its health check (the unit's HealthCmd) run by podman now, "healthy" once it passes.
     * Run rather than awaited: podman's own timer first runs it HealthInterval (30 s) after the container started, so
     * waiting for it cost half a minute per start (twice per class: the target's start and systemd's restart).
     */
    String health(String container) {
        return healthOf(asTk("podman", "healthcheck", "run", container));
    }

    /** As {@link #health}, for root's containers. */
    String systemHealth(String container) {
        return healthOf(asRoot("podman", "healthcheck", "run", container));
    }

    private static String healthOf(Terok.Result check) {
        return check.exitCode() == 0 ? "healthy" : (check.out() + check.err()).strip();
    }

    /** Waits until every service's podman health check passes ({@code system}: root's containers). */
    void awaitHealthy(boolean system, String units) throws InterruptedException {
        long deadline = System.nanoTime() + 150_000_000_000L;
        List<String> notHealthy = new ArrayList<>(SERVICES);
        while (!notHealthy.isEmpty() && System.nanoTime() < deadline) {
            notHealthy.removeIf(s -> (system ? systemHealth("terok-" + s) : health("terok-" + s)).equals("healthy"));
            if (!notHealthy.isEmpty()) {
                Thread.sleep(2000);
            }
        }
        assertEquals(List.of(), notHealthy, "podman's health checks (the units' HealthCmd) pass for every service:\n" + units);
    }

    @Test
    @Order(1)
    void setupThenStartingTheTargetBringsAllFiveUpHealthy() throws Exception {
        Terok.Result setup = asTk(TEROK, "setup", "--user").ok();
        assertTrue(setup.out().contains("systemd: reloaded"), setup.out());
        // A new vault: setup generated its passphrase into tk's keyring and made the vault's tier require it.
        assertTrue(setup.out().contains("vault passphrase: generated"), setup.out());
        assertTrue(asTk("cat", "/home/tk/.config/terok/config.yaml").ok().out().contains("secret-service: true"));
        assertEquals("len=43", asTk("bash", "-c", TK_PASSPHRASE).ok().out().strip(), "the item the vault looks up");
        String again = asTk(TEROK, "setup", "--user", "--no-images").ok().out();
        assertTrue(again.contains("vault passphrase: unchanged"), "never a second passphrase: " + again);
        for (String s : SERVICES) {
            // shield's image carries the host's own nft and dnsmasq (docs/shield.md): where they differ from those of
            // the machine that built the loaded image (Debian 13 here), setup rebuilds it with the host's
            boolean current = setup.out().contains("image localhost/terok-" + s + ":latest: unchanged");
            assertTrue(current || s.equals("shield") && setup.out().contains("image localhost/terok-shield:latest: built"),
                    "loaded image is current: " + setup.out());
        }
        // gate's file:// upstream for the task below, visible to the gate container through a Quadlet drop-in.
        asTk("git", "init", "--quiet", "--bare", "--initial-branch=main", "/home/tk/upstream.git").ok();
        asTk("sh", "-c", "git init -q -b main w && cd w && echo hi > README && git add README && "
                + "git -c user.name=t -c user.email=t@example.invalid commit -qm first && git push -q /home/tk/upstream.git main").ok();
        asTk("sh", "-c", "mkdir -p ~/.config/containers/systemd/terok-gate.container.d && printf '[Container]\\n"
                + "Volume=/home/tk/upstream.git:/home/tk/upstream.git:ro\\n' > ~/.config/containers/systemd/terok-gate.container.d/upstream.conf"
                + " && systemctl --user daemon-reload").ok();
        afterUserUnitsGenerated();

        asTk("systemctl", "--user", "start", "terok.target").ok();
        awaitHealthy(false, asTk("systemctl", "--user", "list-units", "terok*", "--all", "--no-pager").out());
        Terok.Result doctor = asTk(TEROK, "doctor", "--user");
        for (String line : List.of("Quadlet units", "Quadlet images", "Quadlet firewall hooks", "terok.target", "podman API socket",
                "D-Bus session bus", "vault passphrase", "runtime service", "vault service", "gate service", "shield service", "clearance service")) {
            assertTrue(doctor.out().lines().anyMatch(l -> l.startsWith("  " + line + " ") && l.contains(" ok")), line + ":\n" + doctor.out());
        }
        // clearance, in its keep-id container, is connected to tk's session bus (there is no notification server here).
        assertTrue(doctor.out().contains("no notification server on unix:path=/run/user/1000/bus"), doctor.out() + "\n"
                + asTk("podman", "logs", "terok-clearance").out() + asTk("podman", "logs", "terok-clearance").err());
    }

    @Test
    @Order(2)
    void aFilteredTaskGetsItsFirewallPhantomTokenAndGate() {
        // No prompt: the vault container read the passphrase from tk's keyring over the mounted session bus.
        Terok.Result vault = asTk(TEROK, "vault", "status");
        assertTrue(vault.exitCode() == 0 && vault.out().contains("unlocked (secret-service)"), vault.toString());
        asTkWithInput(REAL_KEY, TEROK, "vault", "add", "anthropic").ok();
        asTk(TEROK, "gate", "create", "proj", "file:///home/tk/upstream.git").ok();
        asTk(TEROK, "run", "-d", "--name", "e2e", "--project", "proj", "--provider", "anthropic",
                "localhost/terok-agent:latest", "sleep", "600").ok();
        Terok.Result status = asTk(TEROK, "shield", "status", "e2e").ok();
        assertTrue(status.out().contains("state:    up"), status.out());
        // The gate through the firewall: the task's own port on the host's loopback (gate's pod uses the host network).
        Terok.Result clone = asTk(TEROK, "exec", "e2e", "sh", "-c", "git clone -q \"$TEROK_GATE_URL\" /tmp/w && cat /tmp/w/README");
        assertEquals("hi", clone.ok().out().strip(), clone.toString());
        // The phantom token reaches vault's broker (502: the provider itself is not reachable from here).
        Terok.Result broker = asTk(TEROK, "exec", "e2e", "sh", "-c",
                "case $ANTHROPIC_API_KEY in " + REAL_KEY + ") echo REAL;; esac; curl -sS -m 10 -o /dev/null -w '%{http_code}' "
                        + "-H \"x-api-key: $ANTHROPIC_API_KEY\" \"$ANTHROPIC_BASE_URL/v1/models\"");
        assertBrokerAnswered(broker.ok().out().strip());
        liveAllow("e2e");
        // Everything else is refused by the firewall.
        Terok.Result refused = asTk(TEROK, "exec", "e2e", "sh", "-c", "curl -sS -m 5 http://198.51.100.7/ >/dev/null 2>&1 && echo OPEN || echo REFUSED");
        assertEquals("REFUSED", refused.out().strip(), refused.toString());
    }

    @Test
    @Order(4)
    void aKilledServiceIsRestartedBySystemdWithItsDataIntact() throws Exception {
        String before = asTk("podman", "inspect", "--format", "{{.Id}}", "terok-vault").ok().out().strip();
        // kill -9 of the service's main process (the vault's JVM, PID 1 of its container), as a crash would end it.
        String pid = asTk("podman", "inspect", "--format", "{{.State.Pid}}", "terok-vault").ok().out().strip();
        assertTrue(pid.matches("[1-9][0-9]*"), pid);
        asRoot("kill", "-9", pid).ok();
        String after = before;
        long deadline = System.nanoTime() + 90_000_000_000L;
        while (System.nanoTime() < deadline && (after.equals(before) || !health("terok-vault").equals("healthy"))) {
            Thread.sleep(2000);
            after = asTk("podman", "inspect", "--format", "{{.Id}}", "terok-vault").out().strip();
        }
        assertTrue(!after.isEmpty() && !after.equals(before), "a new vault container");
        assertEquals("healthy", health("terok-vault"));
        assertEquals("NRestarts=1", asTk("systemctl", "--user", "show", "-p", "NRestarts", "terok-vault.service").out().strip());
        // The restarted vault unlocked itself from the keyring again (no prompt); the credential is kept.
        Terok.Result vault = asTk(TEROK, "vault", "status");
        assertTrue(vault.exitCode() == 0 && vault.out().contains("unlocked (secret-service)"), vault.toString());
        assertTrue(asTk(TEROK, "vault", "list").ok().out().contains("credential default/anthropic"));
    }

    @Test
    @Order(5)
    void thePassphraseIsInNoFileOfTkNorInAnyUnit() {
        // Everything below tk's home (its podman storage only for the volumes: the images are large and not tk's),
        // the generated and installed units and the containers' configuration.
        Terok.Result grep = asTk("bash", "-c", "shopt -s dotglob nullglob; set --; for e in /home/tk/* /home/tk/.local/* "
                + "/home/tk/.local/share/*; do case $e in /home/tk/.local|/home/tk/.local/share|/home/tk/.local/share/containers) ;; "
                + "*) set -- \"$@\" \"$e\";; esac; done; " + TK_PASSPHRASE + "printf '%s\\n' \"$p\" | grep -rlF -D skip -f - \"$@\" "
                + "/home/tk/.local/share/containers/storage/volumes /run/user/1000/systemd/generator /etc/containers --exclude-dir=networks "
                + "/etc/systemd; echo rc=$?");
        assertEquals("len=43\nrc=1", grep.out().strip(), "rc=1: no file holds the passphrase\n" + grep);
    }

    @Test
    @Order(6)
    void stoppingTheTargetStopsEverything() throws Exception {
        asTk(TEROK, "rm", "-f", "e2e").ok();
        asTk("systemctl", "--user", "stop", "terok.target").ok();
        String running = "x";
        for (int i = 0; i < 60 && !running.isEmpty(); i++) {
            Thread.sleep(1000);
            running = asTk("systemctl", "--user", "list-units", "terok-*", "--state=active,activating,deactivating", "--no-legend").out().strip();
        }
        assertEquals("", running, "no terok unit left active");
        assertEquals("", asTk("podman", "ps", "--filter", "label=io.terok.deploy=1", "--format", "{{.Names}}").ok().out().strip());
        assertEquals("", asTk("podman", "pod", "ps", "--format", "{{.Name}}").ok().out().strip());
        // --purge: the keyring item goes with the database it unlocks.
        Terok.Result purge = asTk(TEROK, "uninstall", "--user", "--purge").ok();
        assertTrue(purge.out().contains("vault passphrase: removed from the keyring"), purge.out());
        assertEquals("len=0", asTk("bash", "-c", TK_PASSPHRASE).out().strip());
    }

    /**
     * A live allow from the containerised shield opens a host beyond the firewall, a live deny closes it again. The
     * host: git's daemon on 198.18.0.7, an address of a veth interface in the systemd container's own network
     * namespace (the test's: the container has no other network), which the task's slirp4netns or pasta connects to.
     */
    void liveAllow(String task) {
        asRoot("sh", "-c", "ip link add terok-far type veth peer name terok-far1 && ip addr add 198.18.0.7/32 dev terok-far && ip link set terok-far up"
                + " && ip link set terok-far1 up").ok();
        asTk("git", "daemon", "--detach", "--listen=198.18.0.7", "--port=9418", "--export-all", "--base-path=/home/tk",
                "--pid-file=/home/tk/git-daemon.pid").ok();
        String probe = "git ls-remote git://198.18.0.7/upstream.git >/dev/null 2>&1 && echo OPEN || echo REFUSED";
        assertEquals("REFUSED", asTk(TEROK, "exec", task, "sh", "-c", probe).out().strip(), "closed before the allow");
        asTk(TEROK, "shield", "allow", task, "198.18.0.7").ok();
        Terok.Result set = asTk("sh", "-c", "podman unshare nsenter -t $(podman inspect --format '{{.State.Pid}}' " + task + ") -n "
                + "nft list set inet terok_shield allow_v4");
        assertTrue(set.ok().out().contains("198.18.0.7"), set.out());
        assertEquals("OPEN", asTk(TEROK, "exec", task, "sh", "-c", probe).out().strip(), "reachable after the live allow");
        asTk(TEROK, "shield", "deny", task, "198.18.0.7").ok();
        assertEquals("REFUSED", asTk(TEROK, "exec", task, "sh", "-c", probe).out().strip(), "closed again by the live deny");
        asTk("sh", "-c", "kill $(cat /home/tk/git-daemon.pid)").ok();
        asRoot("ip", "link", "del", "terok-far").ok();
    }

    /** What the broker answers a task's phantom-token request: 502 when no provider is reachable (the default). */
    void assertBrokerAnswered(String status) {
        assertEquals("502", status, "the task sees only a phantom token, and the broker answers");
    }

    static void deleteTree(Path root) throws IOException {
        Terok.exec(List.of("rm", "-rf", "--one-file-system", root.toString()), null, 900);
    }
}
