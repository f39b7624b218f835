package io.terok.cli;

import io.terok.api.v1.HooksRequest;
import io.terok.api.v1.HooksStatus;
import picocli.CommandLine.Command;

/** `terok uninstall`: removes what `terok setup` installed. The credential database is kept. */
@Command(name = "uninstall", description = {"Remove what `terok setup` installed (the firewall hooks).",
    "Running filtered tasks can no longer be restarted with their firewall. The credential database is kept."})
final class UninstallCommand extends Verb {
    @Override
    public Integer call() {
        Context ctx = ctx();
        HooksStatus st = ShieldCommand.call(ctx, "cannot remove the firewall hooks", s -> s.uninstallHooks(HooksRequest.getDefaultInstance()));
        ctx.out.println("firewall hooks: " + (st.getInstalled() ? "STILL installed" : "removed") + " from " + st.getHooksDir());
        st.getProblemsList().forEach(p -> ctx.err.println("  problem: " + p));
        return st.getInstalled() ? 1 : 0;
    }
}
