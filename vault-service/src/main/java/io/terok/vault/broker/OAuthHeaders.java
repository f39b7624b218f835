package io.terok.vault.broker;

import io.vertx.core.MultiMap;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * What a provider needs besides {@code Authorization: Bearer} when the credential is a subscription's OAuth token
 * rather than an API key. Anthropic accepts a Claude subscription token ({@code claude setup-token}, sk-ant-oat01-...)
 * only with the {@code oauth-2025-04-20} beta flag in {@code anthropic-beta}, the header Claude Code itself sends
 * when it runs on such a token. The flag is added to the beta flags the agent sent, never replacing them.
 */
final class OAuthHeaders {
    private static final Map<String, Map<String, String>> LIST_FLAGS = Map.of(
            "anthropic", Map.of("anthropic-beta", "oauth-2025-04-20"));

    private OAuthHeaders() {
    }

    static void add(String provider, MultiMap h) {
        LIST_FLAGS.getOrDefault(provider, Map.of()).forEach((header, flag) -> {
            Set<String> flags = new LinkedHashSet<>();
            for (String v : h.getAll(header)) {
                Arrays.stream(v.split(",")).map(String::strip).filter(s -> !s.isEmpty()).forEach(flags::add);
            }
            flags.add(flag);
            h.set(header, String.join(",", flags));
        });
    }

    /**
     * A credential that names its account (a ChatGPT login) sends it in {@code ChatGPT-Account-Id}, as Codex does: the
     * vault's copy replaces whatever the task sent, so a task cannot point the real token at another account's data.
     */
    static void account(String accountId, MultiMap h) {
        h.remove("chatgpt-account-id");
        if (accountId != null && !accountId.isEmpty()) {
            h.set("ChatGPT-Account-Id", accountId);
        }
    }
}
