package io.terok.cli.vault;

import static io.terok.cli.core.ServiceApi.VAULT;

import io.terok.api.v1.AddSshKeyRequest;
import io.terok.api.v1.ExportSshKeyRequest;
import io.terok.api.v1.ExportSshKeyResponse;
import io.terok.api.v1.ImportSshKeyRequest;
import io.terok.api.v1.ListSshKeysRequest;
import io.terok.api.v1.RemoveSshKeyRequest;
import io.terok.api.v1.SshKeyInfo;
import io.terok.api.v1.SshKeyType;
import io.terok.api.v1.SshKeyUse;
import io.terok.cli.core.CliException;
import io.terok.cli.core.Context;
import io.terok.cli.core.Tasks;
import io.terok.cli.core.Verb;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * `terok ssh ...`: SSH keys held by the vault for projects. Each key has a use: a gate key (the default) is used only
 * by the gate to sync and forward; a task key is offered to the project's tasks through the vault's SSH agent
 * (SSH_AUTH_SOCK), which never holds a gate key. Tasks never see a key. A private key to import is read from a file or standard input, never
 * from the command line.
 */
@Command(name = "ssh", description = "SSH keys in the vault, used by a project's tasks through the vault's SSH agent.",
        subcommands = {SshCommand.Add.class, SshCommand.Import.class, SshCommand.ListKeys.class, SshCommand.Pub.class,
            SshCommand.Export.class, SshCommand.Remove.class, SshCommand.Use.class})
public final class SshCommand {
    static void print(Context ctx, SshKeyInfo k) {
        ctx.out.println(k.getId() + "  " + k.getProject() + "  " + k.getType().name().replace("SSH_KEY_TYPE_", "").toLowerCase(Locale.ROOT)
                + "  " + (k.getUse() == SshKeyUse.SSH_KEY_USE_TASK ? "task" : "gate") + "  " + k.getFingerprint() + "  " + k.getComment());
    }

    static SshKeyUse use(String option, String value) {
        return switch (value == null ? "" : value.toLowerCase(Locale.ROOT)) {
            case "gate" -> SshKeyUse.SSH_KEY_USE_GATE;
            case "task" -> SshKeyUse.SSH_KEY_USE_TASK;
            default -> throw new CliException(option + ": unknown use '" + value + "'",
                    "use gate (the gate syncs and forwards with it; never offered to tasks) or task (offered to the project's tasks)");
        };
    }

    static final String USE_HELP = "gate (default: only the gate's sync and forward use it, never a task) or task "
            + "(offered to this project's tasks through their SSH agent; the gate never uses it).";

    @Command(name = "add", description = "Generate a key for a project (ed25519 by default) and print its public key.")
    static final class Add extends Verb {
        @Parameters(index = "0", paramLabel = "PROJECT")
        String project;
        @Option(names = "--type", paramLabel = "TYPE", description = "ed25519 (default) or rsa.")
        String type = "ed25519";
        @Option(names = "--bits", paramLabel = "N", description = "RSA only: at least 3072 (default 4096).")
        int bits;
        @Option(names = "--comment", paramLabel = "TEXT", description = "Default: terok:PROJECT.")
        String comment = "";
        @Option(names = "--use", paramLabel = "USE", description = USE_HELP)
        String use = "gate";

        @Override
        public Integer call() {
            SshKeyUse u = use("--use", use);
            SshKeyType t = switch (type.toLowerCase(Locale.ROOT)) {
                case "ed25519" -> SshKeyType.SSH_KEY_TYPE_ED25519;
                case "rsa" -> SshKeyType.SSH_KEY_TYPE_RSA;
                default -> throw new CliException("--type: unknown key type '" + type + "'", "use ed25519 or rsa");
            };
            SshKeyInfo k = VAULT.call(ctx(), "cannot add the ssh key", v -> v.addSshKey(AddSshKeyRequest.newBuilder()
                    .setProject(project).setType(t).setBits(bits).setComment(comment).setUse(u).build()));
            print(ctx(), k);
            ctx().out.println(k.getPublicKey());
            return 0;
        }
    }

    @Command(name = "import", description = {"Import an OpenSSH private key (unencrypted) for a project,",
        "from FILE or, without FILE or with -, from standard input."})
    static final class Import extends Verb {
        @Parameters(index = "0", paramLabel = "PROJECT")
        String project;
        @Parameters(index = "1", arity = "0..1", paramLabel = "FILE")
        String file;
        @Option(names = "--comment", paramLabel = "TEXT", description = "Replaces the key file's comment.")
        String comment = "";
        @Option(names = "--use", paramLabel = "USE", description = USE_HELP)
        String use = "gate";

        @Override
        public Integer call() {
            SshKeyUse u = use("--use", use);
            String text;
            try {
                text = file == null || file.equals("-") ? new String(System.in.readAllBytes(), StandardCharsets.UTF_8)
                        : Files.readString(Path.of(file), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new CliException("cannot read the private key from " + (file == null ? "standard input" : file) + ": " + e.getMessage(),
                        "give a readable OpenSSH private key file");
            }
            if (text.isBlank()) {
                throw new CliException("no private key given", "pass a file (`terok ssh import " + project + " ~/.ssh/id_ed25519`) or pipe it in");
            }
            SshKeyInfo k = VAULT.call(ctx(), "cannot import the ssh key", v -> v.importSshKey(ImportSshKeyRequest.newBuilder()
                    .setProject(project).setPrivateKey(text).setComment(comment).setUse(u).build()));
            print(ctx(), k);
            ctx().out.println(k.getPublicKey());
            return 0;
        }
    }

    @Command(name = "use", description = {"Change a key's use for all its projects: gate (the gate's sync and forward only)",
        "or task (offered to its projects' tasks). Running tasks' agents follow at their next request."})
    static final class Use extends Verb {
        @Parameters(index = "0", paramLabel = "ID")
        long id;
        @Parameters(index = "1", paramLabel = "USE", description = "gate or task")
        String use;

        @Override
        public Integer call() {
            SshKeyUse u = use("USE", use);
            VAULT.call(ctx(), "cannot change the ssh key's use", v -> v.setSshKeyUse(io.terok.api.v1.SetSshKeyUseRequest.newBuilder()
                    .setId(id).setUse(u).build())).getKeysList().forEach(k -> print(ctx(), k));
            return 0;
        }
    }

    @Command(name = "list", description = "Keys, their use (gate or task) and the projects they belong to (never the private keys).")
    static final class ListKeys extends Verb {
        @Parameters(arity = "0..1", paramLabel = "PROJECT")
        String project = "";

        @Override
        public Integer call() {
            VAULT.call(ctx(), "cannot list ssh keys", v -> v.listSshKeys(ListSshKeysRequest.newBuilder()
                    .setProject(project == null ? "" : project).build())).getKeysList().forEach(k -> print(ctx(), k));
            return 0;
        }
    }

    @Command(name = "pub", description = "Print a key's public line (for authorized_keys or a forge's deploy keys).")
    static final class Pub extends Verb {
        @Parameters(index = "0", paramLabel = "ID")
        long id;

        @Override
        public Integer call() {
            ctx().out.println(VAULT.call(ctx(), "cannot read the ssh key", v -> v.exportSshKey(ExportSshKeyRequest.newBuilder()
                    .setId(id).build())).getPublicKey());
            return 0;
        }
    }

    @Command(name = "export", description = {"Print a key's public line; with --private, its private key file",
        "(this takes the key out of the vault: keep the output safe)."})
    static final class Export extends Verb {
        @Parameters(index = "0", paramLabel = "ID")
        long id;
        @Option(names = "--private", description = "Print the unencrypted private key.")
        boolean includePrivate;

        @Override
        public Integer call() {
            ExportSshKeyResponse r = VAULT.call(ctx(), "cannot export the ssh key", v -> v.exportSshKey(ExportSshKeyRequest.newBuilder()
                    .setId(id).setIncludePrivate(includePrivate).build()));
            if (includePrivate) {
                ctx().err.println("WARNING: this is the UNENCRYPTED private key of ssh key " + id
                        + "; anyone who reads it can use the key. Write it to a 0600 file or a secret store, never a shared place.");
                ctx().out.print(r.getPrivateKey());
            } else {
                ctx().out.println(r.getPublicKey());
            }
            return 0;
        }
    }

    @Command(name = "remove", aliases = "rm", description = "Delete a key from the vault (from every project; running tasks lose it at once).")
    static final class Remove extends Verb {
        @Parameters(index = "0", paramLabel = "ID")
        long id;

        @Override
        public Integer call() {
            boolean removed = VAULT.call(ctx(), "cannot remove the ssh key", v -> v.removeSshKey(RemoveSshKeyRequest.newBuilder()
                    .setId(id).build())).getRemoved();
            ctx().out.println(removed ? "removed ssh key " + id : "no ssh key " + id);
            return removed ? 0 : 1;
        }
    }
}
