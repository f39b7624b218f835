package io.terok.cli.task;

import com.google.protobuf.ByteString;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import io.terok.api.v1.AttachDetach;
import io.terok.api.v1.AttachEnd;
import io.terok.api.v1.AttachInput;
import io.terok.api.v1.AttachOutput;
import io.terok.api.v1.AttachReady;
import io.terok.api.v1.AttachStart;
import io.terok.api.v1.RuntimeServiceGrpc;
import io.terok.api.v1.RuntimeServiceGrpc.RuntimeServiceBlockingStub;
import io.terok.api.v1.WindowSize;
import io.terok.cli.core.CliException;
import io.terok.cli.core.Context;
import io.terok.cli.core.ServiceApi;
import io.terok.cli.core.ServiceClient;
import io.terok.common.Printable;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.jline.terminal.Size;

/**
 * A session in a running task through runtime's Attach call: the task's main process ({@code terok attach},
 * {@code run -t}) or a command started in it ({@code terok login}). On a terminal it is the task's terminal: raw
 * mode, every key forwarded (but the detach sequence), the window size followed, the task's bytes shown as they
 * are. Without one (stdin or stdout redirected) it is a pipe: stdin forwarded until end-of-file, output sanitised
 * as {@code logs} and {@code exec} show it. Returns the remote exit code, or 0 after a detach.
 *
 * <p>Any verb that puts the operator into a task uses this: {@code run(ctx, Target.command(taskId, argv), keys)}.
 */
public final class TerminalSession {
    /** What to attach to. */
    public record Target(String task, List<String> command, boolean replay, java.util.Map<String, String> env, String workdir) {
        /** The task's main process; {@code replay} first shows what it already wrote (right after a launch). */
        public static Target mainProcess(String task, boolean replay) {
            return new Target(task, List.of(), replay, java.util.Map.of(), "");
        }

        /** A new process in the task running {@code argv} (a shell). */
        public static Target command(String task, List<String> argv) {
            return command(task, argv, java.util.Map.of(), "");
        }

        /** A new process with extra environment and a working directory ("" for the container's), e.g. an agent's. */
        public static Target command(String task, List<String> argv, java.util.Map<String, String> env, String workdir) {
            if (argv.isEmpty()) {
                throw new IllegalArgumentException("a command needs at least the program");
            }
            return new Target(task, List.copyOf(argv), false, java.util.Map.copyOf(env), workdir);
        }
    }

    /** True when terok's stdin and stdout are a terminal (a session is then a real terminal, not a pipe). */
    public static boolean onTerminal() {
        return OperatorTerminal.available();
    }

    private final Context ctx;
    private final Target target;
    private final DetachKeys keys;

    private TerminalSession(Context ctx, Target target, DetachKeys keys) {
        this.ctx = ctx;
        this.target = target;
        this.keys = keys;
    }

    /** How a session ended: the remote exit code, or detached with the process still running. */
    public record Outcome(boolean detached, int exitCode) {
    }

    /** The session; its exit code (0 after a detach) becomes terok's. */
    public static int run(Context ctx, Target target, DetachKeys keys) {
        Outcome o = attach(ctx, target, keys);
        return o.detached() ? 0 : o.exitCode();
    }

    public static Outcome attach(Context ctx, Target target, DetachKeys keys) {
        return new TerminalSession(ctx, target, keys).session();
    }

    private Outcome session() {
        boolean interactive = OperatorTerminal.available();
        try (ServiceClient<RuntimeServiceBlockingStub> rt = ServiceApi.RUNTIME.connect(ctx);
                OperatorTerminal term = interactive ? OperatorTerminal.open() : null) {
            if (interactive) {
                // Raw before anything is asked of runtime: keys typed while the session starts wait in the terminal
                // unechoed and untranslated, and reach the task once it is ready. Cooked until then, the terminal
                // echoed them here (and the task echoed them again) and swallowed ctrl-q (XON) and ctrl-s, so a
                // detach typed early never arrived.
                term.raw();
            }
            Receiver rx = new Receiver(interactive);
            StreamObserver<AttachInput> call = RuntimeServiceGrpc.newStub(rt.channel()).attach(rx);
            Sender tx = new Sender(call, rx);
            AttachStart.Builder start = AttachStart.newBuilder().setTask(target.task()).addAllCommand(target.command())
                    .setReplay(target.replay()).putAllEnv(target.env()).setWorkdir(target.workdir());
            if (!target.command().isEmpty()) {
                start.setTty(interactive);
            }
            if (interactive) {
                start.setSize(size(term.size()));
            }
            tx.send(AttachInput.newBuilder().setStart(start).build());
            AttachReady ready = rx.awaitReady(rt, target.task());
            if (interactive && ready.getTty()) {
                ctx.err.print("terok: attached to task " + Printable.line(target.task())
                        + (keys.enabled() ? "; " + keys + " detaches" : "") + "\r\n");
                ctx.err.flush();
                term.onResize(() -> tx.send(AttachInput.newBuilder().setResize(size(term.size())).build()));
            } else if (interactive) {
                // The task has no terminal (a main process started without -t): this one goes back to normal.
                term.close();
            }
            boolean forwardStdin = ready.getTty() || !target.command().isEmpty();
            if (forwardStdin) {
                InputStream keys = new FileInputStream(FileDescriptor.in);
                Thread pump = new Thread(() -> pumpStdin(keys, tx, interactive && ready.getTty()), "terok-stdin");
                pump.setDaemon(true);
                pump.start();
            }
            AttachEnd end = rx.awaitEnd(rt, target.task());
            if (term != null) {
                term.close();
            }
            if (end.getDetached()) {
                ctx.err.println("\nterok: detached from task " + Printable.line(target.task()) + "; it keeps running "
                        + "(`terok attach " + Printable.line(target.task()) + "` to come back to its main process)");
                return new Outcome(true, 0);
            }
            return new Outcome(false, end.getExitCode());
        }
    }

    private static WindowSize size(Size s) {
        // A terminal that does not know its size (0) gets the classic one rather than a refusal.
        return WindowSize.newBuilder().setRows(s.getRows() > 0 ? s.getRows() : 24)
                .setColumns(s.getColumns() > 0 ? s.getColumns() : 80).build();
    }

    /** Keystrokes (or piped input) to the task. Daemon: a read blocked on the terminal must not hold the exit. */
    private void pumpStdin(InputStream in, Sender tx, boolean watchDetach) {
        DetachKeys.Matcher matcher = watchDetach ? keys.matcher() : DetachKeys.parse("--detach-keys", "").matcher();
        byte[] buf = new byte[4096];
        try {
            int n;
            while ((n = in.read(buf)) >= 0) {
                DetachKeys.Matcher.Result r = matcher.feed(buf, n);
                if (r.forward().length > 0) {
                    tx.send(AttachInput.newBuilder().setStdin(ByteString.copyFrom(r.forward())).build());
                }
                if (r.detach()) {
                    tx.send(AttachInput.newBuilder().setDetach(AttachDetach.getDefaultInstance()).build());
                    return;
                }
            }
            tx.close();
        } catch (IOException e) {
            tx.close();
        }
    }

    /** Sends on the call from several threads (stdin, SIGWINCH, main), one message at a time, at the call's pace. */
    private static final class Sender {
        private final StreamObserver<AttachInput> call;
        private final Receiver rx;
        private boolean closed;

        Sender(StreamObserver<AttachInput> call, Receiver rx) {
            this.call = call;
            this.rx = rx;
        }

        synchronized void send(AttachInput message) {
            // Piped input faster than the task reads it waits here instead of piling up in the channel.
            while (!closed && !rx.over() && rx.requests != null && !rx.requests.isReady()) {
                try {
                    wait(10);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            if (!closed && !rx.over()) {
                call.onNext(message);
            }
        }

        synchronized void close() {
            if (!closed && !rx.over()) {
                closed = true;
                call.onCompleted();
            }
        }
    }

    /** The task's side: ready, output, end. */
    private final class Receiver implements ClientResponseObserver<AttachInput, AttachOutput> {
        private final boolean interactive;
        private final CountDownLatch readyLatch = new CountDownLatch(1);
        private final CountDownLatch done = new CountDownLatch(1);
        volatile ClientCallStreamObserver<AttachInput> requests;
        private volatile AttachReady ready;
        private volatile AttachEnd end;
        private volatile Throwable error;
        private TaskOutput stdout;
        private TaskOutput stderr;

        Receiver(boolean interactive) {
            this.interactive = interactive;
        }

        @Override
        public void beforeStart(ClientCallStreamObserver<AttachInput> requestStream) {
            this.requests = requestStream;
        }

        boolean over() {
            return done.getCount() == 0;
        }

        @Override
        public void onNext(AttachOutput out) {
            switch (out.getOutputCase()) {
                case READY -> {
                    ready = out.getReady();
                    // The task's own terminal shows its bytes as they are; anywhere else they are hostile text.
                    boolean raw = interactive && ready.getTty();
                    stdout = raw ? TaskOutput.raw(ctx.out) : TaskOutput.sanitised(ctx.out);
                    stderr = TaskOutput.sanitised(ctx.err);
                    readyLatch.countDown();
                }
                case STDOUT -> stdout.write(out.getStdout().toByteArray());
                case STDERR -> stderr.write(out.getStderr().toByteArray());
                case END -> end = out.getEnd();
                default -> {
                    // a newer runtime's message this CLI does not know: nothing to show
                }
            }
        }

        @Override
        public void onError(Throwable t) {
            error = t;
            readyLatch.countDown();
            done.countDown();
        }

        @Override
        public void onCompleted() {
            if (stdout != null) {
                stdout.finish();
                stderr.finish();
            }
            readyLatch.countDown();
            done.countDown();
        }

        AttachReady awaitReady(ServiceClient<?> rt, String task) {
            await(readyLatch);
            if (ready == null) {
                throw failure(rt, task);
            }
            return ready;
        }

        AttachEnd awaitEnd(ServiceClient<?> rt, String task) {
            await(done);
            if (error != null || end == null) {
                throw failure(rt, task);
            }
            return end;
        }

        private CliException failure(ServiceClient<?> rt, String task) {
            if (error instanceof StatusRuntimeException sre) {
                return rt.failure("cannot attach to task " + Printable.line(task), sre);
            }
            return new CliException("cannot attach to task " + Printable.line(task) + ": "
                    + (error == null ? "runtime ended the session without saying how" : error.getMessage()),
                    "see the runtime service's log");
        }

        private void await(CountDownLatch latch) {
            try {
                latch.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CliException("interrupted", null);
            }
        }
    }
}
