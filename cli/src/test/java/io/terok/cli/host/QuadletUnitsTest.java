package io.terok.cli.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.terok.common.ServiceName;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every unit in deploy/quadlet/ goes through the REAL Quadlet generator (podman 5.4's {@code quadlet -dryrun}), as a
 * user's units and, as {@code terok setup --system} installs them, as system units. A missing generator fails the
 * test: bin/prepare-host fetches it (see docs/deployment.md).
 */
class QuadletUnitsTest {
    static final Path REPO = Path.of(System.getProperty("terok.repo", "..")).toAbsolutePath().normalize();
    private static final Pattern SECTION = Pattern.compile("(?m)^---(\\S+?)---$");

    @TempDir
    Path tmp;

    static Path quadlet() {
        List<String> candidates = new ArrayList<>();
        String env = System.getenv("TEROK_QUADLET");
        if (env != null && !env.isBlank()) {
            candidates.add(env);
        }
        candidates.addAll(List.of("/usr/local/libexec/terok-quadlet", "/usr/libexec/podman/quadlet"));
        for (String c : candidates) {
            if (Files.isExecutable(Path.of(c))) {
                return Path.of(c);
            }
        }
        return fail("the quadlet generator is missing (looked at " + candidates + "); run bin/prepare-host, which fetches "
                + "podman 5.4's quadlet into /var/cache/terok-ci, or set TEROK_QUADLET");
    }

    record Generated(int exit, String stderr, Map<String, String> units) {
    }

    static Generated generate(Path unitDir, boolean user) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(quadlet().toString(), "-dryrun"));
        if (user) {
            cmd.add("-user");
        }
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("QUADLET_UNIT_DIRS", unitDir.toString());
        Path out = Files.createTempFile("quadlet", ".out");
        Path err = Files.createTempFile("quadlet", ".err");
        try {
            Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            assertTrue(p.waitFor(Duration.ofSeconds(30).toSeconds(), TimeUnit.SECONDS), "quadlet did not finish in 30 s");
            String text = Files.readString(out, StandardCharsets.UTF_8);
            Map<String, String> units = new LinkedHashMap<>();
            Matcher m = SECTION.matcher(text);
            List<int[]> spans = new ArrayList<>();
            List<String> names = new ArrayList<>();
            while (m.find()) {
                names.add(m.group(1));
                spans.add(new int[] {m.start(), m.end()});
            }
            for (int i = 0; i < names.size(); i++) {
                int end = i + 1 < spans.size() ? spans.get(i + 1)[0] : text.length();
                units.put(names.get(i), text.substring(spans.get(i)[1], end));
            }
            return new Generated(p.exitValue(), Files.readString(err, StandardCharsets.UTF_8), units);
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    private Path installedAs(Deployment.Mode mode) throws IOException {
        return installedAs(mode, false);
    }

    /** @param credential setup --system kept the vault passphrase as a systemd credential */
    private Path installedAs(Deployment.Mode mode, boolean credential) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve(mode.name().toLowerCase() + (credential ? "-cred" : "")));
        Deployment dep = new Deployment(mode, Map.of("XDG_RUNTIME_DIR", "/run/user/1000"), tmp);
        for (Path src : Deployment.shippedUnits(REPO)) {
            String name = src.getFileName().toString();
            if (!name.endsWith(".target")) {
                Files.writeString(dir.resolve(src.getFileName()), dep.unitContent(name, Files.readString(src), credential));
            }
        }
        return dir;
    }

    private static Set<String> expectedServices() {
        Set<String> names = new TreeSet<>();
        for (ServiceName s : ServiceName.values()) {
            names.add("terok-" + s.id() + ".service");
            names.add("terok-" + s.id() + "-pod.service");
        }
        for (String v : Deployment.DATA_VOLUMES) {
            names.add(v + "-volume.service");
        }
        // the web console (deploy/quadlet/console/), installed beside the five
        names.add("terok-console.service");
        names.add("terok-console-pod.service");
        return names;
    }

    private static void assertClean(Generated g) {
        assertClean(g, Set.of());
    }

    private static void assertClean(Generated g, Set<String> more) {
        assertEquals(0, g.exit(), "quadlet failed:\n" + g.stderr());
        for (String line : g.stderr().lines().toList()) {
            assertTrue(line.contains("Loading source unit file"), "quadlet reported: " + line);
        }
        Set<String> expected = expectedServices();
        expected.addAll(more);
        assertEquals(expected, new TreeSet<>(g.units().keySet()));
    }

    private static String execStart(String unit) {
        return unit.lines().filter(l -> l.startsWith("ExecStart=")).findFirst().orElseThrow();
    }

    @Test
    void userUnitsGenerateEveryServicePodAndVolumeWithTheirPrivileges() throws Exception {
        Generated g = generate(REPO.resolve("deploy/quadlet"), true);
        // Quadlet also reads subdirectories: the web console's units in deploy/quadlet/console/ generate with the five.
        assertClean(g);
        String console = g.units().get("terok-console.service");
        assertTrue(console.contains("WantedBy=terok.target") && console.contains("PartOf=terok.target"), console);
        assertTrue(execStart(console).contains("--cap-drop all") && execStart(console).contains("--read-only")
                && execStart(console).contains("--security-opt=no-new-privileges"), execStart(console));
        assertTrue(execStart(console).contains("-v %t/terok:%t/terok") && execStart(console).contains("--pull never")
                && execStart(console).endsWith(" localhost/terok-console:latest"), execStart(console));
        assertFalse(execStart(console).contains("--cap-add"), "the console gets no capability");
        assertTrue(g.units().get("terok-console-pod.service").contains("--network host"),
                "the console listens on the host's loopback (its own 127.0.0.1 default), so the host's network");
        for (ServiceName s : ServiceName.values()) {
            String unit = g.units().get("terok-" + s.id() + ".service");
            String run = execStart(unit);
            assertTrue(unit.contains("PartOf=terok.target"), s + ": stops with terok.target");
            assertTrue(unit.contains("WantedBy=terok.target"), s + ": started by terok.target");
            assertTrue(unit.contains("Restart=always"), s + ": restarted by systemd");
            assertTrue(run.contains("--health-cmd /opt/terok/healthcheck") && run.contains("--health-on-failure kill"),
                    s + ": an unhealthy service is killed (and restarted): " + run);
            assertTrue(run.contains("--cap-drop all") && run.contains("--read-only")
                    && run.contains("--security-opt=no-new-privileges"), s + ": " + run);
            assertTrue(run.contains("-v %t/terok:%t/terok"), s + ": the shared socket directory: " + run);
            assertTrue(run.contains("--pull never") && run.endsWith(" localhost/terok-" + s.id() + ":latest"), run);
            assertTrue(unit.contains("RuntimeDirectory=terok") && unit.contains("RuntimeDirectoryMode=0700"), s.id());
        }
        String shield = execStart(g.units().get("terok-shield.service"));
        assertTrue(shield.contains("--pid=host") && shield.contains("--cap-add sys_admin")
                && shield.contains("--cap-add net_admin") && shield.contains("--cap-add sys_ptrace"), shield);
        assertTrue(shield.contains("-v %h/.local/state/terok/shield:%h/.local/state/terok/shield"), "the hook's state root at the host's path: " + shield);
        for (ServiceName s : List.of(ServiceName.RUNTIME, ServiceName.VAULT, ServiceName.GATE, ServiceName.CLEARANCE)) {
            String run = execStart(g.units().get("terok-" + s.id() + ".service"));
            assertFalse(run.contains("--cap-add") || run.contains("--pid=host"), s + " gets no capability: " + run);
        }
        assertTrue(execStart(g.units().get("terok-runtime.service")).contains("-v %t/podman/podman.sock:%t/podman/podman.sock"));
        assertTrue(g.units().get("terok-runtime.service").contains("Requires=podman.socket"));
        assertTrue(execStart(g.units().get("terok-clearance.service")).contains("-v %t/bus:%t/bus"));
        assertTrue(execStart(g.units().get("terok-clearance.service")).contains("-v /etc/machine-id:/etc/machine-id:ro"));
        assertTrue(execStart(g.units().get("terok-vault.service")).contains("-v terok-vault-data:/var/lib/terok/vault"));
        // The vault reads its passphrase from the OS keyring (Secret Service) on the operator's session bus.
        String vault = execStart(g.units().get("terok-vault.service"));
        assertTrue(vault.contains("-v %t/bus:%t/bus") && vault.contains("--env DBUS_SESSION_BUS_ADDRESS=unix:path=%t/bus")
                && vault.contains("-v /etc/machine-id:/etc/machine-id:ro"), vault);
        assertFalse(g.units().get("terok-vault.service").contains("LoadCredential") || vault.contains("%d"),
                "no systemd credential for a user's vault (systemd 252 has no systemd-creds --user)");
        assertTrue(execStart(g.units().get("terok-gate.service")).contains("-v terok-gate-data:/var/lib/terok/gate"));
        // Ordering: runtime composes the others at every launch, clearance follows shield's events.
        assertTrue(g.units().get("terok-runtime.service").contains(
                "After=terok-vault.service terok-gate.service terok-shield.service terok-clearance.service"));
        assertTrue(g.units().get("terok-clearance.service").contains("After=terok-shield.service"));
        // Host loopback ports of gate and vault: the host's network; the others have none.
        for (ServiceName s : ServiceName.values()) {
            String pod = g.units().get("terok-" + s.id() + "-pod.service");
            String network = s == ServiceName.VAULT || s == ServiceName.GATE ? "--network host" : "--network none";
            assertTrue(pod.contains(network), s + " pod: " + network);
            assertEquals(s != ServiceName.SHIELD, pod.contains("--userns keep-id"), s + " pod user namespace");
            // Pods and containers share one name space in podman: the same name for both fails at start.
            assertTrue(pod.contains("--name terok-" + s.id() + "-pod") && execStart(g.units().get("terok-" + s.id() + ".service"))
                    .contains("--name terok-" + s.id() + " "), s + ": pod and container names differ");
        }
    }

    @Test
    void systemUnitsAsSetupInstallsThemGenerateWithoutKeepId() throws Exception {
        Generated g = generate(installedAs(Deployment.Mode.SYSTEM), false);
        assertClean(g);
        g.units().forEach((name, unit) -> assertFalse(unit.contains("--userns keep-id"), name + ": keep-id is rootless only"));
        assertFalse(execStart(g.units().get("terok-clearance.service")).contains("/bus"), "a system service has no session bus");
        assertTrue(execStart(g.units().get("terok-shield.service")).contains("-v /var/lib/terok/shield:/var/lib/terok/shield"),
                "the system's shield state is under /var/lib");
        Generated user = generate(installedAs(Deployment.Mode.USER), true);
        assertClean(user);
        assertFalse(g.units().get("terok-vault.service").contains("LoadCredential") || execStart(g.units().get("terok-vault.service"))
                .contains("%d"), "no credential file: no LoadCredentialEncrypted (systemd would refuse to start the unit)");
    }

    @Test
    void theSystemVaultUnitLoadsTheEncryptedPassphraseAndSeesItReadOnly() throws Exception {
        Generated g = generate(installedAs(Deployment.Mode.SYSTEM, true), false);
        assertClean(g);
        String unit = g.units().get("terok-vault.service");
        String run = execStart(unit);
        // systemd decrypts the credential into the unit's private credentials directory (%d, passed through to
        // systemd by the generator), and the container sees that directory read-only with CREDENTIALS_DIRECTORY set.
        assertTrue(unit.lines().anyMatch(l -> l.equals("LoadCredentialEncrypted=terok-vault-passphrase:/var/lib/terok/vault/passphrase.cred")),
                unit);
        assertTrue(run.contains("-v %d:/run/credentials/terok-vault:ro"), run);
        assertTrue(run.contains("--env CREDENTIALS_DIRECTORY=/run/credentials/terok-vault"), run);
        assertFalse(run.contains("/bus"), "a system service has no session bus: " + run);
        g.units().forEach((name, u) -> assertEquals(name.equals("terok-vault.service"), u.contains("LoadCredential"), name));
    }

    @Test
    void theTargetWantsAllFiveServicesAndTheConsole() throws IOException {
        String target = Files.readString(REPO.resolve("deploy/quadlet/terok.target"));
        for (DeployedImage s : DeployedImage.values()) {
            assertTrue(target.matches("(?s).*\\nWants=[^\\n]*terok-" + s.id() + "\\.service.*"), s.id());
        }
        assertTrue(target.contains("WantedBy=default.target"));
    }

    /**
     * What {@code terok setup --user} writes (its unit step, with this checkout as TEROK_HOME) into a private home:
     * the five services', the console's and the target, all of which the real generator accepts from the Quadlet
     * directory, with this user's ports from the port registry in the vault's, the gate's and the console's container
     * (and the console's health check); a second run changes nothing; {@code terok uninstall}'s unit step leaves none
     * behind and gives the ports back.
     */
    @Test
    void setupInstallsTheConsolesUnitsBesideTheFiveAndUninstallRemovesThem() throws Exception {
        Path home = Files.createDirectories(tmp.resolve("home"));
        // no PATH: nothing here may reach the machine's systemd or podman
        Map<String, String> env = Map.of("HOME", home.toString(), "TEROK_HOME", REPO.toString(), "PATH", "",
                "TEROK_PORT_REGISTRY_DIR", tmp.resolve("ports").toString());
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        io.terok.cli.core.Context ctx = new io.terok.cli.core.Context(new java.io.PrintStream(out, true, StandardCharsets.UTF_8),
                System.err, env);
        Deployment dep = Deployment.of(Deployment.Mode.USER, ctx);
        QuadletInstall install = new QuadletInstall(ctx, dep);

        Map<io.terok.common.ports.LoopbackListener, Integer> ports = QuadletPorts.of(ctx, dep).decide();
        assertTrue(install.installUnits(ports), "a first setup writes the units");
        for (String unit : List.of("terok-console.container", "terok-console.pod", "terok-runtime.container")) {
            assertTrue(Files.isRegularFile(dep.quadletDir().resolve(unit)), unit + " installed in " + dep.quadletDir());
        }
        int consolePort = ports.get(io.terok.common.ports.LoopbackListener.CONSOLE);
        assertEquals(Files.readString(REPO.resolve("deploy/quadlet/console/terok-console.container"))
                        .replace("127.0.0.1:9421", "127.0.0.1:" + consolePort),
                Files.readString(dep.quadletDir().resolve("terok-console.container"))
                        .replaceAll("# terok setup: this installation's console port.*\nEnvironment=TEROK_CONSOLE_PORT=" + consolePort + "\n\n", ""),
                "the console's unit as shipped, with its port (and its health check's) set");
        assertTrue(Files.readString(dep.systemdDir().resolve("terok.target")).contains("terok-console.service"));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("unit terok-console.container: installed"), out.toString(StandardCharsets.UTF_8));
        Generated g = generate(dep.quadletDir(), true);
        assertClean(g);
        assertTrue(g.units().containsKey("terok-console.service"));
        ports.forEach((l, port) -> {
            String unit = "terok-" + (l.name().equals("console") ? "console" : l.name().substring(0, l.name().indexOf('-'))) + ".service";
            assertTrue(execStart(g.units().get(unit)).contains("--env " + l.envVar() + "=" + port), unit + ": " + execStart(g.units().get(unit)));
        });
        assertTrue(execStart(g.units().get("terok-console.service")).contains("127.0.0.1:" + consolePort + "/static/console.css"),
                "the health check asks the console's own port");

        assertFalse(install.installUnits(QuadletPorts.of(ctx, dep).decide()), "a second setup changes nothing");

        assertTrue(install.removeUnits());
        try (java.util.stream.Stream<Path> left = java.util.stream.Stream.concat(Files.list(dep.quadletDir()), Files.list(dep.systemdDir()))) {
            assertEquals(List.of(), left.toList(), "uninstall leaves no unit behind");
        }
        assertEquals(List.of("vault-broker", "gate-http", "console"), QuadletPorts.of(ctx, dep).release());
    }

    @Test
    void aBrokenUnitFailsTheGenerator() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("broken"));
        Files.writeString(dir.resolve("terok-x.container"), "[Container]\nImage=localhost/x:latest\nNoSuchKey=1\n");
        Generated g = generate(dir, true);
        assertEquals(1, g.exit(), "a unit with an unknown key must fail: " + g.stderr());
        assertTrue(g.stderr().contains("unsupported key 'NoSuchKey'"), g.stderr());
    }
}
