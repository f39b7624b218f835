package io.terok.agents.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;

class CodexAuthJsonTest {
    static final String ACCOUNT = "3f1c2a9e-0000-4000-8000-00000000abcd";

    static String jwt(String payloadJson) {
        Base64.Encoder e = Base64.getUrlEncoder().withoutPadding();
        return e.encodeToString("{\"alg\":\"RS256\"}".getBytes(StandardCharsets.UTF_8)) + "."
                + e.encodeToString(payloadJson.getBytes(StandardCharsets.UTF_8)) + ".c2lnbmF0dXJl";
    }

    static final String ID = jwt("{\"email\":\"person@example.com\",\"https://api.openai.com/auth\":{\"chatgpt_account_id\":\""
            + ACCOUNT + "\",\"chatgpt_plan_type\":\"plus\",\"chatgpt_user_id\":\"user-secret\"}}");
    static final String ACCESS = jwt("{\"exp\":1796591627}");

    static String file(String id, String access, String refresh, String account) {
        return "{\"auth_mode\":\"chatgpt\",\"OPENAI_API_KEY\":null,\"tokens\":{\"id_token\":\"" + id
                + "\",\"access_token\":\"" + access + "\",\"refresh_token\":\"" + refresh + "\""
                + (account == null ? "" : ",\"account_id\":\"" + account + "\"") + "},\"last_refresh\":\"2026-12-06T20:13:47.395Z\"}";
    }

    @Test
    void readsWhatCodexWrote() {
        CodexAuthJson.ChatGptLogin login = CodexAuthJson.read(file(ID, ACCESS, "rt-REALREFRESH-123", ACCOUNT));
        assertEquals(ID, login.idToken());
        assertEquals(ACCESS, login.accessToken());
        assertEquals("rt-REALREFRESH-123", login.refreshToken());
        assertEquals(ACCOUNT, login.accountId());
        assertEquals(Optional.of("plus"), login.planType());
        assertEquals(Optional.of(Instant.ofEpochSecond(1796591627)), login.accessExpiresAt());
        assertFalse(login.toString().contains("rt-REAL"), login.toString());
        assertFalse(login.toString().contains(ACCESS), login.toString());
    }

    @Test
    void accountIdFallsBackToTheIdTokenClaim() {
        assertEquals(ACCOUNT, CodexAuthJson.read(file(ID, ACCESS, "rt-REALREFRESH-123", null)).accountId());
    }

    @Test
    void refusesBadFilesNamingTheFieldAndNeverAValue() {
        String secret = "rt-SECRET-REFRESH";
        assertRefused("auth_mode is not chatgpt", "{\"auth_mode\":\"apikey\",\"OPENAI_API_KEY\":\"sk-SECRETKEYVALUE\"}", "sk-SECRET");
        assertRefused("tokens", "{\"auth_mode\":\"chatgpt\"}", null);
        assertRefused("tokens.refresh_token", file(ID, ACCESS, "", ACCOUNT), null);
        assertRefused("tokens.access_token", file(ID, "has space " + secret, secret, ACCOUNT), secret);
        assertRefused("tokens.id_token", file("not-a-jwt-" + secret, ACCESS, secret, ACCOUNT), secret);
        assertRefused("account id", file(jwt("{}"), ACCESS, secret, "../../etc\\u000aX-Evil: 1"), secret);
        assertRefused("not valid JSON", "{\"tokens\": [" + secret, secret);
        assertRefused("empty", "  ", null);
    }

    static void assertRefused(String expected, String json, String secret) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CodexAuthJson.read(json));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        if (secret != null) {
            assertFalse(e.getMessage().contains(secret), e.getMessage());
        }
    }

    @Test
    void phantomCarriesOnlyTheAccountAndPlan() {
        String json = CodexAuthJson.phantom("terok-phantom-abc123456", "terok-phantom-refresh", ACCOUNT, Optional.of("plus"),
                Instant.parse("2026-12-06T20:00:00.123Z"));
        // The phantom file reads back as a login of the same account, holding only phantoms.
        CodexAuthJson.ChatGptLogin back = CodexAuthJson.read(json);
        assertEquals("terok-phantom-abc123456", back.accessToken());
        assertEquals("terok-phantom-refresh", back.refreshToken());
        assertEquals(ACCOUNT, back.accountId());
        assertEquals(Optional.of("plus"), back.planType());
        Map<String, Object> claims = CodexAuthJson.claims(back.idToken());
        assertEquals(Map.of("https://api.openai.com/auth", Map.of("chatgpt_account_id", ACCOUNT, "chatgpt_plan_type", "plus")), claims);
        assertTrue(json.contains("\"last_refresh\": \"2026-12-06T20:00:00Z\""), json);
    }

    @Test
    void phantomRefusesValuesThatWouldBreakTheFile() {
        assertThrows(IllegalArgumentException.class, () -> CodexAuthJson.phantom("ph\"antom-123", "terok-phantom-r", ACCOUNT,
                Optional.empty(), Instant.EPOCH));
        assertThrows(IllegalArgumentException.class, () -> CodexAuthJson.phantom("terok-phantom-1", "terok-phantom-r",
                "acct\",\"x\":\"y", Optional.empty(), Instant.EPOCH));
        assertThrows(IllegalArgumentException.class, () -> CodexAuthJson.phantom("terok-phantom-1", "terok-phantom-r", ACCOUNT,
                Optional.of("Plus\n"), Instant.EPOCH));
    }
}
