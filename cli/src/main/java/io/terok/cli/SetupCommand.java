package io.terok.cli;

import io.terok.api.v1.HooksRequest;
import io.terok.api.v1.HooksStatus;
import picocli.CommandLine.Command;

/**
 * `terok setup`: makes this host ready for filtered tasks. Idempotent. Today: the services (embedded mode)
 * and shield's global OCI hooks, which load each task's firewall at every start of its container.
 */
@Command(name = "setup", description = {"Prepare this host: start the services (embedded mode) and install the",
    "firewall hooks podman runs at every container start. Safe to run again."})
final class SetupCommand extends Verb {
    @Override
    public Integer call() {
        Context ctx = ctx();
        ctx.out.println("services:");
        int up = TerokCommand.run(new String[] {"services", "up"}, ctx.out, ctx.err, ctx.env);
        if (up != 0) {
            return up;
        }
        boolean wasInstalled = ShieldCommand.call(ctx, "cannot check the firewall hooks",
                s -> s.getHooksStatus(HooksRequest.getDefaultInstance())).getInstalled();
        HooksStatus st = ShieldCommand.call(ctx, "cannot install the firewall hooks", s -> s.installHooks(HooksRequest.getDefaultInstance()));
        if (st.getInstalled() && !wasInstalled) {
            // podman reads hooks_dir when it starts: runtime's own podman API service must start again to see it.
            ctx.out.println("restarting the services so podman loads the new hooks:");
            TerokCommand.run(new String[] {"services", "down"}, ctx.out, ctx.err, ctx.env);
            int again = TerokCommand.run(new String[] {"services", "up"}, ctx.out, ctx.err, ctx.env);
            if (again != 0) {
                return again;
            }
        }
        ctx.out.println("firewall hooks: " + (st.getInstalled() ? "installed" : "NOT installed") + " in " + st.getHooksDir()
                + " (registered in " + st.getRegistrationFile() + ")");
        st.getProblemsList().forEach(p -> ctx.err.println("  problem: " + p));
        if (!st.getNote().isEmpty()) {
            ctx.out.println("  note: " + st.getNote());
        }
        return st.getInstalled() ? 0 : 1;
    }
}
