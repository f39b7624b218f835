package io.terok.cli;

import io.terok.common.ServiceName;
import java.io.IOException;
import java.nio.file.Files;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;

@Command(name = "down", description = {"Stop the services `terok services up` started (and nothing else): SIGTERM, "
        + "then SIGKILL after 10 s.",
    "A pid file is only trusted while /proc/<pid>/cmdline still names the service's quarkus-run.jar."})
final class ServicesDownCommand extends Verb {
    static final long GRACE_MILLIS = 10_000;

    @Override
    public Integer call() throws IOException {
        Context ctx = ctx();
        ServiceLayout layout = new ServiceLayout(ctx);
        Map<ServiceName, ProcessHandle> stopping = new EnumMap<>(ServiceName.class);
        for (ServiceName s : ServiceName.values()) {
            var pidFile = layout.pidFile(s);
            if (!Files.exists(pidFile)) {
                ServicesCommand.progress(ctx, s, "not started by terok (no pid file)");
                continue;
            }
            OptionalLong pid = PidFiles.read(pidFile);
            Optional<ProcessHandle> live = pid.isPresent() ? ProcessHandle.of(pid.getAsLong()).filter(ProcessHandle::isAlive)
                    : Optional.empty();
            if (live.isEmpty()) {
                Files.deleteIfExists(pidFile);
                ServicesCommand.progress(ctx, s, "not running (stale pid file removed)");
            } else if (!PidFiles.runsJar(pid.getAsLong(), layout.jar(s))) {
                Files.deleteIfExists(pidFile);
                ServicesCommand.progress(ctx, s, "pid " + pid.getAsLong() + " is not " + layout.jar(s)
                        + "; left it alone (stale pid file removed)");
            } else {
                live.get().destroy();
                stopping.put(s, live.get());
            }
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(GRACE_MILLIS);
        int exit = 0;
        for (Map.Entry<ServiceName, ProcessHandle> e : stopping.entrySet()) {
            ServiceName s = e.getKey();
            ProcessHandle h = e.getValue();
            if (exited(h, Math.max(0, deadline - System.nanoTime()))) {
                ServicesCommand.progress(ctx, s, "stopped (pid " + h.pid() + ")");
            } else {
                h.destroyForcibly();
                if (exited(h, TimeUnit.SECONDS.toNanos(5))) {
                    ServicesCommand.progress(ctx, s, "killed (pid " + h.pid() + " ignored SIGTERM for 10 s)");
                } else {
                    ServicesCommand.progress(ctx, s, "FAILED: pid " + h.pid() + " survived SIGKILL");
                    exit = CliException.FAILED;
                    continue;
                }
            }
            Files.deleteIfExists(layout.pidFile(s));
            Files.deleteIfExists(layout.socket(s));
        }
        return exit;
    }

    private static boolean exited(ProcessHandle h, long nanos) {
        try {
            h.onExit().get(nanos, TimeUnit.NANOSECONDS);
            return true;
        } catch (TimeoutException e) {
            return !h.isAlive();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !h.isAlive();
        } catch (ExecutionException e) {
            return !h.isAlive();
        }
    }
}
