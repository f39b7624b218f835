package io.terok.gate;

import io.terok.testsupport.Cmd;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.grpc.ManagedChannel;
import io.terok.api.v1.CreateProjectRequest;
import io.terok.api.v1.GateServiceGrpc;
import io.terok.api.v1.MintTaskTokenRequest;
import io.terok.api.v1.MintTaskTokenResponse;
import io.terok.common.ServiceName;
import io.terok.common.grpc.UnixChannels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.ConfigProvider;

/** What the tests need: the gate's gRPC API over its real socket, and the real git CLI in private directories. */
final class GateApi implements AutoCloseable {
    private final ManagedChannel channel;
    final Path tmp;

    GateApi() throws IOException {
        requireTool("git");
        Path dir = Path.of(ConfigProvider.getConfig().getValue("terok.runtime-dir", String.class));
        channel = UnixChannels.open(ServiceName.GATE.socket(dir));
        tmp = Files.createTempDirectory("terok-gate-test");
    }

    /** In CI a missing tool fails the test; nothing skips silently. */
    static void requireTool(String tool) {
        Cmd.require(List.of(tool));
    }

    GateServiceGrpc.GateServiceBlockingStub stub() {
        return GateServiceGrpc.newBlockingStub(channel).withDeadlineAfter(120, TimeUnit.SECONDS);
    }

    int httpPort() {
        return ConfigProvider.getConfig().getValue("quarkus.http.test-port", Integer.class);
    }

    static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** A fresh task id as runtime-service makes them (32 lower-case hex digits). */
    static String taskId() {
        return UUID.randomUUID().toString().replace("-", "");
    }

    /** A bare upstream repository with one commit on main; returns its path. */
    Path upstream(String name) {
        Path bare = tmp.resolve(name + "-upstream.git");
        git(tmp, "init", "-q", "--bare", "-b", "main", bare.toString()).ok();
        Path work = tmp.resolve(name + "-seed");
        git(tmp, "clone", "-q", bare.toString(), work.toString()).ok();
        commit(work, "README", "hello\n", "initial");
        git(work, "push", "-q", "origin", "HEAD:main").ok();
        return bare;
    }

    /**
     * {@code commits} commits on refs/heads/main of {@code repo} (3 objects each, spread over {@code dirs} directories,
     * so each commit also changes a subtree when dirs > 1), written by the real git fast-import.
     */
    void history(Path repo, int commits, int dirs) {
        StringBuilder in = new StringBuilder();
        for (int i = 0; i < commits; i++) {
            String data = "line " + i + "\n";
            String file = dirs > 1 ? "d" + (i % dirs) + "/f.txt" : "f.txt";
            in.append("commit refs/heads/main\ncommitter T <t@example.invalid> ").append(1700000000 + i)
                    .append(" +0000\ndata 2\nc\nM 644 inline ").append(file).append("\ndata ").append(data.length())
                    .append('\n').append(data).append('\n');
        }
        Cmd.Output o = Cmd.exec(List.of("git", "-C", repo.toString(), "fast-import", "--quiet"), null, e -> { }, in.toString(), 120);
        assertEquals(0, o.code(), "git fast-import: " + o.err());
    }

    String createProject(String name, Path upstream) {
        stub().createProject(CreateProjectRequest.newBuilder().setName(name)
                .setUpstreamUrl(upstream == null ? "" : "file://" + upstream).setSync(upstream != null).build());
        return name;
    }

    MintTaskTokenResponse mint(String task, String project) {
        return stub().mintTaskToken(MintTaskTokenRequest.newBuilder().setTaskId(task).setProject(project)
                .setHostAddress("127.0.0.1").build());
    }

    void commit(Path work, String file, String content, String message) {
        try {
            Files.writeString(work.resolve(file), content);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        git(work, "add", file).ok();
        git(work, "commit", "-q", "-m", message).ok();
    }

    String rev(Path gitDir, String rev) {
        return git(gitDir, "rev-parse", rev).ok().out().trim();
    }

    record Result(int exitCode, String out, String err) {
        Result ok() {
            if (exitCode != 0) {
                throw new AssertionError("expected exit 0, got " + exitCode + "\nstdout: " + out + "\nstderr: " + err);
            }
            return this;
        }

        Result failed() {
            if (exitCode == 0) {
                throw new AssertionError("expected a failure\nstdout: " + out + "\nstderr: " + err);
            }
            return this;
        }
    }

    Result git(Path dir, String... args) {
        return git(dir, Map.of(), args);
    }

    /** The real git CLI with no system or user config, no prompts, and {@code env} on top (e.g. a task's env). */
    Result git(Path dir, Map<String, String> env, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add("git");
        cmd.addAll(List.of(args));
        Map<String, String> e = new HashMap<>();
        e.put("HOME", tmp.toString());
        e.put("GIT_CONFIG_NOSYSTEM", "1");
        e.put("GIT_TERMINAL_PROMPT", "0");
        e.put("GIT_AUTHOR_NAME", "Agent");
        e.put("GIT_AUTHOR_EMAIL", "agent@example.invalid");
        e.put("GIT_COMMITTER_NAME", "Agent");
        e.put("GIT_COMMITTER_EMAIL", "agent@example.invalid");
        e.putAll(env);
        return exec(cmd, dir, e, 300);
    }

    static Result exec(List<String> cmd, Path dir, Map<String, String> env, int timeoutSeconds) {
        // The caller's GIT_* variables (a git hook running these tests, say) must not steer the git under test.
        Cmd.Output o = Cmd.exec(cmd, dir, e -> {
            e.keySet().removeIf(k -> k.startsWith("GIT_"));
            e.putAll(env);
        }, null, timeoutSeconds);
        return new Result(o.code(), o.out(), o.err());
    }

    void fsck(Path gitDir) {
        Result r = git(gitDir, "fsck", "--strict", "--no-dangling");
        assertEquals(0, r.exitCode(), "git fsck " + gitDir + ":\n" + r.out() + r.err());
    }

    @Override
    public void close() {
        channel.shutdownNow();
        exec(List.of("rm", "-rf", tmp.toString()), Path.of("/"), Map.of(), 60);
    }
}
