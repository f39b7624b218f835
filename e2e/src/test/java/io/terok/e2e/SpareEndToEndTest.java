package io.terok.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The spare CLI process (io.terok.cli.spare.Spare) through the real bin/terok and its native client: a command it
 * serves prints and exits exactly as the cold CLI does, on the caller's own descriptors; anything it must not serve
 * (another environment or directory, an interactive verb, a dead spare) starts cold and still works; another user is
 * refused. Which process ran a command is read from the spare's own log ({@code <runtime>/cli-spare/spare.log}:
 * "pid P serves 'VERB'") and its pid file.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SpareEndToEndTest {
    static final String IMAGE = "localhost/terok-busybox:latest";
    static Terok terok;
    static Path spareDir;

    @BeforeAll
    static void up() throws Exception {
        terok = new Terok(Terok.freshHome("spare", null), null);
        terok.env.remove("TEROK_NO_SPARE");
        spareDir = terok.runtimeDir().resolve("cli-spare");
        cold("services", "up").ok();
        terok.run("ps").ok(); // no spare yet: cold, and the client starts one
    }

    @AfterAll
    static void down() {
        long pid = sparePid();
        terok.discard(); // `services down` ends the spare too; a spare whose socket is removed ends on its own
        if (pid > 0) {
            // the one this class saw last, if it is still there (and still a spare)
            ProcessHandle.of(pid).filter(h -> h.info().commandLine().orElse("").contains("cli-spare serve"))
                    .ifPresent(ProcessHandle::destroy);
        }
    }

    @Test
    @Order(1)
    void aCommandServedBySpareGivesTheColdOutputAndExitCodeAndTheSpareIsReplaced() throws Exception {
        long first = waitForWarmSpare();
        String[] failing = {"run", "--rm", "--network", "none", "--no-vault", "--no-gate", "--no-clearance", IMAGE,
            "sh", "-c", "echo out1; echo err1 >&2; echo out2; exit 3"};
        Terok.Result served = terok.run(failing);
        assertServedBy(first, "run");
        Terok.Result cold = cold(failing);
        assertEquals(3, cold.exitCode(), cold.err());
        assertEquals(cold.exitCode(), served.exitCode(), served.err());
        assertEquals(cold.out(), served.out());
        assertEquals(withoutTaskIds(cold.err()), withoutTaskIds(served.err()));
        assertEquals("out1\nout2\n", served.out());

        // The successor waits in its place, started by the one that served (its environment says so).
        long second = waitForWarmSpare();
        assertTrue(second != first, "a new spare replaced pid " + first);
        assertTrue(ProcessHandle.of(first).map(h -> !h.isAlive()).orElse(true), "the spare that served has exited");
        assertTrue(Files.readString(Path.of("/proc/" + second + "/environ")).contains("TEROK_SPARE_PREDECESSOR=" + first));

        // A verb's own error and exit code (no such task), from the spare: the cold CLI's bytes.
        Terok.Result usage = terok.run("inspect", "no-such-task-e2e");
        assertServedBy(second, "inspect");
        Terok.Result usageCold = cold("inspect", "no-such-task-e2e");
        assertEquals(usageCold.exitCode(), usage.exitCode());
        assertTrue(usage.exitCode() != 0);
        assertEquals(usageCold.err(), usage.err());
        assertEquals(usageCold.out(), usage.out());
    }

    @Test
    @Order(2)
    void outputRedirectedWithAppendLandsAfterWhatTheFileHeld() throws Exception {
        long pid = waitForWarmSpare();
        Path file = terok.home.resolve("appended.txt");
        Files.writeString(file, "before\n");
        String cmd = shellQuoted(terok.commandLine("run", "--rm", "--network", "none", "--no-vault", "--no-gate",
                "--no-clearance", IMAGE, "sh", "-c", "echo out; echo err >&2")) + " >>" + file + " 2>&1";
        Terok.exec(List.of("sh", "-c", cmd), Map.of(), 180).ok();
        assertServedBy(pid, "run");
        String text = Files.readString(file);
        assertTrue(text.startsWith("before\n"), "the file's first line kept (O_APPEND): " + text);
        assertTrue(text.contains("out\n") && text.contains("err\n"), text);
    }

    @Test
    @Order(3)
    void anotherEnvironmentOrDirectoryStartsColdWorksAndTheNextCommandThereIsServed() throws Exception {
        long pid = waitForWarmSpare();
        Terok.Result r = runIn(null, Map.of("E2E_SPARE_OTHER", "1"), "ps", "-a");
        assertEquals(0, r.exitCode(), r.err());
        assertNotServedBy(pid);
        // The spare gave way to one started in the caller's environment: the same command there is served.
        long there = waitForWarmSpare();
        assertTrue(there != pid);
        Terok.Result again = runIn(null, Map.of("E2E_SPARE_OTHER", "1"), "ps", "-a");
        assertEquals(r.exitCode(), again.exitCode());
        assertEquals(r.out(), again.out());
        assertServedBy(there, "ps");

        long next = waitForWarmSpare();
        Path elsewhere = Files.createDirectories(terok.home.resolve("elsewhere"));
        Terok.Result inDir = runIn(elsewhere, Map.of("E2E_SPARE_OTHER", "1"), "ps", "-a");
        assertEquals(0, inDir.exitCode(), inDir.err());
        assertNotServedBy(next);
        long inElsewhere = waitForWarmSpare();
        assertEquals(elsewhere.toRealPath(), Path.of("/proc/" + inElsewhere + "/cwd").toRealPath());
    }

    @Test
    @Order(4)
    void anInteractiveVerbStartsColdAndTheSpareStaysForTheNext() throws Exception {
        long pid = waitForWarmSpare();
        Terok.Result r = terok.run("task", "run", "no-such-project-e2e");
        assertEquals(cold("task", "run", "no-such-project-e2e").err(), r.err());
        assertTrue(r.err().contains("needs a terminal"), r.err());
        assertNotServedBy(pid);
        assertEquals(pid, sparePid(), "the spare still waits");
        assertTrue(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
    }

    @Test
    @Order(5)
    void anotherUserIsRefusedBySpare() throws Exception {
        long pid = waitForWarmSpare();
        Path sock = spareDir.resolve("sock");
        // Open the way on purpose (normally the 0700 directory already stops another user at connect) so that the
        // spare's own check of its peer's uid is what answers.
        String runMode = java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(terok.runtimeDir()));
        Terok.exec(List.of("chmod", "o+x", terok.runtimeDir().toString()), Map.of(), 30).ok();
        Terok.exec(List.of("chmod", "0711", spareDir.toString()), Map.of(), 30).ok();
        Terok.exec(List.of("chmod", "0666", sock.toString()), Map.of(), 30).ok();
        try {
            // A request as the client sends it (TKS1, then "ps", cwd /, no environment, no spare command).
            String py = "import socket,struct\n"
                    + "def l(xs): return struct.pack('>I',len(xs))+b''.join(struct.pack('>I',len(x))+x for x in xs)\n"
                    + "s=socket.socket(socket.AF_UNIX); s.connect('" + sock + "')\n"
                    + "try:\n"
                    + "  s.sendall(struct.pack('>I',0x544b5331)+l([b'ps'])+l([b'/'])+l([])+l([])); a=s.recv(1)\n"
                    + "except (BrokenPipeError, ConnectionResetError): a=b''\n"
                    + "print('answer:'+repr(a))\n";
            Terok.Result r = Terok.exec(List.of(Terok.REPO.resolve("bin/test-user").toString(), "python3", "-c", py), Map.of(), 60);
            assertEquals(0, r.exitCode(), r.err());
            assertEquals("answer:b''", r.out().strip(), "closed without an answer");
            assertTrue(log().contains("pid " + pid + ": refused a client of user"), log());
            assertEquals(pid, sparePid(), "the spare still waits for its own user");
        } finally {
            Terok.exec(List.of("chmod", "0700", spareDir.toString()), Map.of(), 30);
            Files.setPosixFilePermissions(terok.runtimeDir(), java.nio.file.attribute.PosixFilePermissions.fromString(runMode));
            Terok.exec(List.of("chmod", "0600", sock.toString()), Map.of(), 30);
        }
    }

    @Test
    @Order(6)
    void aKilledSpareLeavesAStaleSocketTheNextCommandStartsColdAndANewSpareComes() throws Exception {
        long pid = waitForWarmSpare();
        ProcessHandle h = ProcessHandle.of(pid).orElseThrow();
        Terok.exec(List.of("kill", "-9", Long.toString(pid)), Map.of(), 30).ok();
        h.onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
        assertTrue(Files.exists(spareDir.resolve("sock")), "the dead spare's socket is left behind");
        Terok.Result r = terok.run("ps", "-a");
        assertEquals(0, r.exitCode(), r.err());
        assertEquals(cold("ps", "-a").out(), r.out());
        long next = waitForWarmSpare();
        assertTrue(next != pid);
    }

    @Test
    @Order(7)
    void cliSpareStopEndsIt() throws Exception {
        long pid = waitForWarmSpare();
        Terok.Result r = cold("cli-spare", "stop").ok();
        assertEquals("terok: the spare CLI process ended\n", r.out());
        ProcessHandle.of(pid).ifPresent(h -> h.onExit().join());
        assertFalse(Files.exists(spareDir.resolve("sock")));
    }

    /** The command with TEROK_NO_SPARE=1: bin/terok starts the JVM itself, as before the spare. */
    static Terok.Result cold(String... args) {
        return runIn(null, Map.of("TEROK_NO_SPARE", "1"), args);
    }

    static Terok.Result runIn(Path dir, Map<String, String> extra, String... args) {
        List<String> cmd = new ArrayList<>(terok.commandLine(args));
        cmd.addAll(1, extra.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList()); // after "env"
        var o = io.terok.testsupport.Cmd.exec(cmd, dir, e -> { }, null, 180);
        return new Terok.Result(o.code(), o.out(), o.err());
    }

    /** The waiting spare's pid once it has warmed up (it writes its pid to {@code warm} then). */
    static long waitForWarmSpare() throws Exception {
        long deadline = System.nanoTime() + 90_000_000_000L;
        long pid = -1;
        while (System.nanoTime() < deadline) {
            pid = sparePid();
            if (pid > 0 && Files.exists(spareDir.resolve("warm"))
                    && Files.readString(spareDir.resolve("warm")).strip().equals(Long.toString(pid))) {
                return pid;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no warm spare within 90 s (pid file: " + pid + "); log:\n" + log());
    }

    static long sparePid() {
        try {
            return Long.parseLong(Files.readString(spareDir.resolve("pid")).strip());
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    static String log() {
        try {
            return Files.readString(spareDir.resolve("spare.log"));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    static void assertServedBy(long pid, String verb) {
        assertTrue(log().contains("pid " + pid + ": serves '" + verb + "'"), "pid " + pid + " served " + verb + "; log:\n" + log());
    }

    static void assertNotServedBy(long pid) {
        assertFalse(log().contains("pid " + pid + ": serves"), "pid " + pid + " served nothing; log:\n" + log());
    }

    /** The task each run made is its own: its id and name are the only difference between two runs' stderr. */
    static String withoutTaskIds(String text) {
        return text.replaceAll("[0-9a-f]{32}", "ID").replaceAll("terok-[0-9a-f]{12}", "NAME");
    }

    static String shellQuoted(List<String> words) {
        return words.stream().map(w -> "'" + w.replace("'", "'\\''") + "'").collect(Collectors.joining(" "));
    }
}
