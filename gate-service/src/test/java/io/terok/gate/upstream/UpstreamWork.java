package io.terok.gate.upstream;

import io.terok.testsupport.Cmd;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** The git work the upstream tests (https, ssh) do beside the gate, with the real git CLI and a fixed identity. */
public final class UpstreamWork {
    private UpstreamWork() {
    }

    public static String git(Path dir, String... args) {
        String[] argv = Stream.concat(Stream.of("git", "-C", dir.toString(), "-c", "user.name=T", "-c", "user.email=t@e"),
                Stream.of(args)).toArray(String[]::new);
        return Cmd.ok(argv).trim();
    }

    /** What a task does: clones the gate's mirror into {@code task}, commits agent.txt and pushes it as feature. */
    public static void pushTaskBranch(Path gate, Path task) throws IOException {
        Cmd.ok("git", "clone", "-q", gate.toString(), task.toString());
        Files.writeString(task.resolve("agent.txt"), "from the task\n");
        git(task, "add", "agent.txt");
        git(task, "commit", "-q", "-m", "task work");
        git(task, "push", "-q", "origin", "HEAD:refs/heads/feature");
    }

    /** The upstream moves on: one more (empty) commit on its main, pushed from a clone in {@code work}. */
    public static void advance(Path upstream, Path work, String message) {
        Cmd.ok("git", "clone", "-q", upstream.toString(), work.toString());
        git(work, "commit", "-q", "--allow-empty", "-m", message);
        git(work, "push", "-q", "origin", "main");
    }
}
