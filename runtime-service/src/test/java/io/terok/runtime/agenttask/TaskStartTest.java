package io.terok.runtime.agenttask;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.common.HostProcess;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The task's start script run for real (sh, git) on the host, with a local repository standing for the gate: what
 * the task's container does before and around its agent.
 */
class TaskStartTest {
    @TempDir
    Path dir;
    Path upstream;
    Path workspace;
    Path nonceFile;
    String nonce;
    String head;

    @BeforeEach
    void repository() throws Exception {
        upstream = dir.resolve("upstream");
        git(dir, "init", "-q", "-b", "main", upstream.toString());
        Files.writeString(upstream.resolve("README"), "hello\n");
        git(upstream, "add", "README");
        git(upstream, "-c", "user.name=t", "-c", "user.email=t@example.test", "commit", "-q", "-m", "first");
        head = git(upstream, "rev-parse", "HEAD").strip();
        workspace = Files.createDirectory(dir.resolve("workspace"));
        nonce = TaskStart.nonce();
        nonceFile = dir.resolve("nonce");
        Files.writeString(nonceFile, nonce);
    }

    @Test
    void clonesOnTheTaskBranchThenRunsTheAgentAndReportsItsEnd() throws Exception {
        // The "agent" shows what it sees: its branch, its identity, and whether the nonce is still there to read.
        List<String> out = start("sh", "-c", "git rev-parse --abbrev-ref HEAD; git config user.email; "
                + "cat \"$0\" 2>/dev/null || echo no-nonce; printf 'last line without a newline'; exit 3", nonceFile.toString());
        TaskStart.Reader reader = new TaskStart.Reader(nonce);
        assertEquals(new TaskStart.Started(head), reader.read(out.get(0)), "first the start commit: " + out);
        assertEquals(List.of("terok/t1", "agent@example.test", "no-nonce", "last line without a newline"),
                out.subList(1, 5), "the agent's output, on its branch, with the identity; the nonce gone before it ran");
        assertEquals(new TaskStart.Exited(3, ""), reader.read(out.get(5)), "then its exit code");
        assertFalse(Files.exists(nonceFile));
    }

    @Test
    void theAgentCannotFakeItsEnd() throws Exception {
        // Without the nonce, a line that looks like the report is the agent's output.
        List<String> out = start("sh", "-c", "echo '0123456789abcdef0123456789abcdef exit 0'; exit 1");
        TaskStart.Reader reader = new TaskStart.Reader(nonce);
        assertInstanceOf(TaskStart.Output.class, reader.read(out.get(1)));
        assertEquals(new TaskStart.Exited(1, ""), reader.read(out.get(3)), String.join("\n", out));
    }

    @Test
    void aCloneThatFailsEndsTheScriptWithGitsMessage() throws Exception {
        Process p = process(List.of("true"), "no-such-branch");
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(97, p.exitValue());
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(text.contains("no-such-branch"), text);
        assertFalse(text.contains(nonce), "no start report: " + text);
    }

    @Test
    void aRestartedTaskOnlySleeps() throws Exception {
        start("true");
        Files.writeString(nonceFile, nonce);
        Process again = process(List.of("sh", "-c", "echo the agent ran again"), "main");
        try {
            assertFalse(again.waitFor(1, TimeUnit.SECONDS), "still running (sleeping)");
            assertEquals(0, again.getInputStream().available(), "no clone, no agent");
            assertTrue(Files.exists(nonceFile), "the nonce was not even read");
        } finally {
            again.destroyForcibly();
        }
    }

    /** Runs the script to the agent's end report and returns its output lines. */
    private List<String> start(String... agent) throws Exception {
        Process p = process(List.of(agent), "main");
        List<String> lines = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            TaskStart.Reader reader = new TaskStart.Reader(nonce);
            String line;
            while ((line = r.readLine()) != null) {
                lines.add(line);
                if (reader.read(line) instanceof TaskStart.Exited) {
                    break;
                }
            }
        } finally {
            p.destroyForcibly(); // the script sleeps after the agent, keeping the task up
            p.waitFor(5, TimeUnit.SECONDS);
        }
        return lines;
    }

    private Process process(List<String> agent, String base) throws IOException {
        List<String> cmd = TaskStart.command(nonceFile.toString(), base, "Agent", "agent@example.test",
                upstream.toUri().toString(), workspace.toString(), "terok/t1", agent);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).directory(workspace.toFile());
        pb.environment().put("GIT_CONFIG_NOSYSTEM", "1");
        pb.environment().put("HOME", dir.toString());
        return pb.start();
    }

    private static String git(Path in, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("git", "-C", in.toString()));
        cmd.addAll(List.of(args));
        HostProcess.Result r = HostProcess.of(cmd).env("HOME", in.toString()).run();
        assertTrue(r.ok(), r.describeFailure());
        return r.stdout();
    }
}
