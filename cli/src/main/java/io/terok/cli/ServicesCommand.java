package io.terok.cli;

import io.terok.common.ServiceName;
import picocli.CommandLine.Command;

@Command(name = "services", description = "Run the five services as local processes (embedded mode).",
        subcommands = {ServicesUpCommand.class, ServicesDownCommand.class, ServicesStatusCommand.class})
final class ServicesCommand {
    /** One line of `services up`/`down` output: {@code   <service>  <what happened>}. */
    static void progress(Context ctx, ServiceName s, String what) {
        ctx.out.printf("  %-10s %s%n", s.id(), what);
        ctx.out.flush();
    }
}
