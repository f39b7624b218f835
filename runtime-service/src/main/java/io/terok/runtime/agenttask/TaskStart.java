package io.terok.runtime.agenttask;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A headless task's container command: a fixed script that clones the gate into the workspace on the task's branch
 * and then runs the agent as the container starts, so no {@code podman exec} round trip stands between the launch
 * and the agent's first request (docs/benchmarks.md, "Agent tasks"). Every value reaches the script as a positional
 * argument, never as shell source. After the agent the script sleeps: the container stays up for terok's save of
 * the work left uncommitted, for follow-ups, {@code terok login} and the sickbay; a restarted container finds the
 * workspace cloned and only sleeps.
 *
 * <p>The script reports two things on its output, each on a line of its own carrying a nonce only it knows (read
 * from a file it removes before the agent starts, so the agent's output cannot fake the end of its run): the commit
 * the branch starts from, when the workspace is ready, and the agent's exit code.
 */
public final class TaskStart {
    /** Where the nonce file's directory is mounted in the container. */
    public static final String NONCE_DIR = "/run/terok-start";
    public static final String NONCE_FILE = NONCE_DIR + "/nonce";

    static final String SCRIPT = ""
            + "if [ -e \"$6/.git\" ]; then exec sleep infinity; fi\n"
            + "nonce=$(cat \"$1\") && rm -f \"$1\" || exit 96\n"
            + "git clone -q --branch \"$2\" -c \"user.name=$3\" -c \"user.email=$4\" -c push.default=current "
            + "-- \"${5:-$TEROK_GATE_URL}\" \"$6\" && cd \"$6\" && git checkout -q -b \"$7\" && start=$(git rev-parse HEAD) "
            + "|| exit 97\n"
            + "echo \"$nonce start $start\"\n"
            + "shift 7\n"
            + "\"$@\"\n"
            + "code=$?\n"
            // A newline first: the agent's last line may lack one, and the marker must be a line of its own.
            + "printf '\\n%s exit %s\\n' \"$nonce\" \"$code\"\n"
            + "exec sleep infinity\n";

    private TaskStart() {
    }

    /** A fresh nonce: 128 random bits, hex. */
    public static String nonce() {
        byte[] b = new byte[16];
        new SecureRandom().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /**
     * The container's command.
     *
     * @param cloneUrl the repository the workspace is cloned from; empty for the gate's, which the launch's wiring
     *     puts into the container's environment (TEROK_GATE_URL) and so is not known before the container exists
     * @param agentArgv the agent's command, its timeout included
     */
    public static List<String> command(String nonceFile, String baseBranch, String authorName, String authorEmail, String cloneUrl,
            String workspace, String branch, List<String> agentArgv) {
        List<String> c = new ArrayList<>(List.of("sh", "-c", SCRIPT, "terok-task-start", nonceFile, baseBranch, authorName, authorEmail,
                cloneUrl, workspace, branch));
        c.addAll(agentArgv);
        return c;
    }

    /** What one line of the container's output is to terok. */
    public sealed interface Line {
    }

    /** The workspace is ready on the task's branch, starting at {@code commit}; the agent starts now. */
    public record Started(String commit) implements Line {
    }

    /** The agent ended with {@code exitCode}; {@code before} is text of the agent's on the same line before the marker. */
    public record Exited(int exitCode, String before) implements Line {
    }

    /** Output of git's (before {@link Started}) or the agent's. */
    public record Output(String text) implements Line {
    }

    /** Reads the container's output lines with the nonce of this start. */
    public static final class Reader {
        private final Pattern started;
        private final Pattern exited;

        public Reader(String nonce) {
            if (!nonce.matches("[0-9a-f]{32}")) {
                throw new IllegalArgumentException("not a nonce");
            }
            started = Pattern.compile(nonce + " start ([0-9a-f]{40}(?:[0-9a-f]{24})?)");
            exited = Pattern.compile("(.*)" + nonce + " exit ([0-9]{1,3})");
        }

        public Line read(String line) {
            Matcher s = started.matcher(line);
            if (s.matches()) {
                return new Started(s.group(1));
            }
            Matcher e = exited.matcher(line);
            if (e.matches()) {
                return new Exited(Integer.parseInt(e.group(2)), e.group(1));
            }
            return new Output(line);
        }
    }
}
