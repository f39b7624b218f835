package io.terok.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.terok.api.v1.AttachInput;
import io.terok.api.v1.AttachOutput;
import io.terok.api.v1.AttachStart;
import io.terok.api.v1.RuntimeServiceGrpc;
import io.terok.common.grpc.UnixChannels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * `terok login`, `terok attach` and `terok run -t` in a real pseudo-terminal (tmux): keys reach the task, the window
 * size follows, detaching leaves the task running, the exit code comes back and the terminal is restored. And the
 * Attach call itself: a task flooding a client that does not read is held back, not buffered in runtime.
 */
class AttachEndToEndTest {
    private static final String IMAGE = "localhost/terok-busybox:latest";
    static Terok terok;
    static Tmux tmux;

    @BeforeAll
    static void up() throws Exception {
        terok = new Terok(Terok.freshHome("attach", null), null);
        terok.run("services", "up").ok();
        tmux = new Tmux(terok.home.resolve("tmux"));
    }

    @AfterAll
    static void down() {
        if (tmux != null) {
            tmux.close();
        }
        for (String t : List.of("e2e-login", "e2e-main", "e2e-flood")) {
            terok.run("rm", "-f", t);
        }
        terok.discard();
    }

    private static List<String> cli(String... args) {
        return terok.commandLine(args);
    }

    @Test
    void loginForwardsKeysFollowsTheWindowAndReturnsTheExitCode() throws Exception {
        terok.run("run", "-d", "--network", "none", "--name", "e2e-login", IMAGE, "sleep", "600").ok();
        Tmux.Session s = tmux.start(cli("login", "e2e-login", "--command",
                "echo size:$(stty size); read x; echo got:$x; "
                + "while read y; do [ \"$y\" = q ] && exit 7; echo size:$(stty size); done"), 100, 30);
        s.awaitText("size:30 100", 30);
        s.type("hello there");
        s.key("Enter");
        s.awaitText("got:hello there", 10);
        s.resize(120, 40);
        // SIGWINCH reaches terok, terok tells runtime, runtime resizes the exec session's TTY: each Enter asks the
        // task for its size again until the new one arrives (a loaded machine takes its time).
        long until = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
        do {
            s.key("Enter");
            Thread.sleep(500);
        } while (!s.screen().contains("size:40 120") && System.nanoTime() < until);
        s.awaitText("size:40 120", 1);
        s.type("q");
        s.key("Enter");
        assertEquals(7, s.awaitExit(20), s.screen());
        Map.Entry<String, String> stty = s.sttyBeforeAfter();
        assertEquals(stty.getKey(), stty.getValue(), "the terminal's settings are restored");
    }

    @Test
    void attachDetachesWithTheKeysAndComesBackToTheSameProcess() throws Exception {
        terok.run("run", "-d", "-t", "--network", "none", "--name", "e2e-main", IMAGE, "sh").ok();
        Tmux.Session s = tmux.start(cli("attach", "e2e-main"), 100, 30);
        s.awaitText("ctrl-p,ctrl-q detaches", 30);
        s.type("echo first-$((6*7))");
        s.key("Enter");
        s.awaitText("first-42", 10);
        s.key("C-p", "C-q");
        assertEquals(0, s.awaitExit(20), s.screen());
        assertTrue(s.screen().contains("detached from task e2e-main"), s.screen());
        Map.Entry<String, String> stty = s.sttyBeforeAfter();
        assertEquals(stty.getKey(), stty.getValue(), "the terminal's settings are restored after a detach");
        assertTrue(terok.run("inspect", "e2e-main").ok().out().contains("RUNNING"), "the task keeps running");

        // Back to the same shell, with other keys; ctrl-p alone is now just a key for the task. Its exit code is terok's.
        Tmux.Session again = tmux.start(cli("attach", "--detach-keys", "ctrl-a,d", "e2e-main"), 100, 30);
        again.awaitText("ctrl-a,d detaches", 30);
        again.type("exit 5");
        again.key("Enter");
        assertEquals(5, again.awaitExit(20), again.screen());
        assertFalse(terok.run("inspect", "e2e-main").ok().out().contains("RUNNING"));
    }

    /**
     * Keys typed while a session is still starting: runtime is held (SIGSTOP) so terok waits for the session to be
     * ready, and what the operator types meanwhile must neither be echoed by this terminal (the task's terminal echoes
     * it, once) nor be eaten by it: ctrl-q of the detach keys is XON to a terminal that is not raw yet. Before the fix
     * the terminal went raw only once the session was ready, and this test failed at the first awaitRaw.
     */
    @Test
    void keysTypedWhileTheSessionStartsReachTheTaskOnceAndAnEarlyDetachWorks() throws Exception {
        terok.run("run", "-d", "-t", "--network", "none", "--name", "e2e-early", IMAGE, "sh").ok();
        long runtime = Long.parseLong(Files.readString(terok.runtimeDir().resolve("pids/runtime.pid")).trim());
        try {
            Tmux.Session s;
            signal(runtime, "STOP");
            try {
                s = tmux.start(cli("attach", "e2e-early"), 100, 30);
                s.awaitRaw("while the session starts", 30);
                s.type("echo early-$((6*7))");
                s.key("Enter");
                Thread.sleep(300);
                assertFalse(s.screen().contains("echo early"), "this terminal echoed what was typed:\n" + s.screen());
            } finally {
                signal(runtime, "CONT");
            }
            String screen = s.awaitText("early-42", 30);
            assertEquals(1, screen.split("echo early-", -1).length - 1, "typed once, echoed once (by the task):\n" + screen);
            s.key("C-p", "C-q");
            assertEquals(0, s.awaitExit(20), s.screen());

            Tmux.Session again;
            signal(runtime, "STOP");
            try {
                again = tmux.start(cli("attach", "e2e-early"), 100, 30);
                again.awaitRaw("while the session starts", 30);
                again.key("C-p", "C-q");
                Thread.sleep(300);
            } finally {
                signal(runtime, "CONT");
            }
            assertEquals(0, again.awaitExit(30), again.screen());
            assertTrue(again.screen().contains("detached from task e2e-early"), again.screen());
            Map.Entry<String, String> stty = again.sttyBeforeAfter();
            assertEquals(stty.getKey(), stty.getValue(), "the terminal's settings are restored");
            assertTrue(terok.run("inspect", "e2e-early").ok().out().contains("RUNNING"), "the task keeps running");
        } finally {
            signal(runtime, "CONT");
            terok.run("rm", "-f", "e2e-early");
        }
    }

    /** Stops or continues runtime-service, which this test class started (`terok services up`). */
    private static void signal(long pid, String sig) {
        Terok.exec(List.of("kill", "-" + sig, Long.toString(pid)), Map.of(), 10).ok();
    }

    @Test
    void aSignalToTerokStillRestoresTheTerminal() throws Exception {
        terok.run("run", "-d", "--network", "none", "--name", "e2e-signal", IMAGE, "sleep", "600").ok();
        try {
            Tmux.Session s = tmux.start(cli("login", "e2e-signal"), 100, 30);
            s.awaitText("ctrl-p,ctrl-q detaches", 30);
            long pid = s.commandPid();
            Terok.exec(List.of("kill", "-TERM", Long.toString(pid)), Map.of(), 10).ok();
            assertEquals(143, s.awaitExit(20), s.screen());
            Map.Entry<String, String> stty = s.sttyBeforeAfter();
            assertEquals(stty.getKey(), stty.getValue(), "SIGTERM in raw mode: the terminal's settings are restored");
            assertTrue(terok.run("inspect", "e2e-signal").ok().out().contains("RUNNING"), "the task keeps running");
        } finally {
            terok.run("rm", "-f", "e2e-signal");
        }
    }

    @Test
    void runWithATtyForwardsTheKeyboard() throws Exception {
        Tmux.Session s = tmux.start(cli("run", "-t", "--rm", "--network", "none", IMAGE, "sh", "-c",
                "echo ready; read x; echo got:$x; exit 3"), 100, 30);
        s.awaitText("ready", 60);
        s.type("typed");
        s.key("Enter");
        s.awaitText("got:typed", 10);
        assertEquals(3, s.awaitExit(20), s.screen());
        Map.Entry<String, String> stty = s.sttyBeforeAfter();
        assertEquals(stty.getKey(), stty.getValue());
    }

    @Test
    void withoutATerminalLoginIsAPipeAndItsOutputIsSanitised() {
        terok.run("run", "-d", "--network", "none", "--name", "e2e-pipe", IMAGE, "sleep", "600").ok();
        try {
            Terok.Result r = terok.runWithInput("echo piped-in; printf 'x\\033]52;c;ZXZpbA==\\007y\\n'; exit 4", "login", "e2e-pipe");
            assertEquals(4, r.exitCode(), r.err());
            assertTrue(r.out().contains("piped-in"), r.out());
            assertFalse(r.out().contains("\u001b"), "no escape byte reaches a non-terminal: " + r.out());
            assertTrue(r.out().contains("\\x1b]52"), r.out());
        } finally {
            terok.run("rm", "-f", "e2e-pipe");
        }
    }

    @Test
    void anUnknownTaskIsAClearErrorAndTheTerminalIsUntouched() throws Exception {
        Terok.Result r = terok.run("login", "no-such-task");
        assertEquals(1, r.exitCode());
        assertTrue(r.err().contains("no task 'no-such-task'"), r.err());
        Tmux.Session s = tmux.start(cli("attach", "no-such-task"), 100, 30);
        assertEquals(1, s.awaitExit(30), s.screen());
        assertTrue(s.screen().contains("no task 'no-such-task'"), s.screen());
        Map.Entry<String, String> stty = s.sttyBeforeAfter();
        assertEquals(stty.getKey(), stty.getValue());
    }

    /**
     * A task writes 200 MB at a client that reads nothing: runtime must not buffer it. Its resident memory stays
     * within a bound while the task is held; once the client reads, every byte arrives and the exit code follows.
     */
    @Test
    void aFloodingTaskIsHeldBackNotBufferedInRuntime() throws Exception {
        long total = 200L * 1024 * 1024;
        terok.run("run", "-d", "--network", "none", "--name", "e2e-flood", IMAGE, "sleep", "600").ok();
        long pid = Long.parseLong(Files.readString(terok.runtimeDir().resolve("pids/runtime.pid")).trim());
        ManagedChannel ch = UnixChannels.open(terok.runtimeDir().resolve("runtime.sock"));
        try {
            long before = rssKb(pid);
            AtomicLong received = new AtomicLong();
            AtomicInteger exit = new AtomicInteger(-1);
            AtomicReference<Throwable> error = new AtomicReference<>();
            AtomicReference<ClientCallStreamObserver<AttachInput>> call = new AtomicReference<>();
            CountDownLatch done = new CountDownLatch(1);
            ClientResponseObserver<AttachInput, AttachOutput> rx = new ClientResponseObserver<>() {
                @Override
                public void beforeStart(ClientCallStreamObserver<AttachInput> requests) {
                    call.set(requests);
                    // Reads nothing until the test says so: a client on a stalled connection.
                    requests.disableAutoRequestWithInitial(1);
                }

                @Override
                public void onNext(AttachOutput out) {
                    received.addAndGet(out.getStdout().size());
                    if (out.hasEnd()) {
                        exit.set(out.getEnd().getExitCode());
                    }
                }

                @Override
                public void onError(Throwable t) {
                    error.set(t);
                    done.countDown();
                }

                @Override
                public void onCompleted() {
                    done.countDown();
                }
            };
            var requests = RuntimeServiceGrpc.newStub(ch).attach(rx);
            requests.onNext(AttachInput.newBuilder().setStart(AttachStart.newBuilder().setTask("e2e-flood")
                    .addAllCommand(List.of("head", "-c", Long.toString(total), "/dev/zero"))).build());
            Thread.sleep(8000);
            long held = rssKb(pid);
            assertTrue(held - before < 64 * 1024, "runtime grew by " + (held - before) / 1024 + " MB while the client "
                    + "read nothing (from " + before / 1024 + " MB)");
            call.get().request(Integer.MAX_VALUE);
            assertTrue(done.await(120, TimeUnit.SECONDS), "the flood ends once the client reads");
            assertEquals(null, error.get());
            assertEquals(total, received.get(), "every byte arrives");
            assertEquals(0, exit.get());
        } finally {
            ch.shutdownNow();
        }
    }

    private static long rssKb(long pid) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new AssertionError("no VmRSS for runtime-service (pid " + pid + ")");
    }
}
