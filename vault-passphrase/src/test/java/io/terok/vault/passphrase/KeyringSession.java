package io.terok.vault.passphrase;

import io.terok.testsupport.Cmd;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A real Secret Service for tests: a private D-Bus session bus (dbus-daemon) and gnome-keyring-daemon with only its
 * "secrets" component, in a private HOME, its login keyring created and unlocked with a password given on stdin (no
 * display, no prompt). Started and stopped by PID; a missing program fails the test (bin/prepare-host installs them).
 */
final class KeyringSession implements AutoCloseable {
    final Path dir;
    final String busAddress;
    private final List<Process> processes = new ArrayList<>();

    KeyringSession() throws Exception {
        require("dbus-daemon", "gnome-keyring-daemon", "secret-tool");
        dir = Files.createTempDirectory("terok-keyring-");
        Files.createDirectories(dir.resolve("home"));
        Files.createDirectories(dir.resolve("run"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        busAddress = "unix:path=" + dir.resolve("run/bus");
        start(null, "dbus-daemon", "--session", "--address=" + busAddress, "--nofork", "--nopidfile");
        waitFor(() -> Files.exists(dir.resolve("run/bus")), "dbus-daemon socket");
        start("keyring-password", "gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets");
        waitFor(() -> run(null, "dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus",
                "org.freedesktop.DBus.NameHasOwner", "string:org.freedesktop.secrets").out.contains("boolean true"),
                "gnome-keyring-daemon on the bus");
    }

    record Result(int code, String out) {
    }

    Map<String, String> env() {
        return Map.of("DBUS_SESSION_BUS_ADDRESS", busAddress, "HOME", dir.resolve("home").toString(),
                "XDG_RUNTIME_DIR", dir.resolve("run").toString(), "XDG_DATA_HOME", dir.resolve("home/.local/share").toString());
    }

    /** Stores an item with secret-tool, the way an operator would. */
    void store(String secret, String... attributes) {
        List<String> cmd = new ArrayList<>(List.of("secret-tool", "store", "--label=test"));
        cmd.addAll(List.of(attributes));
        Result r = run(secret, cmd.toArray(String[]::new));
        if (r.code != 0) {
            throw new AssertionError("secret-tool store failed: " + r.out);
        }
    }

    String lookup(String... attributes) {
        List<String> cmd = new ArrayList<>(List.of("secret-tool", "lookup"));
        cmd.addAll(List.of(attributes));
        return run(null, cmd.toArray(String[]::new)).out;
    }

    /** Locks the login collection through the Secret Service API (unlocking it again would need a prompt). */
    void lockLogin() {
        Result r = run(null, "dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.secrets", "/org/freedesktop/secrets",
                "org.freedesktop.Secret.Service.Lock", "array:objpath:/org/freedesktop/secrets/collection/login");
        if (r.code != 0) {
            throw new AssertionError("Lock failed: " + r.out);
        }
    }

    Result run(String stdin, String... cmd) {
        Cmd.Output o = Cmd.exec(List.of(cmd), null, e -> e.putAll(env()), stdin, 20);
        return new Result(o.code(), (o.out() + o.err()).trim());
    }

    static void require(String... tools) {
        Cmd.require(List.of(tools));
    }

    private void start(String stdin, String... cmd) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve(cmd[0] + ".log").toFile());
        pb.environment().putAll(env());
        if (stdin == null) {
            pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        }
        Process p = pb.start();
        processes.add(p);
        if (stdin != null) {
            try (var in = p.getOutputStream()) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        }
    }

    private static void waitFor(java.util.function.BooleanSupplier ready, String what) throws InterruptedException {
        Cmd.await(ready, what);
    }

    @Override
    public void close() {
        for (int i = processes.size() - 1; i >= 0; i--) {
            Cmd.stop(processes.get(i));
        }
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort
        }
    }
}
