package io.terok.cli.host;

import static io.terok.cli.core.ServiceApi.SHIELD;

import io.terok.api.v1.HooksRequest;
import io.terok.api.v1.HooksStatus;
import io.terok.cli.core.CliException;
import io.terok.cli.core.Context;
import io.terok.cli.core.Verb;
import io.terok.cli.services.EmbeddedServices;
import io.terok.cli.vault.VaultSetupCommand;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * `terok setup`: makes this host ready for filtered tasks. Idempotent. Without a mode: the services in embedded mode,
 * shield's global OCI hooks, which load each task's firewall at every start of its container, and a generated vault
 * passphrase in the best available tier when the vault has neither a database nor a passphrase source. With
 * {@code --user}/{@code --system}: the Quadlet deployment (units, hooks, images, completion), see docs/deployment.md.
 */
@Command(name = "setup", description = {"Prepare this host. Safe to run again.",
    "Without --user/--system: start the services (embedded mode), install the firewall hooks podman runs at every "
        + "container start, and give a new vault a generated passphrase (kept by systemd-creds, the desktop keyring "
        + "or the kernel keyring).",
    "With --user (systemctl --user) or --system: install the Quadlet units and terok.target, the firewall hooks, the "
        + "service images and bash completion; then `systemctl [--user] start terok.target`."})
public final class SetupCommand extends Verb {
    /** --user or --system: the Quadlet deployment instead of embedded mode. */
    static final class ModeOption {
        @Option(names = "--user", required = true, description = "Install for this user's systemd manager "
                + "(~/.config/containers/systemd/).")
        boolean user;

        @Option(names = "--system", required = true, description = "Install for the system's systemd "
                + "(/etc/containers/systemd/; run as root).")
        boolean system;

        Deployment.Mode mode() {
            return user ? Deployment.Mode.USER : Deployment.Mode.SYSTEM;
        }

        /** The deployment to change; --system refuses unless root ({@code what} the verb does to /etc, for the message). */
        Deployment deployment(Context ctx, String what) {
            if (mode() == Deployment.Mode.SYSTEM && !ctx.paths.root()) {
                throw new CliException("--system " + what + " and needs root", "run it with sudo, or use --user");
            }
            return Deployment.of(mode(), ctx);
        }
    }

    /** How long setup waits for the embedded services, as `terok services up` does by default. */
    static final int SERVICES_TIMEOUT = 30;

    @ArgGroup(exclusive = true)
    ModeOption mode;

    @Option(names = "--base-image", paramLabel = "IMAGE", description = "Base image of the service images: a Debian or "
            + "Ubuntu image with Java 17+ (default: $TEROK_BASE_IMAGE, else " + ImageBuilder.DEFAULT_BASE + ").")
    String baseImage;

    @Option(names = "--no-images", description = "Do not build the service images (load them yourself as "
            + "localhost/terok-<service>:latest).")
    boolean noImages;

    @Override
    public Integer call() throws java.io.IOException {
        Context ctx = ctx();
        if (mode != null) {
            return new QuadletInstall(ctx, mode.deployment(ctx, "installs into /etc")).setup(baseImage, !noImages, spec.root().commandLine());
        }
        if (baseImage != null || noImages) {
            throw new CliException("--base-image and --no-images belong to the Quadlet deployment", "add --user or --system");
        }
        ctx.out.println("services:");
        int up = EmbeddedServices.up(ctx, SERVICES_TIMEOUT);
        if (up != 0) {
            return up;
        }
        boolean wasInstalled = SHIELD.call(ctx, "cannot check the firewall hooks",
                s -> s.getHooksStatus(HooksRequest.getDefaultInstance())).getInstalled();
        HooksStatus st = SHIELD.call(ctx, "cannot install the firewall hooks", s -> s.installHooks(HooksRequest.getDefaultInstance()));
        if (st.getInstalled() && !wasInstalled) {
            // podman reads hooks_dir when it starts: runtime's own podman API service must start again to see it.
            ctx.out.println("restarting the services so podman loads the new hooks:");
            EmbeddedServices.down(ctx);
            int again = EmbeddedServices.up(ctx, SERVICES_TIMEOUT);
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
