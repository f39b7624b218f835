package io.terok.runtime.grpc;

import com.google.protobuf.ByteString;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import io.terok.api.v1.AttachInput;
import io.terok.api.v1.AttachOutput;
import io.terok.api.v1.ClearPanicRequest;
import io.terok.api.v1.EventsRequest;
import io.terok.api.v1.ExecRequest;
import io.terok.api.v1.ExecResponse;
import io.terok.api.v1.GetPanicStateRequest;
import io.terok.api.v1.LaunchRequest;
import io.terok.api.v1.ListTasksRequest;
import io.terok.api.v1.ListTasksResponse;
import io.terok.api.v1.LogChunk;
import io.terok.api.v1.LogsRequest;
import io.terok.api.v1.OutputStream;
import io.terok.api.v1.PanicReport;
import io.terok.api.v1.PanicRequest;
import io.terok.api.v1.PanicState;
import io.terok.api.v1.RemoveRequest;
import io.terok.api.v1.RemoveResponse;
import io.terok.api.v1.RevokeCredentialsResponse;
import io.terok.api.v1.RuntimeServiceGrpc;
import io.terok.api.v1.StopRequest;
import io.terok.api.v1.Task;
import io.terok.api.v1.TaskEvent;
import io.terok.api.v1.TaskRef;
import io.terok.api.v1.WaitRequest;
import io.terok.api.v1.WaitResponse;
import io.terok.common.ServiceException;
import io.terok.runtime.attach.AttachSession;
import io.terok.runtime.attach.AttachSessions;
import io.terok.runtime.panic.EmergencyStop;
import io.terok.runtime.podman.OutputSink;
import io.terok.runtime.podman.StreamHandle;
import io.terok.runtime.task.AutoRemoval;
import io.terok.runtime.task.TaskManager;
import io.terok.service.GrpcCalls;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Supplier;

/** terok.v1.RuntimeService: a thin adapter from gRPC to {@link TaskManager}. */
@GrpcService
@Blocking
public class RuntimeGrpcService extends RuntimeServiceGrpc.RuntimeServiceImplBase {
    /** A wait with neither a timeout nor a call deadline still ends; the caller can simply wait again. */
    private static final Duration LONGEST_WAIT = Duration.ofHours(1);
    /** Every failure runtime expects is a ServiceException carrying its own status; anything else is INTERNAL. */
    private static final GrpcCalls.Classifier NO_OTHER_FAILURES = e -> null;

    @Inject
    TaskManager tasks;

    @Inject
    EmergencyStop emergencyStop;

    @Inject
    AttachSessions attachSessions;

    @Override
    public void launch(LaunchRequest request, StreamObserver<Task> out) {
        unary(out, () -> tasks.launch(request));
    }

    @Override
    public void stop(StopRequest request, StreamObserver<Task> out) {
        unary(out, () -> tasks.stop(request.getTask(), request.getGraceSeconds()));
    }

    @Override
    public void start(TaskRef request, StreamObserver<Task> out) {
        unary(out, () -> tasks.start(request.getTask()));
    }

    @Override
    public void restart(StopRequest request, StreamObserver<Task> out) {
        unary(out, () -> tasks.restart(request.getTask(), request.getGraceSeconds()));
    }

    @Override
    public void remove(RemoveRequest request, StreamObserver<RemoveResponse> out) {
        unary(out, () -> tasks.remove(request.getTask(), request.getForce()));
    }

    @Override
    public void list(ListTasksRequest request, StreamObserver<ListTasksResponse> out) {
        unary(out, () -> ListTasksResponse.newBuilder().addAllTasks(tasks.list(request.getAll()))
                .setPanic(emergencyStop.state()).addAllUnreadableRecords(tasks.unreadableRecords()).build());
    }

    @Override
    public void revokeCredentials(TaskRef request, StreamObserver<RevokeCredentialsResponse> out) {
        unary(out, () -> tasks.revokeCredentials(request.getTask()));
    }

    @Override
    public void panic(PanicRequest request, StreamObserver<PanicReport> out) {
        unary(out, () -> emergencyStop.engage(request.getStopTasks()));
    }

    @Override
    public void clearPanic(ClearPanicRequest request, StreamObserver<PanicState> out) {
        unary(out, emergencyStop::clear);
    }

    @Override
    public void getPanicState(GetPanicStateRequest request, StreamObserver<PanicState> out) {
        unary(out, emergencyStop::state);
    }

    @Override
    public void inspect(TaskRef request, StreamObserver<Task> out) {
        unary(out, () -> tasks.inspect(request.getTask()));
    }

    @Override
    public void exec(ExecRequest request, StreamObserver<ExecResponse> out) {
        unary(out, () -> tasks.exec(request.getTask(), request.getCommandList(), request.getEnvMap(), request.getWorkdir(),
                request.getTimeoutSeconds()));
    }

    @Override
    public void wait(WaitRequest request, StreamObserver<WaitResponse> out) {
        Duration bound = waitBound(request.getTimeoutSeconds());
        unary(out, () -> WaitResponse.newBuilder().setExitCode(tasks.waitExit(request.getTask(), bound)).build());
    }

    /** How long a wait may take: the request's timeout, else what is left of the call's deadline, else an hour. */
    private static Duration waitBound(int timeoutSeconds) {
        io.grpc.Deadline deadline = io.grpc.Context.current().getDeadline();
        if (timeoutSeconds > 0) {
            return Duration.ofSeconds(timeoutSeconds);
        } else if (deadline != null) {
            return Duration.ofMillis(Math.max(1, deadline.timeRemaining(java.util.concurrent.TimeUnit.MILLISECONDS)));
        }
        return LONGEST_WAIT;
    }

    @Override
    public void logs(LogsRequest request, StreamObserver<LogChunk> out) {
        ServerCallStreamObserver<LogChunk> call = (ServerCallStreamObserver<LogChunk>) out;
        if (request.getWithExitCode()) {
            logsToExit(request, call);
            return;
        }
        try {
            StreamHandle h = tasks.logs(request.getTask(), request.getFollow(), request.getTail(),
                    chunksTo(call, error -> finish(call, error)));
            call.setOnCancelHandler(h::close);
        } catch (RuntimeException e) {
            out.onError(GrpcCalls.toStatus(e, NO_OTHER_FAILURES));
        }
    }

    /**
     * Follows the output to its end, then answers the exit code in the stream's last message: what a client that runs a
     * task to its end (terok run) otherwise asks in a second call, Wait. Holds this worker thread while the task runs,
     * as Wait does. An auto-remove task is removed once this call has answered its exit code (or its client has gone).
     */
    private void logsToExit(LogsRequest request, ServerCallStreamObserver<LogChunk> call) {
        if (!request.getFollow()) {
            call.onError(GrpcCalls.toStatus(ServiceException.invalid("with_exit_code",
                    "only with follow: the exit code comes after the output has ended"), NO_OTHER_FAILURES));
            return;
        }
        AutoRemoval.Follower follower;
        try {
            follower = tasks.followToExit(request.getTask());
        } catch (RuntimeException e) {
            call.onError(GrpcCalls.toStatus(e, NO_OTHER_FAILURES));
            return;
        }
        boolean delivered = false;
        try {
            Duration bound = waitBound(0);
            CompletableFuture<Optional<Throwable>> ended = new CompletableFuture<>();
            // Watched from before the follow: the follow is cut at the exit (TaskManager.logs), and its code is the
            // one podman's event told, without a wait for podman's exit command to let go of the container.
            CompletableFuture<Integer> exit = request.getTail() > 0 ? new CompletableFuture<>() : tasks.exitOf(request.getTask());
            StreamHandle h = tasks.logs(request.getTask(), true, request.getTail(),
                    chunksTo(call, error -> ended.complete(Optional.ofNullable(error))));
            call.setOnCancelHandler(() -> {
                h.close();
                ended.complete(Optional.empty());
            });
            Optional<Throwable> error = ended.join();
            if (error.isPresent() || call.isCancelled()) {
                finish(call, error.orElse(null));
                return;
            }
            int exitCode = exit.isDone() && !exit.isCompletedExceptionally() ? exit.join() : tasks.waitExit(request.getTask(), bound);
            if (!call.isCancelled()) {
                call.onNext(LogChunk.newBuilder().setExited(true).setExitCode(exitCode).build());
                call.onCompleted();
                delivered = true;
            }
        } catch (RuntimeException e) {
            if (!call.isCancelled()) {
                call.onError(GrpcCalls.toStatus(e, NO_OTHER_FAILURES));
            }
        } finally {
            if (delivered) {
                follower.delivered();
            } else {
                follower.gone();
            }
        }
    }

    /** Output goes to the caller as chunks while it listens; how the output ended is the caller's to decide. */
    private static OutputSink chunksTo(ServerCallStreamObserver<LogChunk> call, Consumer<Throwable> onEnd) {
        return new OutputSink() {
            @Override
            public void output(int stream, byte[] data) {
                if (!call.isCancelled()) {
                    call.onNext(chunk(stream, data));
                }
            }

            @Override
            public void end(Throwable error) {
                onEnd.accept(error);
            }
        };
    }

    private static LogChunk chunk(int stream, byte[] data) {
        return LogChunk.newBuilder()
                .setStream(stream == 2 ? OutputStream.OUTPUT_STREAM_STDERR : OutputStream.OUTPUT_STREAM_STDOUT)
                .setData(ByteString.copyFrom(data)).build();
    }

    @Override
    public void events(EventsRequest request, StreamObserver<TaskEvent> out) {
        ServerCallStreamObserver<TaskEvent> call = (ServerCallStreamObserver<TaskEvent>) out;
        try {
            StreamHandle h = tasks.events(request.getTask(), e -> {
                if (!call.isCancelled()) {
                    call.onNext(e);
                }
            }, error -> finish(call, error));
            call.setOnCancelHandler(h::close);
        } catch (RuntimeException e) {
            out.onError(GrpcCalls.toStatus(e, NO_OTHER_FAILURES));
        }
    }

    @Override
    public StreamObserver<AttachInput> attach(StreamObserver<AttachOutput> out) {
        ServerCallStreamObserver<AttachOutput> call = (ServerCallStreamObserver<AttachOutput>) out;
        GrpcAttachPeer peer = new GrpcAttachPeer(call);
        AttachSession[] session = new AttachSession[1];
        call.setOnCancelHandler(() -> {
            peer.wake();
            if (session[0] != null) {
                session[0].cancel();
            }
        });
        // gRPC delivers one message at a time and asks for the next only when onNext returns, so a task that does
        // not read its stdin holds its client back instead of filling runtime's memory.
        return new StreamObserver<>() {
            @Override
            public void onNext(AttachInput in) {
                try {
                    if (session[0] == null) {
                        if (!in.hasStart()) {
                            throw ServiceException.invalid("start", "the first message must be start (naming the task)");
                        }
                        session[0] = attachSessions.open(in.getStart(), peer);
                        return;
                    }
                    switch (in.getInputCase()) {
                        case STDIN -> session[0].stdin(in.getStdin().toByteArray());
                        case RESIZE -> session[0].resize((int) in.getResize().getRows(), (int) in.getResize().getColumns());
                        case DETACH -> session[0].detach();
                        case START -> throw ServiceException.invalid("start", "sent twice: one session per call");
                        default -> throw ServiceException.invalid("input", "empty message");
                    }
                } catch (RuntimeException e) {
                    if (session[0] != null) {
                        session[0].cancel();
                    }
                    peer.finish(e);
                }
            }

            @Override
            public void onError(Throwable t) {
                if (session[0] != null) {
                    session[0].cancel();
                }
            }

            @Override
            public void onCompleted() {
                if (session[0] != null) {
                    session[0].closeStdin();
                } else {
                    peer.finish(ServiceException.invalid("start", "the call ended before a start message"));
                }
            }
        };
    }

    private static void finish(ServerCallStreamObserver<?> call, Throwable error) {
        if (call.isCancelled()) {
            return;
        }
        if (error == null) {
            call.onCompleted();
        } else {
            call.onError(GrpcCalls.toStatus(error, NO_OTHER_FAILURES));
        }
    }

    private static <T> void unary(StreamObserver<T> out, Supplier<T> body) {
        GrpcCalls.unary(out, NO_OTHER_FAILURES, body);
    }
}
