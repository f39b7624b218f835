package io.terok.cli.services;

import io.terok.cli.core.Verb;
import java.io.IOException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "up", description = {"Start the five service jars as background processes, skipping every service that "
        + "already answers on its socket, and wait until all are healthy; then the web console (`terok console`) when "
        + "it is built.",
    "Jars: $TEROK_HOME/<svc>-service/target/quarkus-app/quarkus-run.jar (TEROK_HOME defaults to this checkout). "
        + "Logs: <state dir>/logs/<svc>.log. Pid files: <runtime dir>/pids/<svc>.pid."})
final class ServicesUpCommand extends Verb {
    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "30",
            description = "How long to wait for every service to become healthy (default ${DEFAULT-VALUE}).")
    int timeout;

    @Option(names = "--no-console", description = "Leave the web console out.")
    boolean noConsole;

    @Override
    public Integer call() throws IOException {
        int exit = EmbeddedServices.up(ctx(), timeout);
        if (exit != 0 || noConsole) {
            return exit;
        }
        EmbeddedConsole console = new EmbeddedConsole(ctx());
        if (!console.built()) {
            ctx().out.printf("  %-10s %s%n", EmbeddedConsole.ID, "not built (skipped; `./mvnw -B -DskipTests package -pl console -am` builds it)");
            return 0;
        }
        console.up(timeout);
        return 0;
    }
}
