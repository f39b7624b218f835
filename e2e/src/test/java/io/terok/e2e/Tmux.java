package io.terok.e2e;

import static org.junit.jupiter.api.Assertions.fail;

import io.terok.testsupport.Cmd;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * A real pseudo-terminal for the CLI: a tmux server of the test's own (private socket), one window per session. The
 * command runs inside a small script that records the terminal's settings before and after it, and its exit code,
 * so a test sees what the operator's terminal is left with.
 */
final class Tmux implements AutoCloseable {
    private final Path dir;
    private final Path socket;
    private int sessions;

    Tmux(Path dir) throws IOException {
        this.dir = Files.createDirectories(dir);
        this.socket = dir.resolve("tmux.sock");
        if (Cmd.run("tmux", "-V").code() != 0) {
            // bin/prepare-host installs tmux; without it these tests cannot run, and CI must say so.
            fail("tmux is not installed (bin/prepare-host installs it)");
        }
    }

    /** One command in its own terminal of {@code columns}x{@code rows}. */
    Session start(List<String> command, int columns, int rows) throws IOException {
        String name = "s" + (++sessions);
        Path script = dir.resolve(name + ".sh");
        Path exit = dir.resolve(name + ".exit");
        StringBuilder cmd = new StringBuilder();
        for (String a : command) {
            cmd.append('\'').append(a.replace("'", "'\\''")).append("' ");
        }
        Files.writeString(script, "stty -g > " + dir.resolve(name + ".stty-before") + "\n"
                + cmd + "\n"
                + "code=$?\n"
                + "stty -g > " + dir.resolve(name + ".stty-after") + "\n"
                + "echo $code > " + exit + ".tmp && mv " + exit + ".tmp " + exit + "\n"
                + "sleep 3600\n");
        tmux("new-session", "-d", "-s", name, "-x", "" + columns, "-y", "" + rows, "sh " + script);
        tmux("set-option", "-t", name, "status", "off");
        return new Session(name, exit);
    }

    private String tmux(String... args) {
        List<String> cmd = new ArrayList<>(List.of("tmux", "-S", socket.toString()));
        cmd.addAll(List.of(args));
        Cmd.Output o = Cmd.exec(cmd, null, e -> e.remove("TMUX"), null, 30);
        if (o.code() != 0) {
            throw new AssertionError("tmux " + String.join(" ", args) + ": " + o.err());
        }
        return o.out();
    }

    @Override
    public void close() {
        Cmd.exec(List.of("tmux", "-S", socket.toString(), "kill-server"), null, e -> { }, null, 30);
    }

    final class Session {
        final String name;
        private final Path exit;

        Session(String name, Path exit) {
            this.name = name;
            this.exit = exit;
        }

        /** Keys as tmux names them: literal text, or "Enter", "C-p", ... */
        void type(String text) {
            tmux("send-keys", "-t", name, "-l", text);
        }

        void key(String... keys) {
            List<String> a = new ArrayList<>(List.of("send-keys", "-t", name));
            a.addAll(List.of(keys));
            tmux(a.toArray(String[]::new));
        }

        void resize(int columns, int rows) {
            tmux("resize-window", "-t", name, "-x", "" + columns, "-y", "" + rows);
        }

        /** The command's process (the script's child: bin/terok execs its JVM), as the test started it. */
        long commandPid() throws IOException {
            long shell = Long.parseLong(tmux("display-message", "-p", "-t", name, "#{pane_pid}").trim());
            String children = Files.readString(Path.of("/proc/" + shell + "/task/" + shell + "/children")).trim();
            if (children.isEmpty()) {
                throw new AssertionError("the command of " + name + " is not running");
            }
            return Long.parseLong(children.split(" ")[0]);
        }

        /** True when the terminal is raw now (no line editing, no echo), as the command left it. */
        boolean raw() {
            String tty = tmux("display-message", "-p", "-t", name, "#{pane_tty}").trim();
            Cmd.Output o = Cmd.exec(List.of("stty", "-F", tty, "-a"), null, e -> { }, null, 10);
            return o.code() == 0 && o.out().matches("(?s).*(^|\\s)-icanon(\\s|$).*")
                    && o.out().matches("(?s).*(^|\\s)-echo(\\s|$).*");
        }

        /** Waits until the command has made the terminal raw. */
        void awaitRaw(String when, int seconds) throws InterruptedException {
            long deadline = System.nanoTime() + seconds * 1_000_000_000L;
            while (!raw()) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("the terminal never went raw " + when + "; it shows:\n" + screen());
                }
                Thread.sleep(20);
            }
        }

        /** What the terminal shows now, with the scrollback. */
        String screen() {
            return tmux("capture-pane", "-p", "-J", "-S", "-200", "-t", name);
        }

        /** Waits until the screen shows what {@code test} looks for. */
        String await(String what, Predicate<String> test, int seconds) throws InterruptedException {
            long deadline = System.nanoTime() + seconds * 1_000_000_000L;
            String s = screen();
            while (!test.test(s)) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("terminal never showed " + what + "; it shows:\n" + s);
                }
                Thread.sleep(50);
                s = screen();
            }
            return s;
        }

        String awaitText(String text, int seconds) throws InterruptedException {
            return await("'" + text + "'", s -> s.contains(text), seconds);
        }

        /** The command's exit code once it ended. */
        int awaitExit(int seconds) throws InterruptedException, IOException {
            long deadline = System.nanoTime() + seconds * 1_000_000_000L;
            while (!Files.exists(exit)) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("the command did not end; the terminal shows:\n" + screen());
                }
                Thread.sleep(50);
            }
            return Integer.parseInt(Files.readString(exit).trim());
        }

        /** The terminal's settings (stty -g) before the command and after it. */
        Map.Entry<String, String> sttyBeforeAfter() throws IOException {
            return Map.entry(Files.readString(dir.resolve(name + ".stty-before")).trim(),
                    Files.readString(dir.resolve(name + ".stty-after")).trim());
        }
    }
}
