package io.terok.runtime;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.terok.api.v1.LaunchRequest;
import io.terok.api.v1.LogChunk;
import io.terok.api.v1.LogsRequest;
import io.terok.api.v1.NetworkMode;
import io.terok.api.v1.RemoveRequest;
import io.terok.api.v1.RunSpec;
import io.terok.api.v1.RuntimeServiceGrpc;
import io.terok.api.v1.Task;
import io.terok.api.v1.WaitRequest;
import io.terok.common.ServiceName;
import io.terok.common.grpc.UnixChannels;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.ConfigProvider;

/** What the tests need to drive the runtime service over its real Unix socket and look at podman directly. */
final class RuntimeApi implements AutoCloseable {
    static final String BUSYBOX = "localhost/terok-busybox:latest";
    private final ManagedChannel channel;

    RuntimeApi() {
        Path dir = Path.of(ConfigProvider.getConfig().getValue("terok.runtime-dir", String.class));
        channel = UnixChannels.open(ServiceName.RUNTIME.socket(dir));
    }

    RuntimeServiceGrpc.RuntimeServiceBlockingStub stub() {
        return RuntimeServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
    }

    static RunSpec.Builder offline(String... command) {
        return RunSpec.newBuilder().setImage(BUSYBOX).setNetwork(NetworkMode.NETWORK_MODE_NONE).addAllCommand(List.of(command));
    }

    Task launch(RunSpec.Builder spec) {
        return stub().launch(LaunchRequest.newBuilder().setRunSpec(spec).build());
    }

    /** Runs a task to its end and returns its exit code and combined output. */
    Result runToEnd(RunSpec.Builder spec) {
        Task t = launch(spec);
        try {
            int code = stub().wait(WaitRequest.newBuilder().setTask(t.getId()).setTimeoutSeconds(60).build()).getExitCode();
            StringBuilder out = new StringBuilder();
            Iterator<LogChunk> it = stub().logs(LogsRequest.newBuilder().setTask(t.getId()).build());
            it.forEachRemaining(c -> out.append(c.getData().toString(StandardCharsets.UTF_8)));
            return new Result(t, code, out.toString());
        } finally {
            stub().remove(RemoveRequest.newBuilder().setTask(t.getId()).setForce(true).build());
        }
    }

    record Result(Task task, int exitCode, String output) {
    }

    /** Container ids podman itself knows with terok's task label: the ground truth for "nothing left behind". */
    static List<String> podmanTaskContainers() {
        return lines("podman", "ps", "-a", "--filter", "label=io.terok.task", "--format", "{{.ID}}");
    }

    /** A label a test puts on the specs it launches (the runtime copies a spec's labels onto its container). */
    static final String TEST_MARK = "test.terok.mark";

    /** A fresh value for {@link #TEST_MARK}: the containers of one launch, whatever else runs on this machine. */
    static String newMark() {
        return java.util.UUID.randomUUID().toString();
    }

    /**
     * Container ids podman knows with terok's task label and this test's mark: what a launch marked so left behind.
     * Counting every task container instead compares the whole machine, which other tests and checkouts change.
     */
    static List<String> podmanTaskContainers(String mark) {
        return lines("podman", "ps", "-a", "--filter", "label=io.terok.task", "--filter", "label=" + TEST_MARK + "=" + mark,
                "--format", "{{.ID}}");
    }

    static List<String> lines(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new AssertionError(String.join(" ", cmd) + " failed: " + out);
            }
            List<String> l = new ArrayList<>();
            for (String s : out.split("\n")) {
                if (!s.isBlank()) {
                    l.add(s.trim());
                }
            }
            return l;
        } catch (IOException e) {
            throw new AssertionError("cannot run " + cmd[0] + " (is it installed?): " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    static StatusRuntimeException expectError(Runnable r) {
        try {
            r.run();
        } catch (StatusRuntimeException e) {
            return e;
        }
        throw new AssertionError("expected the call to be refused");
    }

    @Override
    public void close() {
        channel.shutdownNow();
    }
}
