package io.terok.cli.services;

import picocli.CommandLine.Command;

@Command(name = "services", description = "Run the five services as local processes (embedded mode).",
        subcommands = {ServicesUpCommand.class, ServicesDownCommand.class, ServicesStatusCommand.class})
public final class ServicesCommand {
}
