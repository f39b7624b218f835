package io.terok.cli.host;

import static io.terok.cli.core.ServiceApi.SHIELD;

import io.terok.api.v1.HooksRequest;
import io.terok.api.v1.HooksStatus;
import io.terok.cli.core.CliException;
import io.terok.cli.core.Context;
import io.terok.cli.core.Verb;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** `terok uninstall`: removes what `terok setup` installed. The credential database is kept unless --purge. */
@Command(name = "uninstall", description = {"Remove what `terok setup` installed.",
    "Without --user/--system: the firewall hooks of the embedded services. Running filtered tasks can no longer be "
        + "restarted with their firewall. The credential database is kept.",
    "With --user/--system: stop terok.target, remove the Quadlet units, the firewall hooks, the service images and "
        + "bash completion. The data volumes (credential database, gate mirrors, task records) are kept unless --purge."})
public final class UninstallCommand extends Verb {
    @ArgGroup(exclusive = true)
    SetupCommand.ModeOption mode;

    @Option(names = "--purge", description = "With --user/--system: also remove the data volumes (the credential "
            + "database!) and the firewall state.")
    boolean purge;

    @Override
    public Integer call() throws java.io.IOException {
        Context ctx = ctx();
        if (mode != null) {
            return new QuadletInstall(ctx, mode.deployment(ctx, "removes files from /etc")).uninstall(purge);
        }
        if (purge) {
            throw new CliException("--purge belongs to the Quadlet deployment", "add --user or --system");
        }
        HooksStatus st = SHIELD.call(ctx, "cannot remove the firewall hooks", s -> s.uninstallHooks(HooksRequest.getDefaultInstance()));
        ctx.out.println("firewall hooks: " + (st.getInstalled() ? "STILL installed" : "removed") + " from " + st.getHooksDir());
        st.getProblemsList().forEach(p -> ctx.err.println("  problem: " + p));
        return st.getInstalled() ? 1 : 0;
    }
}
