package io.terok.runtime.grpc;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import io.terok.api.v1.AgentTask;
import io.terok.api.v1.AgentTaskEvent;
import io.terok.api.v1.AgentTaskLogsRequest;
import io.terok.api.v1.AgentTaskOutcome;
import io.terok.api.v1.AgentTaskRef;
import io.terok.api.v1.AgentTaskServiceGrpc;
import io.terok.api.v1.DeleteAgentTaskRequest;
import io.terok.api.v1.DeleteAgentTaskResponse;
import io.terok.api.v1.FollowupAgentTaskRequest;
import io.terok.api.v1.InteractiveCommand;
import io.terok.api.v1.SickbayReport;
import io.terok.api.v1.ListAgentTasksRequest;
import io.terok.api.v1.ListAgentTasksResponse;
import io.terok.api.v1.RunAgentTaskRequest;
import io.terok.runtime.agenttask.AgentTaskRunner;
import io.terok.service.GrpcCalls;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Supplier;

/** terok.v1.AgentTaskService: a thin adapter from gRPC to {@link AgentTaskRunner}. */
@GrpcService
@Blocking
public class AgentTaskGrpcService extends AgentTaskServiceGrpc.AgentTaskServiceImplBase {
    private static final GrpcCalls.Classifier NO_OTHER_FAILURES = e -> null;

    @Inject
    AgentTaskRunner runner;

    /** Events to the stream while the client listens; a client that goes away does not stop the run. */
    private static AgentTaskRunner.Events events(ServerCallStreamObserver<AgentTaskEvent> call) {
        return new AgentTaskRunner.Events() {
            @Override
            public void progress(String line) {
                send(call, AgentTaskEvent.newBuilder().setProgress(line).build());
            }

            @Override
            public void output(String line) {
                send(call, AgentTaskEvent.newBuilder().setOutput(line).build());
            }
        };
    }

    private static void send(ServerCallStreamObserver<AgentTaskEvent> call, AgentTaskEvent e) {
        synchronized (call) {
            if (!call.isCancelled()) {
                call.onNext(e);
            }
        }
    }

    private static void streamed(StreamObserver<AgentTaskEvent> out, java.util.function.Function<AgentTaskRunner.Events, AgentTask> body) {
        ServerCallStreamObserver<AgentTaskEvent> call = (ServerCallStreamObserver<AgentTaskEvent>) out;
        AgentTask t;
        try {
            t = body.apply(events(call));
        } catch (RuntimeException e) {
            synchronized (call) {
                if (!call.isCancelled()) {
                    call.onError(GrpcCalls.toStatus(e, NO_OTHER_FAILURES));
                }
            }
            return;
        }
        synchronized (call) {
            if (!call.isCancelled()) {
                call.onNext(AgentTaskEvent.newBuilder().setSummary(t).build());
                call.onCompleted();
            }
        }
    }

    @Override
    public void run(RunAgentTaskRequest r, StreamObserver<AgentTaskEvent> out) {
        streamed(out, ev -> runner.run(r.getProject(), r.getPrompt(), r.getAgent(), r.getProvider(), r.getModel(),
                r.getTimeoutSeconds(), r.getName(), r.getBranch(), r.getInteractive(), ev));
    }

    @Override
    public void followup(FollowupAgentTaskRequest r, StreamObserver<AgentTaskEvent> out) {
        streamed(out, ev -> runner.followup(r.getTask().getProject(), r.getTask().getTask(), r.getPrompt(), r.getTimeoutSeconds(), ev));
    }

    @Override
    public void list(ListAgentTasksRequest r, StreamObserver<ListAgentTasksResponse> out) {
        unary(out, () -> ListAgentTasksResponse.newBuilder().addAllTasks(runner.list(r.getProject())).build());
    }

    @Override
    public void show(AgentTaskRef r, StreamObserver<AgentTask> out) {
        unary(out, () -> runner.show(r.getProject(), r.getTask()));
    }

    @Override
    public void interactive(AgentTaskRef r, StreamObserver<InteractiveCommand> out) {
        unary(out, () -> runner.interactive(r.getProject(), r.getTask()));
    }

    @Override
    public void sickbay(AgentTaskRef r, StreamObserver<SickbayReport> out) {
        unary(out, () -> runner.sickbay(r.getProject(), r.getTask()));
    }

    @Override
    public void stop(AgentTaskRef r, StreamObserver<AgentTask> out) {
        unary(out, () -> runner.stop(r.getProject(), r.getTask()));
    }

    @Override
    public void restart(AgentTaskRef r, StreamObserver<AgentTask> out) {
        unary(out, () -> runner.restart(r.getProject(), r.getTask()));
    }

    @Override
    public void delete(DeleteAgentTaskRequest r, StreamObserver<DeleteAgentTaskResponse> out) {
        unary(out, () -> DeleteAgentTaskResponse.newBuilder()
                .addAllRemoved(runner.delete(r.getTask().getProject(), r.getTask().getTask(), r.getPurge())).build());
    }

    /** Longest line of kept output sent as one event (the CLI shows up to 4096 characters a line). */
    static final int MAX_LINE = 4000;

    /** The kept output; with follow, new lines until the task's run ends. */
    @Override
    public void logs(AgentTaskLogsRequest r, StreamObserver<AgentTaskEvent> out) {
        ServerCallStreamObserver<AgentTaskEvent> call = (ServerCallStreamObserver<AgentTaskEvent>) out;
        try {
            AgentTask t = runner.store().resolve(r.getTask().getProject(), r.getTask().getTask());
            Path log = runner.store().output(t.getId());
            long pos = 0;
            StringBuilder partial = new StringBuilder();
            while (!call.isCancelled()) {
                if (Files.exists(log)) {
                    try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "r")) {
                        f.seek(pos);
                        byte[] buf = new byte[(int) Math.min(f.length() - pos, 1 << 20)];
                        f.readFully(buf);
                        pos += buf.length;
                        partial.append(new String(buf, StandardCharsets.UTF_8));
                    }
                    int nl;
                    while ((nl = partial.indexOf("\n")) >= 0) {
                        send(call, AgentTaskEvent.newBuilder().setOutput(partial.substring(0, nl)).build());
                        partial.delete(0, nl + 1);
                    }
                    // An interactive session's transcript can go on for long without a newline (a terminal UI
                    // places its text by cursor moves): it comes in pieces a client shows whole.
                    while (partial.length() >= MAX_LINE) {
                        send(call, AgentTaskEvent.newBuilder().setOutput(partial.substring(0, MAX_LINE)).build());
                        partial.delete(0, MAX_LINE);
                    }
                }
                boolean running = runner.store().get(t.getId()).map(x -> x.getOutcome() == AgentTaskOutcome.AGENT_TASK_OUTCOME_RUNNING).orElse(false);
                if (!r.getFollow() || !running) {
                    if (!r.getFollow() || pos >= (Files.exists(log) ? Files.size(log) : 0)) {
                        if (partial.length() > 0) {
                            // The last line without its newline (a session still open, or cut off) is output too.
                            send(call, AgentTaskEvent.newBuilder().setOutput(partial.toString()).build());
                        }
                        break;
                    }
                }
                Thread.sleep(200);
            }
            synchronized (call) {
                if (!call.isCancelled()) {
                    call.onCompleted();
                }
            }
        } catch (IOException | RuntimeException e) {
            synchronized (call) {
                if (!call.isCancelled()) {
                    call.onError(GrpcCalls.toStatus(e instanceof IOException io ? new java.io.UncheckedIOException(io) : (RuntimeException) e, NO_OTHER_FAILURES));
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static <T> void unary(StreamObserver<T> out, Supplier<T> body) {
        GrpcCalls.unary(out, NO_OTHER_FAILURES, body);
    }
}
