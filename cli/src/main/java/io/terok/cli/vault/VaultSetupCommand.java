package io.terok.cli.vault;

import static io.terok.cli.core.ServiceApi.VAULT;

import io.terok.api.v1.ProvisionPassphraseRequest;
import io.terok.api.v1.ProvisionPassphraseResponse;
import io.terok.cli.core.Context;
import io.terok.cli.core.Verb;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * `terok vault setup` (also run by `terok setup`): a new vault gets a generated passphrase kept in the best tier the
 * host offers. The service does the work (it holds the tiers); an existing database or source is left alone.
 */
@Command(name = "setup", description = {"Give a new vault a generated passphrase, kept in the best available tier",
    "(systemd-creds, the desktop keyring, else the kernel keyring). Never replaces an existing one."})
public final class VaultSetupCommand extends Verb {
    @Option(names = "--tier", paramLabel = "TIER", description = "Use this tier only: systemd-creds, secret-service or kernel-keyring.")
    String tier = "";

    @Override
    public Integer call() {
        return provision(ctx(), tier == null ? "" : tier);
    }

    /** Also `terok setup`'s vault step. */
    public static int provision(Context ctx, String tier) {
        ProvisionPassphraseResponse r = VAULT.call(ctx, "cannot provision the vault passphrase",
                v -> v.provisionPassphrase(ProvisionPassphraseRequest.newBuilder().setTier(tier).build()));
        if (!r.getProvisioned()) {
            ctx.out.println("vault passphrase: unchanged (" + r.getDetail() + ")");
        } else {
            ctx.out.println("vault passphrase: generated, " + r.getDetail());
            if (!r.getConfigFile().isEmpty()) {
                ctx.out.println("  recorded in " + r.getConfigFile());
            }
        }
        r.getWarningsList().forEach(ctx::warn);
        if (!r.getPassphrase().isEmpty()) {
            // Only for the kernel keyring, which a reboot empties: the one chance to keep it.
            ctx.err.println("  the passphrase (shown once, keep it somewhere safe): " + r.getPassphrase());
        }
        VaultCommand.print(ctx, r.getStatus());
        return 0;
    }
}
