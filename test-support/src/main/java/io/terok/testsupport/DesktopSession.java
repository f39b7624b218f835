package io.terok.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A real desktop for tests and benchmarks: a private D-Bus session bus (dbus-daemon), an X server (Xvfb) and a real
 * notification server (dunst). The "operator" answers through dunst's context menu, whose dmenu program is
 * a script that picks the line naming the wanted action. Everything is started and stopped by PID, and its
 * directory removed on {@link #close()}.
 */
public final class DesktopSession implements AutoCloseable {
    private final Path dir;
    public final String busAddress;
    private final String display;
    private final List<Process> processes = new ArrayList<>();

    public DesktopSession() throws Exception {
        dir = Files.createTempDirectory("terok-desktop-");
        busAddress = "unix:path=" + dir.resolve("bus");
        display = ":" + (90 + (int) (ProcessHandle.current().pid() % 9));
        start("dbus-daemon", "--session", "--address=" + busAddress, "--nofork", "--nopidfile");
        Cmd.await(() -> Files.exists(dir.resolve("bus")), "dbus-daemon socket");
        start("Xvfb", display, "-nolisten", "tcp");
        Cmd.await(() -> Files.exists(Path.of("/tmp/.X11-unix/X" + display.substring(1))), "Xvfb display " + display);
        Path picker = dir.resolve("pick.sh");
        Files.writeString(picker, "#!/bin/sh\ncat > " + dir.resolve("menu.txt") + "\ngrep -m1 -i \"#$(cat " + dir.resolve("want")
                + ")\" " + dir.resolve("menu.txt") + "\n");
        Files.setPosixFilePermissions(picker, PosixFilePermissions.fromString("rwx------"));
        Path rc = dir.resolve("dunstrc");
        Files.writeString(rc, "[global]\ndmenu = " + picker + "\n[urgency_critical]\ntimeout = 0\n");
        start("dunst", "-config", rc.toString());
        Cmd.await(() -> run("dunstctl", "count", "displayed").code() == 0, "dunst on the session bus");
    }

    /** Runs a desktop tool (dunstctl, notify-send) on this session; its output is trimmed. */
    public Cmd.Output run(String... cmd) {
        Cmd.Output o = Cmd.exec(List.of(cmd), null, e -> e.putAll(sessionEnv()), null, 20);
        return new Cmd.Output(o.code(), o.out().trim(), o.err().trim());
    }

    private Map<String, String> sessionEnv() {
        return Map.of("DBUS_SESSION_BUS_ADDRESS", busAddress, "DISPLAY", display);
    }

    public int displayed() {
        return Integer.parseInt(run("dunstctl", "count", "displayed").out());
    }

    /**
     * Opens the context menu of the newest notification and picks the named action ("Allow"/"Deny"); returns the
     * menu dunst offered, or "" when it offered none within 5 s (dunst runs the menu program asynchronously, and not
     * at all without actions).
     */
    public String choose(String action) {
        Path menu = dir.resolve("menu.txt");
        try {
            Files.deleteIfExists(menu);
            Files.writeString(dir.resolve("want"), action);
            Cmd.Output r = run("dunstctl", "context");
            if (r.code() != 0) {
                throw new AssertionError("dunstctl context failed: " + r.out() + r.err());
            }
            for (int i = 0; i < 100; i++) {
                if (Files.exists(menu) && Files.size(menu) > 0) {
                    return Files.readString(menu);
                }
                Thread.sleep(50);
            }
            return "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private void start(String... cmd) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(dir.resolve(cmd[0] + ".log").toFile());
        pb.environment().putAll(sessionEnv());
        try {
            processes.add(pb.start());
        } catch (IOException e) {
            close();
            throw new AssertionError("cannot start " + cmd[0] + " (install it: bin/prepare-host does): " + e.getMessage(), e);
        }
    }

    /** Stops what it started and removes its directory (bus socket, logs, the menu script). */
    @Override
    public void close() {
        for (int i = processes.size() - 1; i >= 0; i--) {
            Cmd.stop(processes.get(i));
        }
        Cmd.run("rm", "-rf", dir.toString());
    }
}
