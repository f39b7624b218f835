package io.terok.agents.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LoginFilesTest {
    @Test
    void codexChatGptFileHoldsThePhantomAndTheAccountOnly() {
        String json = LoginFiles.render(LoginFiles.CODEX_CHATGPT, "terok-p-0123456789abcdef", "acc-42", Instant.now());
        CodexAuthJson.ChatGptLogin read = CodexAuthJson.read(json);
        assertEquals("terok-p-0123456789abcdef", read.accessToken());
        assertEquals("acc-42", read.accountId());
        assertEquals(LoginFiles.NO_REFRESH, read.refreshToken(), "no refresh token of any use in the task");
        Map<String, Object> claims = CodexAuthJson.claims(read.idToken());
        assertEquals(1, claims.size(), "the id_token carries the auth claim only: " + claims);
        assertFalse(json.contains("email"));
    }

    @Test
    void aBadAccountOrShapeIsRefusedWithoutAFile() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LoginFiles.render(LoginFiles.CODEX_CHATGPT, "terok-p-01234567",
                "", Instant.now())).getMessage().contains("terok auth codex --subscription"));
        assertThrows(IllegalArgumentException.class, () -> LoginFiles.render(LoginFiles.CODEX_CHATGPT, "terok-p-01234567",
                "acc\",\"x", Instant.now()));
        assertThrows(IllegalArgumentException.class, () -> LoginFiles.render("netrc", "terok-p-01234567", "a", Instant.now()));
    }
}
