package io.terok.cli;

import io.terok.api.v1.HooksRequest;
import io.terok.api.v1.HooksStatus;
import picocli.CommandLine.Command;

/**
 * `terok setup`: makes this host ready for filtered tasks. Idempotent. Today: the services (embedded mode),
 * shield's global OCI hooks, which load each task's firewall at every start of its container, and a generated vault
 * passphrase in the best available tier when the vault has neither a database nor a passphrase source.
 */
@Command(name = "setup", description = {"Prepare this host: start the services (embedded mode), install the",
    "firewall hooks podman runs at every container start, and give a new vault a generated passphrase",
    "(kept by systemd-creds, the desktop keyring or the kernel keyring). Safe to run again."})
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
        int vault;
        try {
            vault = VaultSetupCommand.provision(ctx, "");
        } catch (CliException e) {
            // The firewall part is done; say what failed in the vault part and how to fix it, then fail.
            ctx.err.println("terok: " + e.getMessage());
            if (e.hint() != null) {
                ctx.err.println("  " + e.hint());
            }
            vault = 1;
        }
        return st.getInstalled() && vault == 0 ? 0 : 1;
    }
}
