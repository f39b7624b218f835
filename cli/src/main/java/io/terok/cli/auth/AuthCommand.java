package io.terok.cli.auth;

import static io.terok.cli.core.ServiceApi.VAULT;

import io.terok.agents.roster.AgentDefinition;
import io.terok.agents.roster.Roster;
import io.terok.api.v1.CredentialInfo;
import io.terok.api.v1.CredentialKind;
import io.terok.api.v1.ListCredentialsRequest;
import io.terok.api.v1.ListProvidersRequest;
import io.terok.api.v1.Provider;
import io.terok.api.v1.PutCredentialRequest;
import io.terok.cli.core.CliException;
import io.terok.cli.core.Context;
import io.terok.cli.core.Verb;
import io.terok.cli.vault.VaultCommand;
import io.terok.common.Printable;
import io.terok.common.ServiceException;
import java.io.Console;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code terok auth [PROVIDER]}: stores a provider's API key in the vault under the name people know (the provider,
 * or the agent that uses it: {@code claude} is anthropic, {@code codex} openai). The provider is checked against the
 * vault's routes and the key against the vendor's published shape before anything is stored; the key is read from the
 * terminal without echo, or from standard input, never from the command line.
 */
@Command(name = "auth", description = {"Give an agent's provider its credential: an API key (typed without echo, or piped in).",
        "With no PROVIDER on a terminal: a menu of the providers. --list: which providers have one (never the value)."})
public final class AuthCommand extends Verb {
    @Parameters(arity = "0..1", paramLabel = "PROVIDER", description = "A vault provider (anthropic, openai, github, gitlab, or a"
            + " configured one) or an agent that uses one provider (claude, codex, ...).")
    String provider;

    @Option(names = "--list", description = "Which providers have a credential, of which kind, since when.")
    boolean list;

    @Option(names = "--set", paramLabel = "SET", description = "Credential set (default: default).")
    String set = "";

    @Option(names = {"--subscription", "--device-auth"}, description = {"A subscription instead of an API key, by the agent's"
            + " own login run in a throwaway container whose only egress is the vendor's login hosts. claude (anthropic):"
            + " `claude setup-token`; you open the link shown, sign in, and paste the code the page shows."
            + " codex (openai, chatgpt): Codex's ChatGPT device login; you open the link shown and enter the code."})
    boolean subscription;

    @Option(names = "--paste-token", description = "With --subscription for claude: no login container; the token `claude"
            + " setup-token` printed where you ran it (sk-ant-oat01-...), typed without echo or piped in.")
    boolean pasteToken;

    @Option(names = "--project", paramLabel = "PROJECT", description = "For a login in a container: the project whose image"
            + " runs the agent's login (default: the first project whose built image carries the agent).")
    String project;

    @Option(names = "--timeout", paramLabel = "SECONDS", description = "For a login in a container: how long to wait for"
            + " you to enter the code (default: 900).")
    long timeoutSeconds = 900;

    @Option(names = "--ca-file", paramLabel = "PEM", description = "For a login in a container: a PEM bundle the agent trusts"
            + " instead of its own roots (a TLS-inspecting proxy's CA).")
    java.nio.file.Path caFile;

    @Override
    public Integer call() {
        Context ctx = ctx();
        List<Provider> providers = VAULT.call(ctx, "cannot ask the vault for its providers",
                v -> v.listProviders(ListProvidersRequest.getDefaultInstance())).getProvidersList();
        if (list) {
            if (provider != null) {
                throw new CliException("--list takes no PROVIDER", "`terok auth --list`", CliException.USAGE, null);
            }
            return list(ctx, providers);
        }
        String name = provider != null ? resolve(ctx, provider, providers) : menu(ctx, providers);
        if (name.equals("chatgpt") && !subscription) {
            throw new CliException("provider chatgpt takes a ChatGPT login, not an API key; nothing stored",
                    "`terok auth codex --subscription`", CliException.USAGE, null);
        }
        if (pasteToken && !subscription) {
            throw new CliException("--paste-token goes with --subscription; nothing stored",
                    "`terok auth claude --subscription --paste-token`", CliException.USAGE, null);
        }
        if (subscription) {
            return storeSubscription(ctx, name);
        }
        String key = VaultCommand.secret(name + " API key: ").strip();
        KeyShapes.problem(name, key).ifPresent(p -> {
            throw new CliException(p + "; nothing stored", "copy the whole key from the " + name + " console and run `terok auth "
                    + name + "` again");
        });
        CredentialInfo info = VAULT.call(ctx, "cannot store the " + name + " credential", v -> v.putCredential(
                PutCredentialRequest.newBuilder().setProvider(name).setCredentialSet(set)
                        .setKind(CredentialKind.CREDENTIAL_KIND_API_KEY).setApiKey(key).build()));
        ctx.out.println("stored the " + info.getProvider() + " API key in set " + info.getCredentialSet()
                + (KeyShapes.known(name) ? "" : " (its shape is not known to terok: not checked)"));
        return 0;
    }

    /**
     * A subscription token: Claude's from {@code claude setup-token}, stored as an OAuth credential that the broker
     * sends as Anthropic expects one (Bearer plus its OAuth beta flag) while the task keeps its phantom API key.
     */
    private int storeSubscription(Context ctx, String name) {
        if (pasteToken && !name.equals("anthropic")) {
            throw new CliException("--paste-token is for a Claude subscription token (provider anthropic), not " + name
                    + "; nothing stored", "`terok auth claude --subscription --paste-token`", CliException.USAGE, null);
        }
        boolean inContainer = name.equals("openai") || name.equals("chatgpt") || (name.equals("anthropic") && !pasteToken);
        if (inContainer) {
            if (timeoutSeconds < 10 || timeoutSeconds > 3600) {
                throw new CliException("--timeout: " + timeoutSeconds + " is not between 10 and 3600 seconds; nothing stored",
                        "`terok auth " + (name.equals("anthropic") ? "claude" : "codex") + " --subscription --timeout 900`",
                        CliException.USAGE, null);
            }
            io.terok.agents.auth.SubscriptionLogin login = name.equals("anthropic") ? io.terok.agents.auth.SubscriptionLogin.CLAUDE
                    : io.terok.agents.auth.SubscriptionLogin.CODEX;
            return new ContainerLogin(ctx, login, set).run(project, java.time.Duration.ofSeconds(timeoutSeconds), caFile);
        }
        if (!name.equals("anthropic")) {
            throw new CliException("provider " + name + " has no subscription login in terok; nothing stored",
                    "store an API key with `terok auth " + name + "`", CliException.USAGE, null);
        }
        String token = VaultCommand.secret("Claude subscription token (from `claude setup-token`): ").strip();
        KeyShapes.subscriptionProblem(name, token).ifPresent(p -> {
            throw new CliException(p + "; nothing stored", "run `claude setup-token` where you are logged in to Claude,"
                    + " then paste the whole token it prints into `terok auth claude --subscription --paste-token`"
                    + " (or let terok run the login: `terok auth claude --subscription`)");
        });
        CredentialInfo info = VAULT.call(ctx, "cannot store the " + name + " subscription token", v -> v.putCredential(
                PutCredentialRequest.newBuilder().setProvider(name).setCredentialSet(set)
                        .setKind(CredentialKind.CREDENTIAL_KIND_OAUTH).setOauthAccessToken(token).build()));
        ctx.out.println("stored the Claude subscription token for " + info.getProvider() + " in set " + info.getCredentialSet()
                + " (a task gets a phantom in CLAUDE_CODE_OAUTH_TOKEN; the broker sends the real token)");
        return 0;
    }

    /** A provider name, or an agent's (when the agent uses exactly one provider), to the vault's provider. */
    static String resolve(Context ctx, String given, List<Provider> providers) {
        Map<String, Provider> byName = new LinkedHashMap<>();
        providers.forEach(p -> byName.put(p.getName(), p));
        if (byName.containsKey(given)) {
            return given;
        }
        Optional<AgentDefinition> agent = roster(ctx).flatMap(r -> r.find(given));
        // A provider with a login file (Codex's chatgpt) is a subscription's: the API-key providers decide.
        List<String> keyed = agent.map(a -> a.providers().values().stream().filter(p -> p.loginFile() == null)
                .map(AgentDefinition.Provider::id).toList()).orElse(List.of());
        if (agent.isPresent() && keyed.size() == 1) {
            String p = keyed.get(0);
            if (byName.containsKey(p)) {
                return p;
            }
            throw new CliException("agent " + given + " uses provider " + p + ", which the vault has no route for; nothing stored",
                    "add it as terok.vault.providers." + p + ".upstream in config.yaml; known providers: " + String.join(", ", byName.keySet()));
        }
        if (agent.isPresent()) {
            throw new CliException("agent " + given + " can use several providers (" + String.join(", ",
                    new java.util.TreeSet<>(agent.get().providers().keySet())) + "): name the one to store a key for; nothing stored",
                    "`terok auth PROVIDER`", CliException.USAGE, null);
        }
        throw new CliException("unknown provider '" + Printable.line(given, 64) + "'; nothing stored",
                "known providers: " + String.join(", ", byName.keySet())
                        + " (more in config.yaml under terok.vault.providers)", CliException.USAGE, null);
    }

    private static Optional<Roster> roster(Context ctx) {
        try {
            return Optional.of(Roster.load(ctx.paths.configDir().resolve("agents")));
        } catch (ServiceException e) {
            return Optional.empty(); // a broken user definition must not stop a person storing a key by provider name
        }
    }

    /** The menu: numbered providers with whether each has a credential; a number or a name picks one. */
    private String menu(Context ctx, List<Provider> providers) {
        Console console = System.console();
        if (console == null) {
            throw new CliException("which provider? no terminal to show the menu on", "name it: `terok auth PROVIDER` ("
                    + String.join(", ", providers.stream().map(Provider::getName).toList()) + ")", CliException.USAGE, null);
        }
        Map<String, CredentialInfo> stored = stored(ctx);
        List<String> names = new ArrayList<>();
        ctx.out.println("Which provider gets a credential?");
        for (Provider p : providers) {
            names.add(p.getName());
            CredentialInfo c = stored.get(p.getName());
            ctx.out.printf("  %d) %-12s %s%n", names.size(), p.getName(), c == null ? "" : "(has " + kind(c) + ")");
        }
        ctx.out.flush();
        String answer = console.readLine("provider [1-%d or name]: ", names.size());
        answer = answer == null ? "" : answer.strip();
        if (answer.matches("\\d{1,3}") && Integer.parseInt(answer) >= 1 && Integer.parseInt(answer) <= names.size()) {
            return names.get(Integer.parseInt(answer) - 1);
        }
        if (answer.isEmpty()) {
            throw new CliException("no provider chosen; nothing stored", "run `terok auth` again, or `terok auth PROVIDER`");
        }
        return resolve(ctx, answer, providers);
    }

    private Map<String, CredentialInfo> stored(Context ctx) {
        Map<String, CredentialInfo> out = new LinkedHashMap<>();
        VAULT.call(ctx, "cannot list the credentials", v -> v.listCredentials(ListCredentialsRequest.newBuilder()
                .setCredentialSet(set).build())).getCredentialsList().forEach(c -> out.put(c.getProvider(), c));
        return out;
    }

    private int list(Context ctx, List<Provider> providers) {
        List<CredentialInfo> all = VAULT.call(ctx, "cannot list the credentials", v -> v.listCredentials(
                ListCredentialsRequest.newBuilder().setCredentialSet(set).build())).getCredentialsList();
        ctx.out.printf("%-12s %-14s %-10s %-22s %s%n", "PROVIDER", "CREDENTIAL", "SET", "STORED", "EXPIRES");
        for (Provider p : providers) {
            List<CredentialInfo> mine = all.stream().filter(c -> c.getProvider().equals(p.getName())).toList();
            if (mine.isEmpty()) {
                ctx.out.printf("%-12s %s%n", p.getName(), "none");
            }
            for (CredentialInfo c : mine) {
                ctx.out.printf("%-12s %-14s %-10s %-22s %s%n", p.getName(), kind(c), Printable.line(c.getCredentialSet(), 10),
                        time(c.getUpdatedAt()), c.hasOauthExpiresAt() ? time(c.getOauthExpiresAt()) : "");
            }
        }
        return 0;
    }

    static String kind(CredentialInfo c) {
        return c.getKind() == CredentialKind.CREDENTIAL_KIND_OAUTH ? "subscription" : "api key";
    }

    private static String time(com.google.protobuf.Timestamp t) {
        return java.time.Instant.ofEpochSecond(t.getSeconds()).toString();
    }
}
