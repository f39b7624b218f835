package io.terok.cli.services;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.cli.Cli;
import io.terok.cli.CrashMain;
import io.terok.cli.SleeperMain;
import io.terok.cli.UdsServer;
import io.terok.common.ServiceName;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `terok services up|down|status` with real processes, pid files and sockets in temporary directories. */
class EmbeddedServicesTest {
    @TempDir
    Path tmp;
    Path runtime;
    Path home;
    Path state;
    Map<String, String> env;
    final List<Process> started = new ArrayList<>();
    /** Pids of the stand-in services `services up` started, ended here should an assertion stop the test early. */
    final List<Long> startedByCli = new ArrayList<>();

    @BeforeEach
    void dirs() throws IOException {
        runtime = Files.createDirectory(tmp.resolve("run"), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
        home = Files.createDirectory(tmp.resolve("home"));
        state = tmp.resolve("state");
        env = new HashMap<>(Map.of("TEROK_RUNTIME_DIR", runtime.toString(), "TEROK_HOME", home.toString(),
                "TEROK_STATE_DIR", state.toString(), "PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"),
                // the loopback ports' claims stay in the test's directory, not the host's /var/tmp/terok-ports
                "TEROK_PORT_REGISTRY_DIR", state.resolve("ports").toString()));
    }

    @AfterEach
    void endOwnProcesses() throws InterruptedException {
        for (Process p : started) {
            p.destroyForcibly();
            p.waitFor(5, TimeUnit.SECONDS);
        }
        for (long pid : startedByCli) {
            ProcessHandle.of(pid).filter(h -> h.info().commandLine().orElse("").contains(home.toString()))
                    .ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    private Path jar(ServiceName s) {
        return home.resolve(s.id() + "-service/target/quarkus-app/quarkus-run.jar");
    }

    private Path pidFile(ServiceName s) {
        return runtime.resolve("pids").resolve(s.id() + ".pid");
    }

    private Process start(String... cmd) throws IOException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        started.add(p);
        return p;
    }

    /** A process whose command line names the runtime jar (as a started service's does) and that ends on SIGTERM. */
    private Process fakeServiceProcess(ServiceName s) throws IOException {
        return start("sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.1; done", jar(s).toString());
    }

    private void writePid(ServiceName s, long pid) throws IOException {
        Files.createDirectories(pidFile(s).getParent());
        Files.writeString(pidFile(s), pid + "\n");
    }

    @Test
    void downLeavesAProcessAloneWhoseCommandLineIsNotTheService() throws Exception {
        Process sleep = start("sleep", "30");
        writePid(ServiceName.RUNTIME, sleep.pid());
        Cli r = Cli.run(env, "services", "down");
        assertEquals(0, r.exit(), r::toString);
        assertFalse(sleep.waitFor(500, TimeUnit.MILLISECONDS), "sleep must not have been signalled");
        assertTrue(sleep.isAlive());
        assertTrue(r.out().contains("  runtime    pid " + sleep.pid() + " is not " + jar(ServiceName.RUNTIME)
                + "; left it alone (stale pid file removed)"), r::toString);
        assertFalse(Files.exists(pidFile(ServiceName.RUNTIME)));
        assertTrue(r.out().contains("  vault      not started by terok (no pid file)"), r::toString);
    }

    @Test
    void downStopsTheServiceProcessItStartedAndCleansUp() throws Exception {
        Process service = fakeServiceProcess(ServiceName.GATE);
        writePid(ServiceName.GATE, service.pid());
        Files.createFile(runtime.resolve("gate.sock"));
        Cli r = Cli.run(env, "services", "down");
        assertEquals(0, r.exit(), r::toString);
        assertTrue(service.waitFor(5, TimeUnit.SECONDS), "the service process must have ended");
        assertTrue(r.out().contains("  gate       stopped (pid " + service.pid() + ")"), r::toString);
        assertFalse(Files.exists(pidFile(ServiceName.GATE)));
        assertFalse(Files.exists(runtime.resolve("gate.sock")));
    }

    /**
     * A service started to record its class-data archive writes it when it exits, which took the vault more than the
     * usual 10 s grace on a loaded machine: `down` waits for it instead of killing it mid-write (before: SIGKILL after
     * 10 s, a truncated archive that every later start silently failed to map, so the vault and the runtime never
     * started from an archive).
     */
    @Test
    void downWaitsForAServiceWritingItsClassDataArchive() throws Exception {
        Path archive = tmp.resolve("cds/runtime-test.jsa");
        Files.createDirectories(archive.getParent());
        Process service = start("sh", "-c", "trap 'sleep 12; echo complete > \"${0#-XX:ArchiveClassesAtExit=}\"; exit 0' TERM; while :; do sleep 0.1; done",
                "-XX:ArchiveClassesAtExit=" + archive, jar(ServiceName.RUNTIME).toString());
        writePid(ServiceName.RUNTIME, service.pid());
        Thread.sleep(300); // the trap is set
        Cli r = Cli.run(env, "services", "down");
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.out().contains("  runtime    stopped (pid " + service.pid() + ")"), r::toString);
        assertEquals("complete\n", Files.readString(archive), "the archive was written to its end");
    }

    @Test
    void downRemovesAStalePidFile() throws Exception {
        Process gone = start("true");
        gone.waitFor();
        writePid(ServiceName.SHIELD, gone.pid());
        Cli r = Cli.run(env, "services", "down");
        assertTrue(r.out().contains("  shield     not running (stale pid file removed)"), r::toString);
        assertFalse(Files.exists(pidFile(ServiceName.SHIELD)));
    }

    @Test
    void statusWithNoSocketsPrintsOneLinePerServiceAndFails() {
        Cli r = Cli.run(env, "services", "status");
        assertEquals(1, r.exit(), r::toString);
        List<String> lines = r.out().lines().toList();
        assertEquals(6, lines.size(), r::toString);
        for (int i = 0; i < 5; i++) {
            ServiceName s = ServiceName.values()[i];
            assertTrue(Pattern.matches(Pattern.quote(s.id()) + " +" + Pattern.quote(runtime.resolve(s.id() + ".sock").toString())
                    + " +not healthy \\(no socket\\)", lines.get(i)), lines.get(i));
        }
        // The console's line informs (here: not built) and leaves the exit code to the five.
        assertTrue(Pattern.matches("console +" + Pattern.quote(runtime.resolve("console.port").toString()) + " +not built", lines.get(5)),
                lines.get(5));
        assertEquals("", r.err());
    }

    @Test
    void statusShowsHealthyServicesStaleSocketsAndEmbeddedPids() throws Exception {
        Process service = fakeServiceProcess(ServiceName.RUNTIME);
        writePid(ServiceName.RUNTIME, service.pid());
        // a socket file nobody listens on any more
        Path stale = runtime.resolve("vault.sock");
        try (var ch = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            ch.bind(java.net.UnixDomainSocketAddress.of(stale));
        }
        try (UdsServer ignored = new UdsServer(runtime.resolve("runtime.sock"))) {
            Cli r = Cli.run(env, "services", "status");
            assertEquals(1, r.exit(), r::toString);
            List<String> lines = r.out().lines().toList();
            assertTrue(lines.get(0).matches("runtime +\\S+runtime\\.sock +healthy  pid " + service.pid() + " \\(embedded\\)"),
                    r::toString);
            assertTrue(lines.get(1).matches("vault +\\S+vault\\.sock +not healthy \\(UNAVAILABLE: .*\\)"), r::toString);
        }
    }

    @Test
    void upIsIdempotentWhenEveryServiceAlreadyAnswers() throws Exception {
        List<UdsServer> servers = new ArrayList<>();
        try {
            for (ServiceName s : ServiceName.values()) {
                servers.add(new UdsServer(runtime.resolve(s.id() + ".sock")));
            }
            Cli r = Cli.run(env, "services", "up");
            assertEquals(0, r.exit(), r::toString);
            assertEquals(5, r.out().lines().filter(l -> l.contains(" already up (")).count(), r::toString);
            assertFalse(Files.exists(runtime.resolve("pids/runtime.pid")));
        } finally {
            for (UdsServer s : servers) {
                s.close();
            }
        }
    }

    @Test
    void upRefusesToStartAnythingWhenJarsAreMissing() {
        Cli r = Cli.run(env, "services", "up");
        assertEquals(1, r.exit(), r::toString);
        assertTrue(r.err().startsWith("terok: service jars are missing: " + jar(ServiceName.RUNTIME)), r::toString);
        assertTrue(r.err().contains("hint: build them with `./mvnw -B -DskipTests package` in " + home), r::toString);
        for (ServiceName s : ServiceName.values()) {
            assertFalse(Files.exists(pidFile(s)), s.id());
        }
    }

    @Test
    void upStartsProcessesWithLogsAndPidFilesNamesWhatDidNotComeUpAndDownStopsThem() throws Exception {
        for (ServiceName s : ServiceName.values()) {
            writeJar(jar(s), s == ServiceName.SHIELD ? CrashMain.class : SleeperMain.class);
        }
        env.put("TEROK_MARKER", "passed-through");
        Cli up = Cli.run(env, "services", "up", "--timeout", "3");
        assertEquals(1, up.exit(), up::toString);
        Path shieldLog = state.resolve("logs/shield.log");
        assertTrue(up.err().contains("terok: shield exited before it became healthy; read " + shieldLog), up::toString);
        assertTrue(up.err().contains("terok: runtime did not come up within 3 s; read " + state.resolve("logs/runtime.log")),
                up::toString);
        assertTrue(up.out().contains("  runtime    starting (pid "), up::toString);
        assertTrue(Files.readString(shieldLog).contains("boom: cannot open the database"));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(runtime.resolve("pids"))));

        for (ServiceName s : List.of(ServiceName.RUNTIME, ServiceName.VAULT, ServiceName.GATE, ServiceName.CLEARANCE)) {
            String log = Files.readString(state.resolve("logs/" + s.id() + ".log"));
            assertTrue(log.contains("TEROK_RUNTIME_DIR=" + runtime), log);
            assertTrue(log.contains("TEROK_MARKER=passed-through"), log);
            long pid = Long.parseLong(Files.readString(pidFile(s)).strip());
            startedByCli.add(pid);
            assertTrue(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), s.id() + " must still run");
        }

        Cli again = Cli.run(env, "services", "up", "--timeout", "1");
        assertTrue(again.out().contains("  runtime    already starting (pid "), again::toString);

        Cli status = Cli.run(env, "services", "status");
        assertTrue(status.out().lines().filter(l -> l.contains("(embedded)")).count() == 4, status::toString);

        Map<ServiceName, Long> pids = new HashMap<>();
        for (ServiceName s : List.of(ServiceName.RUNTIME, ServiceName.VAULT, ServiceName.GATE, ServiceName.CLEARANCE)) {
            pids.put(s, Long.parseLong(Files.readString(pidFile(s)).strip()));
        }
        Cli down = Cli.run(env, "services", "down");
        assertEquals(0, down.exit(), down::toString);
        for (Map.Entry<ServiceName, Long> e : pids.entrySet()) {
            assertTrue(down.out().contains("stopped (pid " + e.getValue() + ")"), down::toString);
            assertFalse(ProcessHandle.of(e.getValue()).map(ProcessHandle::isAlive).orElse(false));
            assertFalse(Files.exists(pidFile(e.getKey())));
        }
    }

    /** An executable jar whose Main-Class is one of this test's classes. */
    private static void writeJar(Path jar, Class<?> main) throws IOException {
        Files.createDirectories(jar.getParent());
        Manifest mf = new Manifest();
        mf.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        mf.getMainAttributes().put(Attributes.Name.MAIN_CLASS, main.getName());
        String entry = main.getName().replace('.', '/') + ".class";
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), mf);
             var in = main.getClassLoader().getResourceAsStream(entry)) {
            out.putNextEntry(new JarEntry(entry));
            in.transferTo(out);
            out.closeEntry();
        }
    }
}
