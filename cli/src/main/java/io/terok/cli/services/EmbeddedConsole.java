package io.terok.cli.services;

import io.terok.cli.core.CliException;
import io.terok.cli.core.Context;
import io.terok.common.PrivateFiles;
import io.terok.common.ports.LoopbackListener;
import io.terok.common.ports.PortHolder;
import io.terok.common.ports.PortRegistry;
import io.terok.common.ports.PortTakenException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;

/**
 * The web console in embedded mode, beside the five services: the console module's jar as a background process
 * with the same launcher ({@link EmbeddedServices#start}), its pid file and log next to theirs. It is found through
 * {@code <runtime dir>/console.port}, which the console writes once it listens (so {@code terok console} only ever
 * talks to this installation's console), and counted up when that port answers with the console's own static file.
 */
public final class EmbeddedConsole {
    static final List<String> JVM_OPTIONS = List.of("-Xmx128m", "-XX:+UseSerialGC");
    static final String ID = "console";

    private final Context ctx;
    private final ServiceLayout layout;

    public EmbeddedConsole(Context ctx) {
        this.ctx = ctx;
        this.layout = new ServiceLayout(ctx);
    }

    Path jar() {
        return layout.home().resolve("console/target/quarkus-app/quarkus-run.jar");
    }

    Path pidFile() {
        return layout.pidDir.resolve(ID + ".pid");
    }

    Path logFile() {
        return layout.logDir.resolve(ID + ".log");
    }

    Path portFile() {
        return layout.runtimeDir.resolve("console.port");
    }

    /** The port this installation's console listens on, when it answers there. */
    public OptionalInt running() {
        OptionalInt port = recordedPort();
        return port.isPresent() && answers(port.getAsInt(), 1000) ? port : OptionalInt.empty();
    }

    public boolean built() {
        try {
            return Files.isRegularFile(jar());
        } catch (CliException noHome) {
            return false;
        }
    }

    /** The console's port: the operator's setting, else this user's recorded one (as the vault's and gate's). */
    private int port() {
        LoopbackListener l = LoopbackListener.CONSOLE;
        try {
            return l.resolve(l.configured(ctx.env, key -> ListenerPorts.fromFile(ctx.paths.configFile(), key)),
                    PortRegistry.forUser(ctx.paths, ctx.env), PortHolder.host());
        } catch (PortTakenException | IllegalArgumentException e) {
            throw new CliException("console: " + e.getMessage(), "the console was not started; the services are unaffected");
        }
    }

    /** Starts the console unless it answers already, and waits up to {@code timeoutSeconds}; its port. */
    public int up(int timeoutSeconds) throws IOException {
        OptionalInt now = running();
        if (now.isPresent()) {
            progress("already up (http://127.0.0.1:" + now.getAsInt() + ")");
            return now.getAsInt();
        }
        Optional<ProcessHandle> process = PidFiles.ours(pidFile(), jar());
        if (process.isPresent()) {
            progress("already starting (pid " + process.get().pid() + ")");
        } else {
            if (!Files.isRegularFile(jar())) {
                throw new CliException("the console is not built: no " + jar(),
                        "build it with `./mvnw -B -DskipTests package -pl console -am` in " + layout.home());
            }
            PrivateFiles.directory(layout.runtimeDir);
            PrivateFiles.directory(layout.pidDir);
            Files.createDirectories(layout.logDir);
            Files.deleteIfExists(portFile()); // a stale one names a port nobody serves
            int port = port();
            Process p = EmbeddedServices.start(ctx, layout, jar(), logFile(), JVM_OPTIONS,
                    Map.of(LoopbackListener.CONSOLE.envVar(), Integer.toString(port)));
            PidFiles.write(pidFile(), p.pid());
            progress("starting (pid " + p.pid() + ", log " + logFile() + ")");
            process = Optional.of(p.toHandle());
        }
        long start = System.nanoTime();
        long deadline = start + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        while (true) {
            OptionalInt port = running();
            if (port.isPresent()) {
                progress(String.format("up (%.1f s, http://127.0.0.1:%d)", (System.nanoTime() - start) / 1e9, port.getAsInt()));
                return port.getAsInt();
            }
            if (!process.get().isAlive()) {
                throw new CliException("the console exited before it listened; read " + logFile(),
                        "a port in use? set another with TEROK_CONSOLE_PORT (or terok.console.port in config.yaml)");
            }
            if (System.nanoTime() > deadline) {
                throw new CliException("the console did not come up within " + timeoutSeconds + " s; read " + logFile(),
                        "`terok services down` stops it");
            }
            try {
                Thread.sleep(150);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CliException("interrupted while waiting for the console", "`terok services status` shows where it is");
            }
        }
    }

    /** Stops the console {@link #up} started; false when it survived SIGKILL. */
    public boolean down() throws IOException {
        if (!Files.exists(pidFile())) {
            progress("not started by terok (no pid file)");
            return true;
        }
        Optional<ProcessHandle> live = PidFiles.ours(pidFile(), jar());
        if (live.isEmpty()) {
            Files.deleteIfExists(pidFile());
            progress("not running (stale pid file removed)");
            return true;
        }
        ProcessHandle h = live.get();
        h.destroy();
        boolean ok = exited(h, EmbeddedServices.GRACE_MILLIS);
        if (!ok) {
            h.destroyForcibly();
            ok = exited(h, 5000);
        }
        if (!ok) {
            progress("FAILED: pid " + h.pid() + " survived SIGKILL");
            return false;
        }
        progress("stopped (pid " + h.pid() + ")");
        Files.deleteIfExists(pidFile());
        Files.deleteIfExists(portFile());
        return true;
    }

    /** One status line like the services' (the console's address instead of a socket). */
    public String statusLine(int width) {
        OptionalInt port = running();
        String where = port.isPresent() ? "http://127.0.0.1:" + port.getAsInt() : portFile().toString();
        String state = port.isPresent() ? "healthy" : built() ? "not running (`terok console` starts it)" : "not built";
        Optional<ProcessHandle> embedded = Optional.empty();
        try {
            embedded = PidFiles.ours(pidFile(), jar());
        } catch (CliException noHome) {
            // nothing embedded without an installation
        }
        return String.format("%-10s %-" + width + "s  %s%s", ID, where, state,
                embedded.map(h -> "  pid " + h.pid() + " (embedded)").orElse(""));
    }

    private OptionalInt recordedPort() {
        try {
            int port = Integer.parseInt(Files.readString(portFile()).strip());
            return port > 0 && port < 65536 ? OptionalInt.of(port) : OptionalInt.empty();
        } catch (IOException | NumberFormatException e) {
            return OptionalInt.empty();
        }
    }

    /** True when 127.0.0.1:port serves the console's style sheet (a plain HTTP/1.0 request, no library). */
    static boolean answers(int port, int timeoutMillis) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), timeoutMillis);
            s.setSoTimeout(timeoutMillis);
            OutputStream out = s.getOutputStream();
            out.write(("GET /static/console.css HTTP/1.0\r\nHost: 127.0.0.1:" + port + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            byte[] head = in.readNBytes(12);
            return new String(head, StandardCharsets.US_ASCII).startsWith("HTTP/1.") && new String(head, StandardCharsets.US_ASCII).endsWith("200");
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean exited(ProcessHandle h, long millis) {
        try {
            h.onExit().get(millis, TimeUnit.MILLISECONDS);
            return true;
        } catch (Exception e) {
            return !h.isAlive();
        }
    }

    private void progress(String what) {
        ctx.out.printf("  %-10s %s%n", ID, what);
        ctx.out.flush();
    }
}
