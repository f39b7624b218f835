package io.terok.cli;

import com.google.protobuf.ByteString;
import grpc.health.v1.HealthGrpc;
import grpc.health.v1.HealthOuterClass.HealthCheckRequest;
import grpc.health.v1.HealthOuterClass.HealthCheckResponse;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.terok.api.v1.ExecRequest;
import io.terok.api.v1.ExecResponse;
import io.terok.api.v1.LaunchRequest;
import io.terok.api.v1.ListTasksRequest;
import io.terok.api.v1.ListTasksResponse;
import io.terok.api.v1.LogChunk;
import io.terok.api.v1.LogsRequest;
import io.terok.api.v1.OutputStream;
import io.terok.api.v1.RemoveRequest;
import io.terok.api.v1.RemoveResponse;
import io.terok.api.v1.RuntimeServiceGrpc;
import io.terok.api.v1.StopRequest;
import io.terok.api.v1.Task;
import io.terok.api.v1.TaskRef;
import io.terok.api.v1.TaskState;
import io.terok.api.v1.WaitRequest;
import io.terok.api.v1.WaitResponse;
import io.terok.cli.core.FileTrees;
import io.terok.cli.core.Verb;
import io.terok.common.ProtoTime;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;

/**
 * Drives the everyday verbs once against an in-process stand-in of the runtime service on a temporary socket, so
 * that bin/terok's class-data-sharing archive holds the classes a real `terok ps` or `terok run` loads (picocli,
 * grpc-java, Netty epoll, protobuf, JsonFormat). Not a test: the answers are canned and nothing is checked.
 */
@Command(name = "cds-train", hidden = true, description = "Load the common classes once (for the CDS archive).")
final class CdsTrainCommand extends Verb {
    @Override
    public Integer call() throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("terok-cds-");
        EventLoopGroup group = new EpollEventLoopGroup(1, new DefaultThreadFactory("terok-cds", true));
        Server server = NettyServerBuilder.forAddress(new DomainSocketAddress(dir.resolve("runtime.sock").toString()))
                .channelType(EpollServerDomainSocketChannel.class)
                .bossEventLoopGroup(group).workerEventLoopGroup(group)
                .addService(new ServingHealth()).addService(new CannedRuntime())
                .build().start();
        try {
            Map<String, String> env = new HashMap<>(ctx().env);
            env.put("TEROK_RUNTIME_DIR", dir.toString());
            env.put("TEROK_STATE_DIR", dir.toString());
            PrintStream sink = new PrintStream(java.io.OutputStream.nullOutputStream());
            for (List<String> args : List.of(List.of("--help"), List.of("--version"), List.of("ps"),
                    List.of("ps", "-a", "--json"), List.of("inspect", "t"), List.of("inspect", "missing"),
                    List.of("logs", "t"), List.of("wait", "t"), List.of("exec", "t", "true"), List.of("stop", "t"),
                    List.of("rm", "-f", "t"), List.of("services", "status"), List.of("ps", "--no-such-option"),
                    List.of("run", "--rm", "-e", "A=1", "-v", dir + ":/x:ro,Z", "--memory", "1g", "--cpus", "1",
                            "--label", "a=b", "img", "sh", "-c", "true"),
                    List.of("run", "-d", "--name", "x", "img"))) {
                TerokCommand.run(args.toArray(String[]::new), sink, sink, env);
            }
        } finally {
            server.shutdownNow().awaitTermination(2, TimeUnit.SECONDS);
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            FileTrees.delete(dir);
        }
        return 0;
    }

    private static final class ServingHealth extends HealthGrpc.HealthImplBase {
        @Override
        public void check(HealthCheckRequest request, StreamObserver<HealthCheckResponse> response) {
            response.onNext(HealthCheckResponse.newBuilder().setStatus(HealthCheckResponse.ServingStatus.SERVING).build());
            response.onCompleted();
        }
    }

    private static final class CannedRuntime extends RuntimeServiceGrpc.RuntimeServiceImplBase {
        private static final Task TASK = Task.newBuilder().setId("0123456789abcdef").setName("terok-0123").setImage("img")
                .setState(TaskState.TASK_STATE_EXITED).setCreatedAt(ProtoTime.ofEpochMilli(1000)).build();

        private static <T> void answer(StreamObserver<T> response, T value) {
            response.onNext(value);
            response.onCompleted();
        }

        @Override
        public void launch(LaunchRequest request, StreamObserver<Task> response) {
            answer(response, TASK.toBuilder().setSpec(request.getRunSpec()).build());
        }

        @Override
        public void list(ListTasksRequest request, StreamObserver<ListTasksResponse> response) {
            answer(response, ListTasksResponse.newBuilder().addTasks(TASK).addTasks(TASK).build());
        }

        @Override
        public void inspect(TaskRef request, StreamObserver<Task> response) {
            if (request.getTask().equals("missing")) {
                response.onError(Status.NOT_FOUND.withDescription("no task 'missing'").asRuntimeException());
            } else {
                answer(response, TASK);
            }
        }

        @Override
        public void logs(LogsRequest request, StreamObserver<LogChunk> response) {
            response.onNext(LogChunk.newBuilder().setStream(OutputStream.OUTPUT_STREAM_STDOUT)
                    .setData(ByteString.copyFromUtf8("out\n")).build());
            answer(response, LogChunk.newBuilder().setStream(OutputStream.OUTPUT_STREAM_STDERR)
                    .setData(ByteString.copyFromUtf8("err\n")).build());
        }

        @Override
        public void exec(ExecRequest request, StreamObserver<ExecResponse> response) {
            answer(response, ExecResponse.newBuilder().setStdout(ByteString.copyFromUtf8("ok\n")).build());
        }

        @Override
        public void wait(WaitRequest request, StreamObserver<WaitResponse> response) {
            answer(response, WaitResponse.getDefaultInstance());
        }

        @Override
        public void stop(StopRequest request, StreamObserver<Task> response) {
            answer(response, TASK);
        }

        @Override
        public void remove(RemoveRequest request, StreamObserver<RemoveResponse> response) {
            answer(response, RemoveResponse.newBuilder().setId(TASK.getId()).build());
        }
    }
}
