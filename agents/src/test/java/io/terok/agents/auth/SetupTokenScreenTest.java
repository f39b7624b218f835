package io.terok.agents.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The screens are what Claude Code 2.1.332's {@code claude setup-token} drew on a 2000-column pty against a fake
 * Anthropic (docs/agents.md): one whose token exchange worked, one that answered HTTP 400.
 */
class SetupTokenScreenTest {
    static String screen(String name) throws IOException {
        try (InputStream in = SetupTokenScreenTest.class.getResourceAsStream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** Feeds the screen in small pieces, as a terminal stream arrives. */
    static SetupTokenScreen fed(String text) {
        SetupTokenScreen s = new SetupTokenScreen();
        for (int i = 0; i < text.length(); i += 97) {
            s.accept(text.substring(i, Math.min(text.length(), i + 97)));
        }
        return s;
    }

    @Test
    void theRealScreenGivesTheCheckedLinkAndThenTheToken() throws IOException {
        String raw = screen("setup-token-ok.screen");
        Matcher state = Pattern.compile("state=([A-Za-z0-9_-]{43})").matcher(raw);
        assertTrue(state.find());
        SetupTokenScreen s = fed(raw);
        SetupTokenScreen.Link link = s.link().orElseThrow();
        assertEquals(state.group(1), link.state());
        assertEquals("user:inference", link.scope());
        assertTrue(link.url().startsWith("https://claude.com/cai/oauth/authorize?code=true&client_id=" + SetupTokenScreen.CLIENT_ID
                + "&response_type=code&redirect_uri=https%3A%2F%2Fplatform.claude.com%2Foauth%2Fcode%2Fcallback"), link.url());
        assertTrue(raw.contains(link.url()), "the rebuilt link is the one Claude Code printed: " + link.url());
        assertTrue(s.token().orElseThrow().startsWith("sk-ant-oat01-FAKEtoken"));
        assertFalse(s.error().isPresent());
        assertFalse(s.foreignLink().isPresent());
    }

    @Test
    void aRefusedExchangeIsReadAsTheOAuthErrorWithNoToken() throws IOException {
        SetupTokenScreen s = fed(screen("setup-token-refused.screen"));
        assertTrue(s.link().isPresent());
        assertTrue(s.token().isEmpty());
        assertTrue(s.error().orElseThrow().startsWith("The sign-in service couldn't finish signing you in (HTTP 400)"), s.error().get());
    }

    @Test
    void noTokenBeforeTheScreenPrintsOne() throws IOException {
        String raw = screen("setup-token-ok.screen");
        SetupTokenScreen s = fed(raw.substring(0, raw.indexOf("Paste")));
        assertTrue(s.link().isPresent());
        assertTrue(s.token().isEmpty());
    }

    @Test
    void anAuthorizeLinkToAnotherHostOrWithAnotherRedirectIsForeignAndNeverALink() throws IOException {
        String raw = screen("setup-token-ok.screen");
        for (String tampered : new String[] {
                raw.replace("https://claude.com/cai/oauth/authorize?", "https://claude.com.evil.test/cai/oauth/authorize?"),
                raw.replace("redirect_uri=https%3A%2F%2Fplatform.claude.com", "redirect_uri=https%3A%2F%2Fevil.test"),
                raw.replace("client_id=" + SetupTokenScreen.CLIENT_ID, "client_id=00000000-0000-0000-0000-000000000000"),
                raw.replace("code_challenge_method=S256&", "code_challenge_method=S256&extra=1&")}) {
            SetupTokenScreen s = fed(tampered);
            assertTrue(s.link().isEmpty(), "not shown as a link");
            assertTrue(s.foreignLink().isPresent());
        }
    }

    @Test
    void thePastedCodeIsCheckedBeforeItIsTypedIntoTheLogin() {
        SetupTokenScreen.Link link = new SetupTokenScreen.Link("user:inference", "c".repeat(43), "s".repeat(43));
        assertTrue(SetupTokenScreen.pastedProblem("abcdefgh1234#" + "s".repeat(43), link).isEmpty());
        assertTrue(SetupTokenScreen.pastedProblem("abcdefgh1234", link).orElseThrow().contains("expected CODE#STATE"));
        assertTrue(SetupTokenScreen.pastedProblem("abc\u0003defgh1234#" + "s".repeat(43), link).orElseThrow()
                .contains("expected CODE#STATE"), "a control character would be a keystroke in the login's terminal");
        assertTrue(SetupTokenScreen.pastedProblem("abcdefgh1234#" + "t".repeat(43), link).orElseThrow().contains("another sign-in"));
    }
}
