package io.terok.cli.vault;

import static io.terok.cli.core.ServiceApi.VAULT;

import io.terok.api.v1.ChangePassphraseRequest;
import io.terok.api.v1.CredentialKind;
import io.terok.api.v1.DeleteCredentialRequest;
import io.terok.api.v1.ListCredentialsRequest;
import io.terok.api.v1.ListProvidersRequest;
import io.terok.api.v1.ListTokensRequest;
import io.terok.api.v1.LockRequest;
import io.terok.api.v1.PutCredentialRequest;
import io.terok.api.v1.UnlockRequest;
import io.terok.api.v1.VaultStatus;
import io.terok.api.v1.VaultStatusRequest;
import io.terok.cli.core.CliException;
import io.terok.cli.core.Context;
import io.terok.cli.core.Verb;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * `terok vault ...`: the encrypted credential store. Secrets are read from the terminal without echo, or
 * from one line of standard input when it is not a terminal; they never appear on the command line.
 */
@Command(name = "vault", description = "The encrypted credential vault: lock state, credentials, phantom tokens.",
        subcommands = {VaultCommand.Status.class, VaultCommand.Unlock.class, VaultCommand.Lock.class,
            VaultCommand.Passphrase.class, VaultCommand.Add.class, VaultCommand.ListCreds.class, VaultCommand.Remove.class,
            VaultCommand.Tokens.class, VaultAuditCommand.class, VaultSetupCommand.class})
public final class VaultCommand {
    /** A secret from the terminal (no echo) or one stdin line. */
    public static String secret(String prompt) {
        java.io.Console console = System.console();
        if (console != null) {
            char[] c = console.readPassword("%s", prompt);
            return c == null ? "" : new String(c);
        }
        try {
            String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            return line == null ? "" : line;
        } catch (IOException e) {
            throw new CliException("cannot read " + prompt.trim() + " from standard input: " + e.getMessage(), null);
        }
    }

    static void print(Context ctx, VaultStatus s) {
        ctx.out.println("database:  " + s.getDatabasePath() + (s.getInitialized() ? "" : " (not created yet)"));
        ctx.out.println("state:     " + (s.getUnlocked() ? "unlocked (" + s.getTier() + ")"
                : s.getHeldSince().isEmpty() ? "locked" : "locked and held since " + s.getHeldSince()
                        + " (it does not unlock itself at start; `terok vault unlock` lifts the hold)"));
        if (s.getSchemaVersion() > 0) {
            ctx.out.println("schema:    " + s.getSchemaVersion());
        }
        ctx.out.println("broker:    127.0.0.1:" + s.getBrokerPort());
        if (!s.getError().isEmpty()) {
            ctx.out.println("problem:   " + s.getError());
        }
    }

    @Command(name = "status", description = "Whether the vault is unlocked, by which tier, and where its database is.")
    static final class Status extends Verb {
        @Override
        public Integer call() {
            VaultStatus s = VAULT.call(ctx(), "cannot read the vault status", v -> v.status(VaultStatusRequest.getDefaultInstance()));
            print(ctx(), s);
            return s.getUnlocked() ? 0 : 1;
        }
    }

    @Command(name = "unlock", description = "Unlock with the configured passphrase tiers, or with a passphrase you type (--prompt).")
    static final class Unlock extends Verb {
        @Option(names = "--prompt", description = "Type the passphrase instead of using the configured tiers.")
        boolean prompt;

        @Override
        public Integer call() {
            String pass = prompt ? secret("vault passphrase: ") : "";
            print(ctx(), VAULT.call(ctx(), "cannot unlock the vault",
                    v -> v.unlock(UnlockRequest.newBuilder().setPassphrase(pass).build())));
            return 0;
        }
    }

    @Command(name = "lock", description = "Lock the vault: the broker answers 503 until it is unlocked again.")
    static final class Lock extends Verb {
        @Option(names = "--hold", description = "Keep it locked across restarts of the vault service until `terok vault unlock`"
                + " (what `terok panic` does).")
        boolean hold;

        @Override
        public Integer call() {
            print(ctx(), VAULT.call(ctx(), "cannot lock the vault",
                    v -> v.lock(LockRequest.newBuilder().setHold(hold).build())));
            return 0;
        }
    }

    @Command(name = "passphrase", description = "Manage the vault passphrase.", subcommands = Passphrase.Change.class)
    static final class Passphrase {
        @Command(name = "change", description = "Re-key the database in place with a new passphrase.")
        static final class Change extends Verb {
            @Override
            public Integer call() {
                String current = secret("current passphrase: ");
                String next = secret("new passphrase: ");
                print(ctx(), VAULT.call(ctx(), "cannot change the passphrase", v -> v.changePassphrase(
                        ChangePassphraseRequest.newBuilder().setCurrentPassphrase(current).setNewPassphrase(next).build())));
                ctx().err.println("re-keyed; update the tier that holds the passphrase (e.g. your passphrase command)");
                return 0;
            }
        }
    }

    @Command(name = "add", description = "Store a provider's API key (read from the terminal or stdin).")
    static final class Add extends Verb {
        @Parameters(index = "0", paramLabel = "PROVIDER", description = "anthropic, openai, github, gitlab, or a configured one.")
        String provider;
        @Option(names = "--set", paramLabel = "SET", description = "Credential set (default: default).")
        String set = "";

        @Override
        public Integer call() {
            String key = secret(provider + " API key: ");
            if (key.isBlank()) {
                throw new CliException("no API key given", "type it at the prompt, or pipe it: `... | terok vault add " + provider + "`");
            }
            var info = VAULT.call(ctx(), "cannot store the credential", v -> v.putCredential(PutCredentialRequest.newBuilder()
                    .setProvider(provider).setCredentialSet(set).setKind(CredentialKind.CREDENTIAL_KIND_API_KEY).setApiKey(key).build()));
            ctx().out.println("stored " + info.getProvider() + " in set " + info.getCredentialSet());
            return 0;
        }
    }

    @Command(name = "list", description = "Providers, and the credentials stored for them (never the secrets).")
    static final class ListCreds extends Verb {
        @Option(names = "--set", paramLabel = "SET")
        String set = "";

        @Override
        public Integer call() {
            VAULT.call(ctx(), "cannot list providers", v -> v.listProviders(ListProvidersRequest.getDefaultInstance()))
                    .getProvidersList().forEach(p -> ctx().out.println("provider   " + p.getName() + "  " + p.getUpstreamUrl()
                            + (p.getGitHostsCount() == 0 ? "" : "  git: " + String.join(", ", p.getGitHostsList()) + " as " + p.getGitUser())));
            VAULT.call(ctx(), "cannot list credentials", v -> v.listCredentials(ListCredentialsRequest.newBuilder().setCredentialSet(set).build()))
                    .getCredentialsList().forEach(c -> ctx().out.println("credential " + c.getCredentialSet() + "/" + c.getProvider()
                            + "  " + c.getKind().name().replace("CREDENTIAL_KIND_", "").toLowerCase()));
            return 0;
        }
    }

    @Command(name = "rm", description = "Delete a stored credential.")
    static final class Remove extends Verb {
        @Parameters(index = "0", paramLabel = "PROVIDER")
        String provider;
        @Option(names = "--set", paramLabel = "SET")
        String set = "";

        @Override
        public Integer call() {
            boolean deleted = VAULT.call(ctx(), "cannot delete the credential", v -> v.deleteCredential(
                    DeleteCredentialRequest.newBuilder().setProvider(provider).setCredentialSet(set).build())).getDeleted();
            ctx().out.println(deleted ? "deleted " + provider : "no credential for " + provider);
            return deleted ? 0 : 1;
        }
    }

    @Command(name = "tokens", description = "Phantom tokens alive for tasks (ids only; the tokens themselves are never shown).")
    static final class Tokens extends Verb {
        @Parameters(arity = "0..1", paramLabel = "TASK_ID")
        String task = "";

        @Override
        public Integer call() {
            VAULT.call(ctx(), "cannot list tokens", v -> v.listTokens(ListTokensRequest.newBuilder().setTaskId(task == null ? "" : task).build()))
                    .getTokensList().forEach(t -> ctx().out.println(t.getId() + "  task " + t.getTaskId() + "  " + t.getProvider()
                            + "  set " + t.getCredentialSet()));
            return 0;
        }
    }
}
