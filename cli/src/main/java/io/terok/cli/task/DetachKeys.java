package io.terok.cli.task;

import io.terok.cli.core.CliException;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;

/**
 * The key sequence that leaves an attached session with the task still running, written as podman writes it:
 * comma-separated keys, each a single character or {@code ctrl-<c>} with c one of a-z, @, ^, [, \, ] or _ (default
 * {@code ctrl-p,ctrl-q}); an empty text turns detaching off. {@link Matcher} finds it in the keystrokes: the bytes
 * of the sequence are never forwarded; a partial match is held back until the next key shows whether it completes.
 * Escape sequences in between (special keys, and the replies the terminal writes into the input when the agent's UI
 * queries it) are forwarded and neither complete nor break the match: a reply landing between ctrl-p and ctrl-q must
 * not turn the operator's detach into two keys for the agent.
 */
public final class DetachKeys {
    public static final String DEFAULT = "ctrl-p,ctrl-q";
    private final byte[] sequence;
    private final String text;

    private DetachKeys(byte[] sequence, String text) {
        this.sequence = sequence;
        this.text = text;
    }

    /**
     * The keys for this run: the {@code --detach-keys} option when given, else {@code TEROK_DETACH_KEYS} from the
     * environment, else {@link #DEFAULT}.
     */
    public static DetachKeys resolve(java.util.Map<String, String> env, String option) {
        if (option != null) {
            return parse("--detach-keys", option);
        }
        String fromEnv = env.get("TEROK_DETACH_KEYS");
        return fromEnv != null ? parse("TEROK_DETACH_KEYS", fromEnv) : parse("--detach-keys", DEFAULT);
    }

    /** @param option the option's name, for the error */
    public static DetachKeys parse(String option, String text) {
        if (text.isEmpty()) {
            return new DetachKeys(new byte[0], "");
        }
        String[] keys = text.split(",", -1);
        byte[] seq = new byte[keys.length];
        for (int i = 0; i < keys.length; i++) {
            seq[i] = key(option, text, keys[i]);
        }
        return new DetachKeys(seq, text);
    }

    private static byte key(String option, String text, String key) {
        if (key.length() == 1 && key.charAt(0) > ' ' && key.charAt(0) < 0x7f && key.charAt(0) != ',') {
            return (byte) key.charAt(0);
        }
        if (key.length() == 6 && key.startsWith("ctrl-")) {
            char c = key.charAt(5);
            if (c >= 'a' && c <= 'z') {
                return (byte) (c - 'a' + 1);
            }
            int i = "@[\\]^_".indexOf(c);
            if (i >= 0) {
                return (byte) (c == '@' ? 0 : c - '@');
            }
        }
        throw CliException.badValue(option, text, "'" + key + "' is not a key: give comma-separated keys, each a single "
                + "character or ctrl-<c> with c one of a-z @ [ \\ ] ^ _ (e.g. " + DEFAULT + "), or \"\" for none");
    }

    public boolean enabled() {
        return sequence.length > 0;
    }

    /** As the operator wrote it: for the "detach with ..." hint. */
    @Override
    public String toString() {
        return text;
    }

    private boolean containsEscape() {
        for (byte b : sequence) {
            if (b == 0x1b) {
                return true;
            }
        }
        return false;
    }

    public Matcher matcher() {
        return new Matcher();
    }

    /** Finds the sequence in a stream of keystroke chunks. Not thread-safe: one reader thread. */
    public final class Matcher {
        private int matched;
        /** Null when the sequence itself holds ESC (ctrl-[): then every byte is a key. */
        private final EscapeSequenceScanner escapes = containsEscape() ? null : new EscapeSequenceScanner();

        /** What {@link #feed} found: the bytes to forward now, and whether the sequence was completed. */
        public record Result(byte[] forward, boolean detach) {
        }

        /** Bytes after a completed sequence are dropped: the session is over. */
        public Result feed(byte[] chunk, int length) {
            if (sequence.length == 0) {
                return new Result(Arrays.copyOf(chunk, length), false);
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream(length + sequence.length);
            for (int i = 0; i < length; i++) {
                byte b = chunk[i];
                if (escapes != null && escapes.consume(b)) {
                    out.write(b);
                    continue;
                }
                if (b == sequence[matched]) {
                    matched++;
                    if (matched == sequence.length) {
                        matched = 0;
                        return new Result(out.toByteArray(), true);
                    }
                    continue;
                }
                // Not the sequence after all: what was held back goes out as typed. The key that broke the match
                // may itself start a new one.
                out.write(sequence, 0, matched);
                matched = 0;
                if (b == sequence[0]) {
                    matched = 1;
                    if (sequence.length == 1) {
                        matched = 0;
                        return new Result(out.toByteArray(), true);
                    }
                } else {
                    out.write(b);
                }
            }
            return new Result(out.toByteArray(), false);
        }
    }
}
