package io.terok.agents.auth;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * How an agent's own subscription login runs in a throwaway login container: the command, its environment (every
 * path on the container's tmpfs, so the credential never touches a disk), the shield profile that is its only egress
 * (the vendor's login hosts), the link the person is expected to be shown, the file the login leaves, and the variable
 * through which the agent takes an operator's CA bundle.
 *
 * @param provider     the vault provider the credential is stored for
 * @param vendor       what the person knows the login as ("ChatGPT")
 * @param deviceLink   the vendor's device page as terok knows it: the only link ever shown ({@link DeviceCodePrompt})
 * @param caEnv        the variables through which the agent takes a PEM bundle it trusts instead of its roots (a
 *                     TLS-inspecting proxy's CA, a test's CA)
 * @param resultFile   the file the login leaves; empty when the credential is printed on its terminal instead
 * @param dirs         directories made (0700, on tmpfs) before the login runs: Codex refuses a CODEX_HOME that does
 *                     not exist
 */
public record SubscriptionLogin(String provider, String agent, String vendor, List<String> command, Map<String, String> env,
                                String shieldProfile, String deviceLink, String resultFile, List<String> caEnv, List<String> dirs) {
    /** The login's home: on the container's tmpfs (read-only root), gone with the container. */
    public static final String HOME = "/tmp/terok-login";
    /** Where an operator's CA bundle is mounted read-only. */
    public static final String CA_PATH = "/etc/terok-login/ca.pem";

    /**
     * Codex's ChatGPT login (measured on Codex 0.171.0, docs/agents.md): the device-code flow against
     * auth.openai.com, which writes $CODEX_HOME/auth.json; CODEX_CA_CERTIFICATE (and, for its HTTP client's
     * native roots, SSL_CERT_FILE) replace its trusted roots.
     */
    public static final SubscriptionLogin CODEX = new SubscriptionLogin("chatgpt", "codex", "ChatGPT",
            List.of("codex", "login", "--device-auth"), Map.of("HOME", HOME, "CODEX_HOME", HOME + "/.codex"),
            "login-openai", "https://auth.openai.com/codex/device", HOME + "/.codex/auth.json",
            List.of("CODEX_CA_CERTIFICATE", "SSL_CERT_FILE"),
            List.of(HOME + "/.codex"));

    /**
     * Claude Code's {@code claude setup-token} (measured on 2.1.332, docs/agents.md): it draws only on a terminal
     * (with a pipe for stdin it prints nothing and waits), shows the authorize link ({@link SetupTokenScreen}), reads the
     * pasted {@code code#state}, exchanges it at platform.claude.com and fetches the profile from api.anthropic.com,
     * then prints the token; it writes no credential file. CLAUDE_CODE_FULL_SIGN_IN_LINK makes it print the plain OAuth
     * link instead of its compact form (which drops the client id and state), so terok can check every part of it;
     * NODE_EXTRA_CA_CERTS adds an operator's CA to its roots.
     */
    public static final SubscriptionLogin CLAUDE = new SubscriptionLogin("anthropic", "claude", "Claude",
            List.of("claude", "setup-token"), Map.of("HOME", HOME, "CLAUDE_CONFIG_DIR", HOME + "/.claude",
                    "CLAUDE_CODE_FULL_SIGN_IN_LINK", "1", "DISABLE_TELEMETRY", "1", "DISABLE_ERROR_REPORTING", "1",
                    "DISABLE_AUTOUPDATER", "1", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1"),
            "login-anthropic", SetupTokenScreen.AUTHORIZE, "", List.of("NODE_EXTRA_CA_CERTS"), List.of(HOME + "/.claude"));

    /** Whether the login draws on a terminal and takes a pasted code (Claude's) rather than a device code (Codex's). */
    public boolean pastesCode() {
        return resultFile.isEmpty();
    }

    public static Optional<SubscriptionLogin> forProvider(String provider) {
        return CODEX.provider.equals(provider) ? Optional.of(CODEX)
                : CLAUDE.provider.equals(provider) ? Optional.of(CLAUDE) : Optional.empty();
    }
}
