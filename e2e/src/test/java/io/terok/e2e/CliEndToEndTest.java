package io.terok.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/** The `terok` command against the five service jars in embedded mode, as root. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CliEndToEndTest {
    static Terok terok;

    @BeforeAll
    static void up() throws Exception {
        terok = new Terok(Terok.freshHome("root", null), null);
        // The operator's config.yaml widens one allowlist; a test below checks the services honour it.
        Files.createDirectories(terok.home.resolve("config"));
        Files.writeString(terok.home.resolve("config/config.yaml"),
                "terok:\n  runtime:\n    allowed-annotations: io.terok.agent,io.terok.note,org.example.ticket\n");
        Terok.Result r = terok.run("services", "up").ok();
        for (String s : List.of("runtime", "vault", "gate", "shield", "clearance")) {
            assertTrue(Files.exists(terok.runtimeDir().resolve(s + ".sock")), s + " socket: " + r.err());
        }
    }

    @AfterAll
    static void down() {
        terok.run("rm", "-f", "e2e-task");
        terok.run("services", "down");
    }

    @Test
    @Order(1)
    void servicesUpIsIdempotentAndStatusShowsAllHealthy() {
        terok.run("services", "up").ok();
        Terok.Result status = terok.run("services", "status").ok();
        for (String s : List.of("runtime", "vault", "gate", "shield", "clearance")) {
            assertTrue(status.out().lines().anyMatch(l -> l.contains(s) && l.contains("healthy") && !l.contains("not healthy")),
                    s + " healthy in: " + status.out());
        }
    }

    @Test
    @Order(1)
    void everyServiceAnswersHealthAndReflectionOnAnOwnerOnlySocket() throws Exception {
        for (String s : List.of("runtime", "vault", "gate", "shield", "clearance")) {
            Path socket = terok.runtimeDir().resolve(s + ".sock");
            assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)), s);
            io.grpc.ManagedChannel ch = io.terok.common.grpc.UnixChannels.open(socket);
            try {
                var reply = new java.util.concurrent.LinkedBlockingQueue<grpc.reflection.v1alpha.Reflection.ServerReflectionResponse>();
                var done = new java.util.concurrent.CountDownLatch(1);
                var requests = grpc.reflection.v1alpha.ServerReflectionGrpc.newStub(ch)
                        .withDeadlineAfter(10, java.util.concurrent.TimeUnit.SECONDS)
                        .serverReflectionInfo(new io.grpc.stub.StreamObserver<>() {
                            public void onNext(grpc.reflection.v1alpha.Reflection.ServerReflectionResponse r) {
                                reply.add(r);
                            }

                            public void onError(Throwable t) {
                                done.countDown();
                            }

                            public void onCompleted() {
                                done.countDown();
                            }
                        });
                requests.onNext(grpc.reflection.v1alpha.Reflection.ServerReflectionRequest.newBuilder().setListServices("*").build());
                requests.onCompleted();
                assertTrue(done.await(10, java.util.concurrent.TimeUnit.SECONDS), s + " reflection answered");
                List<String> names = reply.stream().flatMap(r -> r.getListServicesResponse().getServiceList().stream())
                        .map(grpc.reflection.v1alpha.Reflection.ServiceResponse::getName).toList();
                String expected = "terok.v1." + Character.toUpperCase(s.charAt(0)) + s.substring(1) + "Service";
                assertTrue(names.contains(expected), s + " lists " + expected + ": " + names);
                assertTrue(names.contains("grpc.health.v1.Health"), s + ": " + names);
            } finally {
                ch.shutdownNow();
            }
        }
    }

    @Test
    @Order(2)
    void theOperatorsConfigYamlIsHonoured() {
        terok.run("run", "--rm", "--network", "none", "--annotation", "org.example.ticket=T-1",
                "localhost/terok-busybox:latest", "true").ok();
        Terok.Result refused = terok.run("run", "--rm", "--network", "none", "--annotation", "org.example.other=1",
                "localhost/terok-busybox:latest", "true");
        assertTrue(refused.err().contains("not an allowed annotation"), refused.err());
    }

    @Test
    @Order(2)
    void runFollowsOutputAndReturnsTheExitCode() {
        Terok.Result r = terok.run("run", "--rm", "--network", "none", "localhost/terok-busybox:latest",
                "sh", "-c", "echo out-line; echo err-line >&2; exit 3");
        assertEquals(3, r.exitCode(), r.err());
        assertTrue(r.out().contains("out-line"), r.out());
        assertTrue(r.err().contains("err-line"), r.err());
        assertFalse(terok.run("ps", "-a").ok().out().contains("out-line"));
    }

    /**
     * Issue 15 item 13: a task writes the clipboard (OSC 52) and clears the screen. Neither `terok run` (no -t),
     * `terok logs` nor `terok exec` lets those bytes reach the operator's terminal; they are shown as \x1b.
     */
    @Test
    @Order(2)
    void escapeSequencesFromATaskNeverReachTheOperatorsTerminal() throws InterruptedException {
        String attack = "printf 'out\\033]52;c;ZXZpbA==\\007\\033[2Jend\\n'; printf 'err\\033]0;title\\007\\n' >&2";
        terok.run("run", "-d", "--name", "e2e-escapes", "--network", "none", "localhost/terok-busybox:latest",
                "sh", "-c", attack + "; sleep 300").ok();
        try {
            String logs = "";
            Terok.Result r = null;
            for (int i = 0; i < 50 && !logs.contains("end"); i++) {
                Thread.sleep(100);
                r = terok.run("logs", "e2e-escapes").ok();
                logs = r.out();
            }
            assertTrue(logs.contains("out\\x1b]52;c;ZXZpbA==\\x07\\x1b[2Jend"), "shown visibly: " + logs);
            assertNoControl("logs stdout", logs);
            assertNoControl("logs stderr", r.err());
            assertTrue(r.err().contains("err\\x1b]0;title\\x07"), r.err());
            Terok.Result ex = terok.run("exec", "e2e-escapes", "sh", "-c", attack).ok();
            assertTrue(ex.out().contains("\\x1b]52"), ex.out());
            assertNoControl("exec stdout", ex.out());
            assertNoControl("exec stderr", ex.err());
        } finally {
            terok.run("rm", "-f", "e2e-escapes");
        }
        Terok.Result fg = terok.run("run", "--rm", "--network", "none", "localhost/terok-busybox:latest", "sh", "-c", attack);
        assertEquals(0, fg.exitCode(), fg.err());
        assertTrue(fg.out().contains("\\x1b[2J"), fg.out());
        assertNoControl("run stdout", fg.out());
        assertNoControl("run stderr", fg.err());
    }

    private static void assertNoControl(String what, String text) {
        assertFalse(text.chars().anyMatch(c -> c == 0x1b || c == 0x07 || c == 0x9b || c == 0x9d),
                what + " carries raw ESC/BEL/CSI/OSC bytes: " + text.replace("\u001b", "<ESC>").replace("\u0007", "<BEL>"));
    }

    @Test
    @Order(3)
    void detachedTaskShowsInPsAndLogs() throws Exception {
        Terok.Result r = terok.run("run", "-d", "--name", "e2e-task", "--network", "none", "localhost/terok-busybox:latest",
                "sh", "-c", "echo hello-e2e; sleep 300").ok();
        String id = r.out().trim();
        assertEquals(32, id.length(), "prints the task id: " + r.out());
        assertTrue(terok.run("ps").ok().out().contains("e2e-task"));
        String logs = "";
        for (int i = 0; i < 50 && !logs.contains("hello-e2e"); i++) {
            Thread.sleep(100);
            logs = terok.run("logs", "e2e-task").ok().out();
        }
        assertTrue(logs.contains("hello-e2e"), logs);
        Terok.Result ex = terok.run("exec", "e2e-task", "id", "-u");
        assertEquals("1000", ex.ok().out().trim());
    }

    @Test
    @Order(4)
    void aRestartOfRuntimeServiceKeepsTheTaskRecords() throws Exception {
        Path pidFile = terok.runtimeDir().resolve("pids/runtime.pid");
        long pid = Long.parseLong(Files.readString(pidFile).trim());
        ProcessHandle h = ProcessHandle.of(pid).orElseThrow();
        h.destroy();
        h.onExit().get(20, java.util.concurrent.TimeUnit.SECONDS);
        terok.run("services", "up").ok();
        Terok.Result ps = terok.run("ps").ok();
        assertTrue(ps.out().contains("e2e-task"), "record survived the restart: " + ps.out());
        assertEquals("1000", terok.run("exec", "e2e-task", "id", "-u").ok().out().trim());
    }

    @Test
    @Order(5)
    void removeLeavesNoContainer() {
        terok.run("stop", "-t", "1", "e2e-task").ok();
        terok.run("rm", "e2e-task").ok();
        assertFalse(terok.run("ps", "-a").ok().out().contains("e2e-task"));
        Terok.Result podman = Terok.exec(List.of("podman", "ps", "-a", "--filter", "name=e2e-task", "--format", "{{.Names}}"), Map.of(), 30).ok();
        assertEquals("", podman.out().trim());
    }

    @Test
    @Order(6)
    void badInputIsRefusedByName() {
        Terok.Result r = terok.run("run", "--network", "none", "--cap-add", "SYS_ADMIN", "localhost/terok-busybox:latest", "true");
        assertTrue(r.exitCode() != 0);
        assertTrue(r.err().contains("run_spec.capabilities[0]"), r.err());
        Terok.Result shieldless = terok.run("run", "localhost/terok-busybox:latest", "true");
        assertTrue(shieldless.exitCode() != 0);
        assertTrue(shieldless.err().contains("shield-service"), shieldless.err());
    }

    @Test
    @Order(7)
    void doctorReportsEveryServiceHealthy() {
        Terok.Result r = terok.run("doctor");
        assertTrue(r.out().lines().filter(l -> l.contains("service")).allMatch(l -> !l.contains("ERROR")), r.out());
        assertTrue(r.out().contains("podman"), r.out());
    }

    @Test
    @Order(8)
    void servicesDownStopsEverything() {
        terok.run("services", "down").ok();
        for (String s : List.of("runtime", "vault", "gate", "shield", "clearance")) {
            assertFalse(Files.exists(terok.runtimeDir().resolve("pids/" + s + ".pid")), s + " pid file gone");
        }
        Terok.Result status = terok.run("services", "status");
        assertTrue(status.out().contains("runtime"), status.out());
        assertFalse(status.out().lines().anyMatch(l -> l.contains("runtime") && l.contains("healthy") && !l.contains("not")), status.out());
    }
}
