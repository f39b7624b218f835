package io.terok.cli.services;

import io.terok.cli.core.Context;
import io.terok.common.ServiceName;
import java.nio.file.Path;

/** Where the embedded services' jars, sockets, pid files and logs are. */
public final class ServiceLayout {
    final Path runtimeDir;
    final Path pidDir;
    final Path logDir;
    private final Context ctx;
    private Path home;

    public ServiceLayout(Context ctx) {
        this.ctx = ctx;
        this.runtimeDir = ctx.paths.runtimeDir();
        this.pidDir = runtimeDir.resolve("pids");
        this.logDir = ctx.paths.stateDir().resolve("logs");
    }

    /** The checkout or installation holding {@code <svc>-service/target/quarkus-app/}. */
    Path home() {
        if (home == null) {
            home = ctx.terokHome();
        }
        return home;
    }

    Path jar(ServiceName s) {
        return home().resolve(s.id() + "-service").resolve("target/quarkus-app/quarkus-run.jar");
    }

    public Path socket(ServiceName s) {
        return s.socket(runtimeDir);
    }

    Path pidFile(ServiceName s) {
        return pidDir.resolve(s.id() + ".pid");
    }

    Path logFile(ServiceName s) {
        return logDir.resolve(s.id() + ".log");
    }
}
