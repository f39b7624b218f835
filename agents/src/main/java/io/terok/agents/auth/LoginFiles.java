package io.terok.agents.auth;

import java.time.Instant;
import java.util.Optional;
import java.util.Set;

/**
 * The login files a task's agent reads its subscription credential from, rendered with a phantom: the shapes a roster
 * entry may name in {@code login_file.shape}.
 */
public final class LoginFiles {
    /** Codex's {@code auth.json} of a ChatGPT login ({@link CodexAuthJson#phantom}). */
    public static final String CODEX_CHATGPT = "codex-chatgpt";
    public static final Set<String> SHAPES = Set.of(CODEX_CHATGPT);
    /**
     * What stands in the task's file for the refresh token: the task never refreshes (the broker does, with the real
     * refresh token in the vault), and the issuer is not reachable from it.
     */
    static final String NO_REFRESH = "terok-refreshes-in-the-broker";

    private LoginFiles() {
    }

    /**
     * The file's content.
     *
     * @throws IllegalArgumentException for an unknown shape, or a token or account id of the wrong shape (naming which)
     */
    public static String render(String shape, String phantomToken, String accountId, Instant now) {
        if (!CODEX_CHATGPT.equals(shape)) {
            throw new IllegalArgumentException("unknown login file shape '" + shape + "' (known: " + SHAPES + ")");
        }
        if (accountId == null || accountId.isEmpty()) {
            throw new IllegalArgumentException("the stored ChatGPT credential names no account: log in again with"
                    + " `terok auth codex --subscription`");
        }
        return CodexAuthJson.phantom(phantomToken, NO_REFRESH, accountId, Optional.empty(), now);
    }
}
