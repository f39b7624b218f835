package io.terok.cli.services;

import io.terok.cli.core.Verb;
import io.terok.cli.spare.Spare;
import io.terok.cli.spare.SpareCommand;
import java.io.IOException;
import picocli.CommandLine.Command;

@Command(name = "down", description = {"Stop the services and the console `terok services up` started (and nothing else): SIGTERM, "
        + "then SIGKILL after 10 s; and the waiting spare CLI process.",
    "A pid file is only trusted while /proc/<pid>/cmdline still names the service's quarkus-run.jar."})
final class ServicesDownCommand extends Verb {
    @Override
    public Integer call() throws IOException {
        int exit = EmbeddedServices.down(ctx());
        SpareCommand.stop(Spare.dir(ctx().paths)); // the CLI's spare process goes with the services
        return new EmbeddedConsole(ctx()).down() ? exit : io.terok.cli.core.CliException.FAILED;
    }
}
