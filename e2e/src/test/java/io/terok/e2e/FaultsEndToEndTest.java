package io.terok.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpHandler;
import io.grpc.ManagedChannel;
import io.terok.api.v1.CreateProjectRequest;
import io.terok.api.v1.GateServiceGrpc;
import io.terok.api.v1.ListTokensRequest;
import io.terok.api.v1.MintTaskTokenRequest;
import io.terok.api.v1.MintTaskTokenResponse;
import io.terok.api.v1.MintTaskTokensRequest;
import io.terok.api.v1.VaultServiceGrpc;
import io.terok.common.grpc.UnixChannels;
import io.terok.testsupport.Cmd;
import io.terok.testsupport.FakeInternet;
import io.terok.testsupport.PrivatePodman;
import io.terok.testsupport.SmallDisk;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Faults on purpose, with real processes (a kill only of the pid its pid file names, checked against its command line):
 * runtime-service at measured points of a launch; vault, gate, shield and clearance right before and right after their
 * call of a launch (held there by runtime's test-only launch barrier); podman's API service stopped during a launch;
 * the vault during a proxied streaming response; the gate during a push; the gate's disk full during a push. After
 * each: nothing runs without its firewall, nothing the failed operation took outlives it once the part is back, no
 * file is half-written, and the same work succeeds again. One installation, services started once.
 */
class FaultsEndToEndTest {
    static final String REAL_KEY = "sk-ant-faults-REAL-0123456789";
    static Installation installation;
    static Terok terok;
    static PrivatePodman podman;
    static List<String> providerSaw;
    /** The test-only launch barrier's directory (runtime-service holds a launch at a step while its hold file exists). */
    static Path barrier;

    /** A provider that streams: 40 server-sent events, 50 ms apart (2 s), so a kill lands in the middle. */
    static HttpHandler streaming(List<String> saw) {
        return ex -> {
            saw.add(String.valueOf(ex.getRequestHeaders().getFirst("x-api-key")));
            try (InputStream in = ex.getRequestBody()) {
                in.readAllBytes();
            }
            ex.getResponseHeaders().add("content-type", "text/event-stream");
            ex.sendResponseHeaders(200, 0);
            try (OutputStream out = ex.getResponseBody()) {
                for (int i = 0; i < 40; i++) {
                    out.write(("data: {\"n\":" + i + "}\n\n").getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    Thread.sleep(50);
                }
                out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
            } catch (IOException | InterruptedException e) {
                // the client went away
            }
        };
    }

    @BeforeAll
    static void up() throws Exception {
        barrier = Files.createTempDirectory("terok-e2e-barrier");
        installation = Installation.start("faults", FakeInternet.spec("tfl").addresses(2, 2), REAL_KEY,
                FaultsEndToEndTest::streaming, Map.of("TEROK_TEST_LAUNCH_BARRIER_DIR", barrier.toString()))
                .withProject("e2e-faults");
        terok = installation.terok;
        podman = installation.podman;
        providerSaw = installation.providerSaw;
    }

    @AfterAll
    static void down() {
        if (installation != null) {
            installation.close();
        }
        if (barrier != null) {
            Cmd.run("rm", "-rf", barrier.toString());
        }
    }

    static final class Grpc implements AutoCloseable {
        final ManagedChannel ch;

        Grpc(String service) {
            ch = UnixChannels.open(terok.runtimeDir().resolve(service + ".sock"));
        }

        @Override
        public void close() {
            ch.shutdownNow();
        }
    }

    static void kill9(String service) throws Exception {
        terok.kill9(service);
    }

    static Path records() {
        return terok.home.resolve("data/runtime/tasks");
    }

    static List<String> recordIds() throws IOException {
        if (!Files.isDirectory(records())) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(records())) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".json"))
                    .map(n -> n.substring(0, n.length() - 5)).toList();
        }
    }

    static String gateTokens() throws IOException {
        Path f = terok.home.resolve("data/gate/tokens.json");
        return Files.exists(f) ? Files.readString(f) : "";
    }

    static List<String> containersOf(String taskId) {
        // stdout only: podman's warnings on stderr are not containers. The state from inspect ("running"): podman 4's
        // `ps --format {{.State}}` says "Up", which a check for "running" never matched.
        return Cmd.exec(List.of("podman", "--url=unix://" + podman.socket, "ps", "-aq", "--filter", "label=io.terok.task=" + taskId),
                null, e -> { }, null, 60).out().lines().filter(l -> !l.isBlank()).map(c -> c + " " + Cmd.exec(List.of("podman",
                "--url=unix://" + podman.socket, "inspect", "--format", "{{.State.Status}}", c), null, e -> { }, null, 60)
                .out().strip()).map(l -> l.endsWith(" ") ? l + "gone" : l).toList();
    }

    static boolean waitFor(Supplier<Boolean> condition, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            if (condition.get()) {
                return true;
            }
            Thread.sleep(2);
        }
        return false;
    }

    /** Every running container of the task has shield's table loaded in its network namespace. */
    static void assertNoContainerRunsUnfiltered(String taskId, String when) {
        for (String line : containersOf(taskId)) {
            String[] f = line.split(" ");
            if (!f[1].equals("running")) {
                continue;
            }
            String pid = Cmd.run("podman", "--url=unix://" + podman.socket, "inspect", "--format", "{{.State.Pid}}", f[0]).out().strip();
            String tables = Cmd.run("nsenter", "-t", pid, "-n", "nft", "list", "tables").out();
            assertTrue(tables.contains("terok_shield"), when + ": container " + f[0] + " runs without its firewall: " + tables);
        }
    }

    /**
     * runtime-service killed at four measured points of a filtered launch with a phantom token and a gate token: its
     * record written, the gate's token minted, shield's state prepared, the container created. While it is down no
     * container of the launch runs without its firewall; once it is back, it undoes the launch: no record, no
     * container, no phantom token, no gate token, no shield state. Then the same launch succeeds.
     */
    @Test
    void runtimeKilledDuringALaunchLeavesNothingOnceItIsBack() throws Exception {
        record Point(String name, java.util.function.Function<String, Boolean> reached) {
        }
        List<Point> points = List.of(
                new Point("its record written", id -> true),
                new Point("its gate token minted", id -> uncheck(() -> gateTokens().contains(id))),
                new Point("its shield state prepared", id -> Files.isDirectory(terok.home.resolve("state/shield/" + id))),
                // `ps` alone, no inspect: the point must be seen (and the kill sent) before the launch can finish
                new Point("its container created", id -> !Cmd.exec(List.of("podman", "--url=unix://" + podman.socket, "ps",
                        "-aq", "--filter", "label=io.terok.task=" + id), null, e -> { }, null, 60).out().isBlank()));
        for (Point point : points) {
            List<String> before = recordIds();
            Process launch = new ProcessBuilder(terok.commandLine("run", "-d", "--name", "e2e-fault-launch", "--project",
                    "e2e-faults", "--provider", "anthropic", "localhost/terok-agent:latest", "sleep", "600"))
                    .redirectErrorStream(true).redirectOutput(terok.home.resolve("launch.log").toFile()).start();
            String[] id = new String[1];
            assertTrue(waitFor(() -> {
                Optional<String> fresh = uncheck(FaultsEndToEndTest::recordIds).stream().filter(r -> !before.contains(r)).findFirst();
                fresh.ifPresent(f -> id[0] = f);
                return fresh.isPresent() && point.reached().apply(fresh.get());
            }, Duration.ofSeconds(60)), point.name() + " was not reached");
            kill9("runtime");
            assertTrue(launch.waitFor(60, TimeUnit.SECONDS));
            assertNotEquals(0, launch.exitValue(), point.name() + ": the launch is reported failed: "
                    + Files.readString(terok.home.resolve("launch.log")));
            assertNoContainerRunsUnfiltered(id[0], "killed after " + point.name());

            terok.run("services", "up").ok();
            assertTrue(waitFor(() -> uncheck(() -> !recordIds().contains(id[0]) && containersOf(id[0]).isEmpty()
                    && !gateTokens().contains(id[0]) && !Files.exists(terok.home.resolve("state/shield/" + id[0]))),
                    Duration.ofSeconds(60)), "killed after " + point.name() + ": the launch was not undone: records "
                    + recordIds() + ", containers " + containersOf(id[0]) + ", runtime's log: " + Cmd.run("sh", "-c",
                    "grep -h 'interrupted launch\\|undo' " + terok.home.resolve("state/logs") + "/runtime.log* | tail -20").out());
            try (Grpc g = new Grpc("vault")) {
                assertEquals(0, VaultServiceGrpc.newBlockingStub(g.ch).withDeadlineAfter(30, TimeUnit.SECONDS)
                        .listTokens(ListTokensRequest.newBuilder().setTaskId(id[0]).build()).getTokensCount(),
                        "killed after " + point.name() + ": no phantom token is left");
            }
        }
        terok.run("run", "-d", "--name", "e2e-fault-launch", "--project", "e2e-faults", "--provider", "anthropic",
                "localhost/terok-agent:latest", "sleep", "600").ok();
        terok.run("rm", "-f", "e2e-fault-launch").ok();
    }

    /** The task id `terok run` names on stderr ("task ID (NAME)"). */
    static String taskIdIn(String stderr) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("task ([0-9a-f]{32}) \\(").matcher(stderr);
        assertTrue(m.find(), "the task id on stderr: " + stderr);
        return m.group(1);
    }

    /**
     * `terok run --rm` returns once it has the output and the exit code; runtime removes the task and releases its
     * wiring afterwards (issue 13's benchmark lever). Shortly after the command returned, nothing of the task is left:
     * record (clearance's registration is released before the record goes, which a failed release keeps), container,
     * phantom token, gate token, shield state. The same when the client is killed while the task runs: runtime waits
     * for the exit itself. (Before, a killed client left the exited container and its whole wiring held: on main at
     * 8b18912 this test fails there, the record and the exited container still present after 90 s.)
     */
    @Test
    void runRmReturnsAndRuntimeRemovesTheTaskAfterwardsAlsoWhenTheClientIsKilled() throws Exception {
        Terok.Result r = terok.run("run", "--rm", "--name", "e2e-fault-rm", "--project", "e2e-faults", "--provider", "anthropic",
                "localhost/terok-agent:latest", "sh", "-c", "echo rm-output; exit 4");
        assertEquals(4, r.exitCode(), r.out() + r.err());
        assertTrue(r.out().contains("rm-output"), "the whole output came before the exit code: " + r.out());
        String first = taskIdIn(r.err());
        assertTrue(waitFor(() -> released(first) && vaultTokens(first) == 0, Duration.ofSeconds(60)),
                "after --rm returned: records " + recordIds() + ", containers " + containersOf(first));
        // The same name again at once: a launch waits for the removal under way, as `podman run --rm` had waited.
        terok.run("run", "--rm", "--name", "e2e-fault-rm", "--network", "none", "localhost/terok-agent:latest", "true").ok();

        aClientKilledMidTaskLeavesNothing("e2e-fault-rm-killed");
    }

    /**
     * `terok run -t --rm` as without a TTY: runtime removes the task once the attached client has had the exit code, and
     * when the client is killed mid-session, once the task has ended. (Before, the client removed a TTY task itself after
     * the session, so a killed client left the exited container and its whole wiring held: with RunCommand's old
     * `setAutoRemove(rm && !tty)` this test fails at the killed client, the record and the container still there.)
     */
    @Test
    void runTtyRmIsRemovedByRuntimeAlsoWhenTheClientIsKilledMidSession() throws Exception {
        Path log = terok.home.resolve("rm-tty.log");
        Process client = startedClient(log, List.of("run", "-t", "--rm", "--name", "e2e-fault-rm-tty", "--project",
                "e2e-faults", "--provider", "anthropic", "localhost/terok-agent:latest", "sh", "-c",
                "echo rm-started; read line; echo \"got $line\"; exit 5"));
        String ended = taskIdIn(Files.readString(log));
        client.getOutputStream().write("go\n".getBytes(StandardCharsets.UTF_8));
        client.getOutputStream().flush();
        assertTrue(client.waitFor(120, TimeUnit.SECONDS), "the session ended: " + Files.readString(log));
        assertEquals(5, client.exitValue(), "the task's exit code through the TTY session: " + Files.readString(log));
        assertTrue(Files.readString(log).contains("got go"), "the typed line reached the task: " + Files.readString(log));
        assertTrue(waitFor(() -> released(ended) && vaultTokens(ended) == 0, Duration.ofSeconds(60)),
                "after -t --rm returned: records " + recordIds() + ", containers " + containersOf(ended));

        aClientKilledMidTaskLeavesNothing("e2e-fault-rm-tty-killed", "-t");
    }

    /**
     * `terok run OPTIONS --rm --name NAME` of a task that runs 8 s, its client SIGKILLed once the task has started: the
     * task outlives its client, and once it has ended nothing of it is left.
     */
    private static void aClientKilledMidTaskLeavesNothing(String name, String... options) throws Exception {
        List<String> args = new ArrayList<>(List.of("run"));
        args.addAll(List.of(options));
        args.addAll(List.of("--rm", "--name", name, "--project", "e2e-faults", "--provider", "anthropic",
                "localhost/terok-agent:latest", "sh", "-c", "echo rm-started; sleep 8; echo rm-ended"));
        Path log = terok.home.resolve(name + ".log");
        Process client = startedClient(log, args);
        String killed = taskIdIn(Files.readString(log));
        client.destroyForcibly(); // bin/terok execs java: this is the client itself, killed as by SIGKILL
        assertTrue(client.waitFor(60, TimeUnit.SECONDS));
        assertTrue(recordIds().contains(killed), "the task outlives its client while it runs");
        assertTrue(waitFor(() -> released(killed) && vaultTokens(killed) == 0, Duration.ofSeconds(90)),
                "the killed client's task (run " + String.join(" ", options) + " --rm), once it ended: records "
                        + recordIds() + ", containers " + containersOf(killed));
    }

    /** `terok ARGS` started with its output in {@code log}; returned once its task has printed "rm-started". */
    private static Process startedClient(Path log, List<String> args) throws Exception {
        Process client = new ProcessBuilder(terok.commandLine(args.toArray(String[]::new)))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertTrue(waitFor(() -> uncheck(() -> Files.readString(log)).contains("rm-started"), Duration.ofSeconds(120)),
                "the task started: " + Files.readString(log));
        return client;
    }

    /** The containers of the step launches (by name: podman's storage is the machine's, others' tasks are there too). */
    static List<String> taskContainers() {
        return Cmd.exec(List.of("podman", "--url=unix://" + podman.socket, "ps", "-aq", "--filter", "name=^e2e-fault-step$"),
                null, e -> { }, null, 60).out().lines().filter(l -> !l.isBlank()).toList();
    }

    static int vaultTokens(String taskId) {
        try (Grpc g = new Grpc("vault")) {
            return VaultServiceGrpc.newBlockingStub(g.ch).withDeadlineAfter(30, TimeUnit.SECONDS)
                    .listTokens(ListTokensRequest.newBuilder().setTaskId(taskId).build()).getTokensCount();
        }
    }

    /** Nothing of the task is held: no record, container, gate token, shield state or phantom token. */
    static boolean released(String id) {
        return uncheck(() -> !recordIds().contains(id) && containersOf(id).isEmpty() && !gateTokens().contains(id)
                && !Files.exists(terok.home.resolve("state/shield/" + id)));
    }

    static final List<String> LAUNCH = List.of("run", "-d", "--name", "e2e-fault-step", "--project", "e2e-faults",
            "--provider", "anthropic", "localhost/terok-agent:latest", "sleep", "600");

    /**
     * Each service (vault, gate, shield, clearance) killed as a real process while runtime-service holds a filtered
     * launch with a phantom token and a gate token right before its call (the launch fails naming it and the fix,
     * and gives back what the others took), and right after it (the launch needs it no more and completes, except
     * shield, which it asks again whether the firewall loaded: the launch fails, and what shield could not give back
     * then is released once it is back). Each time: no container runs without its firewall; once `terok services up`
     * brought the service back, a failed launch left nothing (record, container, phantom token, gate token, shield
     * state), a completed one holds its wiring, and the same launch succeeds.
     */
    @Test
    void aServiceKilledBeforeOrAfterItsStepOfALaunch() throws Exception {
        record Case(String service, String step, boolean fails) {
        }
        List<Case> cases = List.of(
                new Case("vault", "before-vault", true), new Case("vault", "after-vault", false),
                new Case("gate", "before-gate", true), new Case("gate", "after-gate", false),
                new Case("shield", "before-shield", true), new Case("shield", "after-shield", true),
                new Case("clearance", "before-clearance", true), new Case("clearance", "after-clearance", false));
        for (Case c : cases) {
            String what = c.service() + " killed " + c.step().replace("-", " its step (") + ")";
            List<String> recordsBefore = recordIds();
            Path hold = barrier.resolve(c.step() + ".hold");
            Path reached = barrier.resolve(c.step() + ".reached");
            Files.deleteIfExists(reached);
            Files.createFile(hold);
            Path log = terok.home.resolve("launch.log");
            Process launch = new ProcessBuilder(terok.commandLine(LAUNCH.toArray(String[]::new)))
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            String id;
            try {
                assertTrue(waitFor(() -> uncheck(() -> Files.exists(reached) && Files.size(reached) == 32),
                        Duration.ofSeconds(90)), what + ": the step was not reached: " + uncheck(() -> Files.readString(log)));
                id = Files.readString(reached);
                kill9(c.service());
            } finally {
                Files.deleteIfExists(hold);
            }
            assertTrue(launch.waitFor(120, TimeUnit.SECONDS), what + ": the launch did not return");
            String said = Files.readString(log);
            assertNoContainerRunsUnfiltered(id, what);
            if (c.fails()) {
                assertNotEquals(0, launch.exitValue(), what + ": the launch is reported failed: " + said);
                assertTrue(said.contains(c.service() + "-service") && said.contains("terok services up"),
                        what + ": the failure names the service and the fix: " + said);
            } else {
                assertEquals(0, launch.exitValue(), what + ": the launch needed it no more: " + said);
            }

            terok.run("services", "up").ok();
            if (c.fails()) {
                assertTrue(waitFor(() -> released(id), Duration.ofSeconds(60)), what + ": the launch left something: records "
                        + recordIds() + ", containers " + containersOf(id) + ", shield state "
                        + Files.exists(terok.home.resolve("state/shield/" + id)));
                assertEquals(0, vaultTokens(id), what + ": no phantom token is left");
                terok.run(LAUNCH.toArray(String[]::new)).ok();
            } else {
                assertTrue(recordIds().contains(id), what + ": the task is recorded");
                assertTrue(gateTokens().contains(id), what + ": it holds its gate token");
                assertEquals(1, vaultTokens(id), what + ": and its phantom token");
                assertEquals(List.of("running"), containersOf(id).stream().map(l -> l.split(" ")[1]).toList());
            }
            assertNoContainerRunsUnfiltered(id, what + ", after services up");
            terok.run("rm", "-f", "e2e-fault-step").ok();
            assertTrue(waitFor(() -> uncheck(() -> recordIds().equals(recordsBefore)) && released(id) && taskContainers().isEmpty(),
                    Duration.ofSeconds(30)), what + ": rm released everything: records " + recordIds() + ", containers "
                    + Cmd.run("podman", "--url=unix://" + podman.socket, "ps", "-a", "--format",
                    "{{.ID}} {{.Names}} {{.State}} {{.Labels}}").out());
        }
    }

    /**
     * podman's API service stopped while runtime-service holds a filtered launch with a phantom token and a gate token,
     * right before the container is created and right after: the launch fails naming podman's API service and how to
     * bring it back, nothing runs, and once the service is back nothing is left (the container created before podman
     * went is removed by the reconciler, which the failed launch left its record to), and the same launch succeeds.
     */
    @Test
    void podmansApiServiceGoneDuringALaunch() throws Exception {
        for (String step : List.of("before-create", "after-create")) {
            String what = "podman's API service stopped " + step.replace("-", " the container is ") + "d";
            List<String> recordsBefore = recordIds();
            Path hold = barrier.resolve(step + ".hold");
            Path reached = barrier.resolve(step + ".reached");
            Files.deleteIfExists(reached);
            Files.createFile(hold);
            Path log = terok.home.resolve("launch.log");
            Process launch = new ProcessBuilder(terok.commandLine(LAUNCH.toArray(String[]::new)))
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            String id;
            try {
                assertTrue(waitFor(() -> uncheck(() -> Files.exists(reached) && Files.size(reached) == 32),
                        Duration.ofSeconds(90)), what + ": the step was not reached: " + uncheck(() -> Files.readString(log)));
                id = Files.readString(reached);
                installation.podman.close();
            } finally {
                Files.deleteIfExists(hold);
            }
            assertTrue(launch.waitFor(120, TimeUnit.SECONDS), what + ": the launch did not return");
            String said = Files.readString(log);
            assertNotEquals(0, launch.exitValue(), what + ": the launch is reported failed: " + said);
            assertTrue(said.contains("podman's API service at " + podman.socket + " is not reachable")
                    && said.contains("podman.socket"), what + ": the failure names podman and the fix: " + said);

            podman = installation.restartPodman();
            assertNoContainerRunsUnfiltered(id, what);
            assertTrue(waitFor(() -> released(id), Duration.ofSeconds(90)), what + ": the launch left something: records "
                    + recordIds() + ", containers " + containersOf(id));
            assertEquals(0, vaultTokens(id), what + ": no phantom token is left");
            terok.run(LAUNCH.toArray(String[]::new)).ok();
            terok.run("rm", "-f", "e2e-fault-step").ok();
            assertTrue(waitFor(() -> uncheck(() -> recordIds().equals(recordsBefore)) && taskContainers().isEmpty(), Duration.ofSeconds(30)),
                    what + ": rm released everything: records " + recordIds() + ", containers " + Cmd.run("podman",
                    "--url=unix://" + podman.socket, "ps", "-a", "--format", "{{.ID}} {{.Names}} {{.State}} {{.Labels}}").out());
        }
    }

    /**
     * `terok run --rm` of a task that runs 5 s ends at the task's exit, which runtime's own stream of podman's events
     * tells it, not ~0.5 s later when podman ends a followed log (a `podman logs -f` beside it sees that end); the same
     * after podman's API service restarted under runtime (the stream is opened again), and runtime neither starts a
     * process nor keeps a connection per task for it. Before, the client's end came with podman's follow's end or after
     * it (LifecycleTest measured 9-14 ms before it at runtime's side): at least 100 ms before it in one of three runs
     * is what this asks.
     */
    @Test
    void runOfALongerTaskEndsAtItsExitAlsoAfterPodmansServiceRestarted() throws Exception {
        long runtime = Long.parseLong(Files.readString(terok.runtimeDir().resolve("pids/runtime.pid")).strip());
        bestOfThreeAheadOfPodmansFollow("before podman's service restarted");
        long sockets = sockets(runtime);
        long children = ProcessHandle.of(runtime).orElseThrow().descendants().count();

        installation.podman.close();
        podman = installation.restartPodman();
        bestOfThreeAheadOfPodmansFollow("after podman's service restarted");
        // The event stream of before the restart was closed by podman, and the new one took its place.
        assertTrue(waitFor(() -> sockets(runtime) <= sockets, Duration.ofSeconds(30)), "runtime's sockets: "
                + sockets(runtime) + " after three more tasks, " + sockets + " before");
        assertEquals(children, ProcessHandle.of(runtime).orElseThrow().descendants().count(), "runtime's child processes");
    }

    private static void bestOfThreeAheadOfPodmansFollow(String when) throws Exception {
        List<Long> margins = new ArrayList<>();
        while (margins.size() < 3 && margins.stream().noneMatch(m -> m >= 100)) {
            margins.add(runAheadOfPodmansFollow("e2e-fault-exit-" + margins.size()));
        }
        System.out.println(when + ": terok run ended " + margins + " ms before podman's follow of its task");
        assertTrue(margins.stream().anyMatch(m -> m >= 100), when + ": terok run ended " + margins + " ms before podman's "
                + "follow of its task (at least 100 ms in one of three runs expected: runtime ends it at the exit)");
    }

    /**
     * How many ms before a `podman logs -f` of its task `terok run --rm ... sh -c "sleep 5; echo done"` ended. Five
     * seconds: the old code's early window was the first 2 s of the Logs call, which a 3 s task still met when the
     * launch took a second at load (the old code then passed, 141-182 ms ahead).
     */
    private static long runAheadOfPodmansFollow(String name) throws Exception {
        Path log = terok.home.resolve(name + ".log");
        Process run = new ProcessBuilder(terok.commandLine("run", "--rm", "--name", name, "--network", "none",
                "localhost/terok-agent:latest", "sh", "-c", "sleep 5; echo done"))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertTrue(waitFor(() -> Cmd.exec(List.of("podman", "--url=unix://" + podman.socket, "ps", "-q", "--filter",
                "name=^" + name + "$"), null, e -> { }, null, 60).out().strip().length() > 0, Duration.ofSeconds(60)),
                name + " runs: " + Files.readString(log));
        // podman's local CLI on the same storage: its follow ends as the API's does, ~0.5 s after the exit. (The
        // remote client, --url, ends its follow later still: against it the old code passed as well.)
        Process second = new ProcessBuilder("podman", "logs", "-f", name).redirectErrorStream(true).start();
        java.util.concurrent.CompletableFuture<Long> secondEnd = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            uncheck(() -> second.getInputStream().readAllBytes());
            return System.nanoTime();
        });
        assertTrue(run.waitFor(120, TimeUnit.SECONDS), name + " returned: " + Files.readString(log));
        long runEnd = System.nanoTime();
        long followEnd = secondEnd.get(60, TimeUnit.SECONDS);
        assertEquals(0, run.exitValue(), Files.readString(log));
        assertTrue(Files.readString(log).contains("done\n"), "the whole output: " + Files.readString(log));
        assertTrue(second.waitFor(60, TimeUnit.SECONDS), "podman logs -f ended");
        return (followEnd - runEnd) / 1_000_000;
    }

    /** The sockets runtime-service has open (its connections to podman, its clients and the other services). */
    private static long sockets(long pid) {
        try (Stream<Path> fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            return fds.filter(fd -> uncheck(() -> {
                try {
                    return Files.readSymbolicLink(fd).toString().startsWith("socket:");
                } catch (java.nio.file.NoSuchFileException gone) {
                    return false;
                }
            })).count();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * The gate's repository of a project on a small filesystem (a loop-mounted ext4 image) that is full when a task
     * pushes 8 MB: the push fails with the disk named to the pusher, the gate's refs are whole (`git fsck`, the branch
     * absent, main as it was), a clone of what the gate had still works, and once space is freed the same push lands.
     */
    @Test
    void aFullDiskUnderTheGateFailsThePushAndKeepsWhatItHad() throws Exception {
        try (Grpc g = new Grpc("gate")) {
            GateServiceGrpc.newBlockingStub(g.ch).withDeadlineAfter(60, TimeUnit.SECONDS).createProject(CreateProjectRequest
                    .newBuilder().setName("e2e-full").setUpstreamUrl("file://" + installation.upstream).setSync(true).build());
        }
        Path repo = terok.home.resolve("data/gate/e2e-full.git");
        // The project's files onto a small filesystem mounted over its directory, filled but 2 MB.
        try (SmallDisk disk = SmallDisk.over(repo, terok.home.resolve("gate-disk.img"), 48)) {
            disk.fill(2L << 20);
            String mainBefore = Cmd.run("git", "--git-dir", repo.toString(), "rev-parse", "refs/heads/main").out().strip();

            String task = HexFormat.of().formatHex(java.security.SecureRandom.getSeed(16));
            MintTaskTokenResponse access;
            try (Grpc g = new Grpc("gate")) {
                access = GateServiceGrpc.newBlockingStub(g.ch).withDeadlineAfter(30, TimeUnit.SECONDS).mintTaskToken(
                        MintTaskTokenRequest.newBuilder().setTaskId(task).setProject("e2e-full").setHostAddress("127.0.0.1").build());
            }
            Map<String, String> gitEnv = new java.util.LinkedHashMap<>(access.getEnvMap());
            gitEnv.put("GIT_CONFIG_NOSYSTEM", "1");
            gitEnv.put("HOME", terok.home.toString());
            Path work = terok.home.resolve("full-work");
            Terok.exec(List.of("git", "clone", "-q", access.getCloneUrl(), work.toString()), gitEnv, 60).ok();
            byte[] noise = new byte[8 << 20];
            new java.util.Random(11).nextBytes(noise);
            Files.write(work.resolve("big.bin"), noise);
            terok.git(work, "add", "big.bin");
            terok.git(work, "commit", "-q", "-m", "big");
            String commit = terok.git(work, "rev-parse", "HEAD");
            List<String> push = List.of("git", "-C", work.toString(), "push", "origin", "HEAD:refs/heads/big");

            Terok.Result refused = Terok.exec(push, gitEnv, 120);
            assertNotEquals(0, refused.exitCode(), "the push cannot land on a full disk: " + refused.out() + refused.err());
            assertTrue(refused.err().contains("No space left on device"), "the pusher is told why: " + refused.err());
            assertEquals("", Cmd.run("git", "--git-dir", repo.toString(), "for-each-ref", "refs/heads/big").out().strip(),
                    "no branch from the failed push");
            assertEquals(mainBefore, Cmd.run("git", "--git-dir", repo.toString(), "rev-parse", "refs/heads/main").out().strip());
            Cmd.Result fsck = Cmd.run("git", "--git-dir", repo.toString(), "fsck", "--no-dangling");
            assertEquals(0, fsck.code(), "the gate's repository is whole: " + fsck.out());
            Path again = terok.home.resolve("full-clone");
            Terok.exec(List.of("git", "clone", "-q", access.getCloneUrl(), again.toString()), gitEnv, 60).ok();
            assertEquals(mainBefore, terok.git(again, "rev-parse", "HEAD"), "the gate still serves what it had");

            disk.free();
            Terok.exec(push, gitEnv, 120).ok();
            assertEquals(commit, Cmd.run("git", "--git-dir", repo.toString(), "rev-parse", "refs/heads/big").out().strip(),
                    "the same push lands once there is space");
            try (Grpc g = new Grpc("gate")) {
                GateServiceGrpc.newBlockingStub(g.ch).withDeadlineAfter(30, TimeUnit.SECONDS)
                        .revokeTaskToken(io.terok.api.v1.RevokeTaskTokenRequest.newBuilder().setTaskId(task).build());
            }
        }
    }

    /**
     * The vault killed while its broker relays a streaming response: the client sees the stream cut (not a completed
     * one), and once the vault is back the same phantom token streams a whole response again.
     */
    @Test
    void vaultKilledDuringAStreamCutsItAndTheSamePhantomWorksAfter() throws Exception {
        String task = HexFormat.of().formatHex(java.security.SecureRandom.getSeed(16));
        String phantom;
        try (Grpc g = new Grpc("vault")) {
            phantom = VaultServiceGrpc.newBlockingStub(g.ch).withDeadlineAfter(30, TimeUnit.SECONDS).mintTaskTokens(
                    MintTaskTokensRequest.newBuilder().setTaskId(task).addProviders("anthropic").setHostAddress("127.0.0.1")
                            .build()).getEnvOrThrow("ANTHROPIC_API_KEY");
        }
        URI uri = URI.create("http://127.0.0.1:" + terok.env.get("TEROK_VAULT_BROKER_PORT") + "/v1/messages");
        HttpClient http = HttpClient.newHttpClient();
        HttpRequest req = HttpRequest.newBuilder(uri).header("x-api-key", phantom).POST(HttpRequest.BodyPublishers.ofString("{}")).build();
        HttpResponse<InputStream> r = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, r.statusCode());
        StringBuilder got = new StringBuilder();
        boolean cut;
        try (InputStream in = r.body()) {
            byte[] buf = new byte[256];
            int n = in.read(buf);
            got.append(new String(buf, 0, n, StandardCharsets.UTF_8));
            kill9("vault");
            cut = false;
            try {
                while ((n = in.read(buf)) >= 0) {
                    got.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                }
            } catch (IOException e) {
                cut = true;
            }
        }
        assertTrue(cut || !got.toString().contains("[DONE]"), "the stream ends early, never as a complete answer: " + got);
        assertFalse(got.toString().contains(REAL_KEY), "the real key never reaches the client");

        terok.run("services", "up").ok();
        providerSaw.clear();
        HttpResponse<String> again = http.send(req, HttpResponse.BodyHandlers.ofString());
        assertEquals(200, again.statusCode(), again.body());
        assertTrue(again.body().contains("data: [DONE]"), "a whole stream with the same phantom token: " + again.body());
        assertEquals(List.of(REAL_KEY), providerSaw);
        try (Grpc g = new Grpc("vault")) {
            VaultServiceGrpc.newBlockingStub(g.ch).withDeadlineAfter(30, TimeUnit.SECONDS)
                    .revokeTaskTokens(io.terok.api.v1.RevokeTaskTokensRequest.newBuilder().setTaskId(task).build());
        }
    }

    /**
     * The gate killed while a push of a 30 MB commit is under way: the branch in the gate is either absent (the push
     * did not land) or the pushed commit, never anything else; the repository passes `git fsck`; once the gate is back
     * the same push lands.
     */
    @Test
    void gateKilledDuringAPushLeavesTheRefsWholeAndTheNextPushLands() throws Exception {
        String task = HexFormat.of().formatHex(java.security.SecureRandom.getSeed(16));
        MintTaskTokenResponse access;
        try (Grpc g = new Grpc("gate")) {
            access = GateServiceGrpc.newBlockingStub(g.ch).withDeadlineAfter(30, TimeUnit.SECONDS).mintTaskToken(
                    MintTaskTokenRequest.newBuilder().setTaskId(task).setProject("e2e-faults").setHostAddress("127.0.0.1").build());
        }
        Path work = terok.home.resolve("push-work");
        Map<String, String> gitEnv = new java.util.LinkedHashMap<>(access.getEnvMap());
        gitEnv.put("GIT_CONFIG_NOSYSTEM", "1");
        gitEnv.put("HOME", terok.home.toString());
        Terok.exec(List.of("git", "clone", "-q", access.getCloneUrl(), work.toString()), gitEnv, 60).ok();
        byte[] noise = new byte[30 << 20];
        new java.util.Random(7).nextBytes(noise);
        Files.write(work.resolve("big.bin"), noise);
        terok.git(work, "add", "big.bin");
        terok.git(work, "commit", "-q", "-m", "big");
        String commit = terok.git(work, "rev-parse", "HEAD");

        ProcessBuilder push = new ProcessBuilder("git", "-C", work.toString(), "push", "-q", "origin", "HEAD:refs/heads/big")
                .redirectErrorStream(true).redirectOutput(terok.home.resolve("push.log").toFile());
        push.environment().putAll(gitEnv);
        Process p = push.start();
        Thread.sleep(400); // git is packing or sending the 30 MB
        kill9("gate");
        p.waitFor(60, TimeUnit.SECONDS);
        Path mirror = terok.home.resolve("data/gate/e2e-faults.git");
        String ref = Cmd.run("git", "--git-dir", mirror.toString(), "for-each-ref", "--format=%(objectname)", "refs/heads/big").out().strip();
        assertTrue(ref.isEmpty() || ref.equals(commit), "the branch is absent or the pushed commit, nothing else: " + ref);
        Cmd.Result fsck = Cmd.run("git", "--git-dir", mirror.toString(), "fsck", "--no-dangling");
        assertEquals(0, fsck.code(), "the gate's repository is whole: " + fsck.out());

        terok.run("services", "up").ok();
        Terok.exec(List.of("git", "-C", work.toString(), "push", "-q", "origin", "HEAD:refs/heads/big"), gitEnv, 120).ok();
        assertEquals(commit, Cmd.run("git", "--git-dir", mirror.toString(), "rev-parse", "refs/heads/big").out().strip());
        try (Grpc g = new Grpc("gate")) {
            GateServiceGrpc.newBlockingStub(g.ch).withDeadlineAfter(30, TimeUnit.SECONDS)
                    .revokeTaskToken(io.terok.api.v1.RevokeTaskTokenRequest.newBuilder().setTaskId(task).build());
        }
    }

    interface Io<T> {
        T get() throws IOException;
    }

    static <T> T uncheck(Io<T> f) {
        try {
            return f.get();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
