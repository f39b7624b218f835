package io.terok.cli;

import io.terok.common.ServiceName;
import io.terok.common.TerokPaths;
import io.terok.common.grpc.HealthProbe;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "up", description = {"Start the five service jars as background processes, skipping every service that "
        + "already answers on its socket, and wait until all are healthy.",
    "Jars: $TEROK_HOME/<svc>-service/target/quarkus-app/quarkus-run.jar (TEROK_HOME defaults to this checkout). "
        + "Logs: <state dir>/logs/<svc>.log. Pid files: <runtime dir>/pids/<svc>.pid."})
final class ServicesUpCommand extends Verb {
    static final List<String> JVM_OPTIONS = List.of("-Xmx256m", "-XX:+UseSerialGC");

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "30",
            description = "How long to wait for every service to become healthy (default ${DEFAULT-VALUE}).")
    int timeout;

    /** A service being waited for; {@code process} is empty when something else started it. */
    private record Starting(ServiceName service, Optional<ProcessHandle> process, long startNanos) {
    }

    @Override
    public Integer call() throws IOException {
        Context ctx = ctx();
        ServiceLayout layout = new ServiceLayout(ctx);
        ctx.beforeGrpc();
        TerokPaths.ensurePrivateDir(layout.runtimeDir);
        TerokPaths.ensurePrivateDir(layout.pidDir);
        Files.createDirectories(layout.logDir);

        Map<ServiceName, HealthProbe.Result> before = Health.probeAll(layout, 2000);
        List<Starting> waiting = new ArrayList<>();
        List<ServiceName> toStart = new ArrayList<>();
        for (ServiceName s : ServiceName.values()) {
            Optional<ProcessHandle> ours;
            if (before.get(s).serving()) {
                ServicesCommand.progress(ctx, s, "already up (" + layout.socket(s) + ")");
            } else if ((ours = PidFiles.ours(layout.pidFile(s), layout.jar(s))).isPresent()) {
                ServicesCommand.progress(ctx, s, "already starting (pid " + ours.get().pid() + ")");
                waiting.add(new Starting(s, ours, System.nanoTime()));
            } else if (Files.exists(layout.socket(s)) && Health.listening(layout.socket(s))) {
                ServicesCommand.progress(ctx, s, "something listens on " + layout.socket(s) + " but is not healthy yet; waiting");
                waiting.add(new Starting(s, Optional.empty(), System.nanoTime()));
            } else {
                toStart.add(s);
            }
        }
        List<String> missing = toStart.stream().map(layout::jar).filter(j -> !Files.isRegularFile(j))
                .map(Path::toString).toList();
        if (!missing.isEmpty()) {
            throw new CliException("service jars are missing: " + String.join(", ", missing),
                    "build them with `./mvnw -B -DskipTests package` in " + layout.home()
                            + " (or point TEROK_HOME at an installation)");
        }
        for (ServiceName s : toStart) {
            Files.deleteIfExists(layout.socket(s)); // a stale socket (nobody listens) blocks the bind
            Process p = start(ctx, layout, s);
            PidFiles.write(layout.pidFile(s), p.pid());
            ServicesCommand.progress(ctx, s, "starting (pid " + p.pid() + ", log " + layout.logFile(s) + ")");
            waiting.add(new Starting(s, Optional.of(p.toHandle()), System.nanoTime()));
        }
        return awaitHealthy(ctx, layout, waiting);
    }

    private int awaitHealthy(Context ctx, ServiceLayout layout, List<Starting> waiting) {
        long deadline = System.nanoTime() + timeout * 1_000_000_000L;
        List<String> failures = new ArrayList<>();
        while (!waiting.isEmpty()) {
            for (Starting w : List.copyOf(waiting)) {
                ServiceName s = w.service();
                if (w.process().isPresent() && !w.process().get().isAlive()) {
                    failures.add(s.id() + " exited before it became healthy; read " + layout.logFile(s));
                    ServicesCommand.progress(ctx, s, "FAILED (exited)");
                    waiting.remove(w);
                } else if (HealthProbe.check(layout.socket(s), 1000).serving()) {
                    ServicesCommand.progress(ctx, s, String.format("up (%.1f s)", (System.nanoTime() - w.startNanos()) / 1e9));
                    waiting.remove(w);
                }
            }
            if (!waiting.isEmpty() && System.nanoTime() > deadline) {
                for (Starting w : waiting) {
                    failures.add(w.service().id() + " did not come up within " + timeout + " s; read "
                            + layout.logFile(w.service()));
                    ServicesCommand.progress(ctx, w.service(), "FAILED (timeout)");
                }
                break;
            }
            if (!waiting.isEmpty()) {
                sleep(150);
            }
        }
        if (failures.isEmpty()) {
            return 0;
        }
        failures.forEach(f -> ctx.err.println("terok: " + f));
        ctx.err.println("hint: fix what the log says and run `terok services up` again; "
                + "`terok services down` stops the services that did start");
        return CliException.FAILED;
    }

    private static Process start(Context ctx, ServiceLayout layout, ServiceName s) throws IOException {
        List<String> cmd = new ArrayList<>();
        // Own session: closing the terminal the services were started from must not take them down.
        for (String setsid : List.of("/usr/bin/setsid", "/bin/setsid")) {
            if (Files.isExecutable(Path.of(setsid))) {
                cmd.add(setsid);
                break;
            }
        }
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(JVM_OPTIONS);
        cmd.add("-jar");
        cmd.add(layout.jar(s).toAbsolutePath().normalize().toString());
        Path log = layout.logFile(s);
        if (Files.exists(log)) {
            Files.move(log, log.resolveSibling(log.getFileName() + ".1"), StandardCopyOption.REPLACE_EXISTING);
        }
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(layout.home().toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.to(log.toFile()));
        Map<String, String> env = pb.environment();
        ctx.env.forEach((k, v) -> {
            if (k.startsWith("TEROK_") || k.startsWith("XDG_")) {
                env.put(k, v);
            }
        });
        env.put("TEROK_RUNTIME_DIR", layout.runtimeDir.toString());
        return pb.start();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("interrupted while waiting for the services", "`terok services status` shows where they are");
        }
    }
}
