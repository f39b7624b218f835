package io.terok.vault;

import io.terok.common.ServiceException;
import io.terok.vault.passphrase.Provisioner;
import io.terok.vault.passphrase.TierFailedException;
import io.terok.vault.passphrase.TierSettings;
import java.nio.file.Path;
import java.util.Map;

/**
 * {@code terok setup}'s vault step, run inside the service (which holds the tiers and the D-Bus client): provisions a
 * generated passphrase through {@link Provisioner}, then switches the running vault to the chain the new
 * configuration gives and creates the database with it, so no restart is needed.
 */
public final class VaultSetup {
    private final Vault vault;
    private final Path credentialFile;
    private final Path configFile;
    private final Map<String, String> env;
    private TierSettings settings;

    public VaultSetup(Vault vault, TierSettings settings, Path credentialFile, Path configFile, Map<String, String> env) {
        this.vault = vault;
        this.settings = settings;
        this.credentialFile = credentialFile;
        this.configFile = configFile;
        this.env = env;
    }

    public Path configFile() {
        return configFile;
    }

    public synchronized Provisioner.Result provision(String tier) {
        vault.awaitStartup(); // decide on the vault as its unlock at start left it
        Provisioner.Result r;
        try {
            r = new Provisioner(settings, vault.file(), credentialFile, configFile, env).provision(tier);
        } catch (TierFailedException e) {
            throw ServiceException.precondition(e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new ServiceException(ServiceException.Kind.INVALID, e.getMessage());
        }
        if (r.outcome() == Provisioner.Outcome.PROVISIONED) {
            settings = r.settings();
            vault.provisioned(settings.chain(vault.file(), env), r.tier(), r.generated());
        }
        return r;
    }
}
