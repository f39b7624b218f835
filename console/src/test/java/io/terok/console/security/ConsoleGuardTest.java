package io.terok.console.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.common.console.ConsoleLoginTokens;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConsoleGuardTest {
    static final int PORT = 9421;
    static final String HOST = "127.0.0.1:" + PORT;

    @TempDir
    Path runtime;
    final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-12-06T10:00:00Z"));
    final Clock clock = new Clock() {
        @Override
        public ZoneId getZone() {
            return ZoneId.of("UTC");
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now.get();
        }
    };
    ConsoleGuard guard;
    ConsoleLoginTokens tokens;

    @BeforeEach
    void setUp() {
        tokens = new ConsoleLoginTokens(runtime, clock);
        guard = new ConsoleGuard(new ConsoleSessions(clock, Duration.ofHours(12)), tokens);
    }

    ConsoleGuard.Decision get(String path, String query, String host, String origin, String cookie) {
        return guard.check(new ConsoleGuard.Request("GET", path, query, host, origin, cookie, null, PORT));
    }

    ConsoleSessions.Session login() {
        var d = get("/login", "token=" + tokens.mint(), HOST, null, null);
        return assertInstanceOf(ConsoleGuard.LoggedIn.class, d).session();
    }

    @Test
    void loginTokenIsSingleUseAndTheCookieIsHttpOnlyStrict() {
        String token = tokens.mint();
        var d = assertInstanceOf(ConsoleGuard.LoggedIn.class, get("/login", "token=" + token, HOST, null, null));
        assertTrue(d.setCookie().contains("HttpOnly"));
        assertTrue(d.setCookie().contains("SameSite=Strict"));
        assertTrue(d.setCookie().contains("Path=/"));
        var again = assertInstanceOf(ConsoleGuard.Refuse.class, get("/login", "token=" + token, HOST, null, null));
        assertEquals(401, again.status());
    }

    @Test
    void anExpiredLoginTokenIsRefused() {
        String token = tokens.mint();
        now.set(now.get().plus(ConsoleLoginTokens.LIFETIME).plusSeconds(1));
        assertEquals(401, assertInstanceOf(ConsoleGuard.Refuse.class, get("/login", "token=" + token, HOST, null, null)).status());
    }

    @Test
    void withoutASessionEverythingButStaticFilesIs401() {
        assertEquals(401, assertInstanceOf(ConsoleGuard.Refuse.class, get("/", null, HOST, null, null)).status());
        assertEquals(401, assertInstanceOf(ConsoleGuard.Refuse.class, get("/api/overview", null, HOST, null, "terok_console=" + "a".repeat(64))).status());
        assertNull(assertInstanceOf(ConsoleGuard.Pass.class, get("/static/console.js", null, HOST, null, null)).session());
    }

    @Test
    void aSessionPassesReadsAndChangesNeedItsCsrfToken() {
        var s = login();
        String cookie = "other=1; terok_console=" + s.id();
        assertEquals(s, assertInstanceOf(ConsoleGuard.Pass.class, get("/", null, HOST, null, cookie)).session());
        var noCsrf = guard.check(new ConsoleGuard.Request("POST", "/api/tasks", null, HOST, null, cookie, null, PORT));
        assertEquals(403, assertInstanceOf(ConsoleGuard.Refuse.class, noCsrf).status());
        var wrong = guard.check(new ConsoleGuard.Request("DELETE", "/api/tasks/p/t", null, HOST, null, cookie, "x" + s.csrf().substring(1), PORT));
        assertEquals(403, assertInstanceOf(ConsoleGuard.Refuse.class, wrong).status());
        var right = guard.check(new ConsoleGuard.Request("POST", "/api/tasks", null, HOST, "http://" + HOST, cookie, s.csrf(), PORT));
        assertInstanceOf(ConsoleGuard.Pass.class, right);
    }

    @Test
    void aForeignHostOrOriginIsRefusedEvenWithAValidSession() {
        var s = login();
        String cookie = "terok_console=" + s.id();
        assertEquals(421, assertInstanceOf(ConsoleGuard.Refuse.class, get("/", null, "evil.example:" + PORT, null, cookie)).status());
        assertEquals(421, assertInstanceOf(ConsoleGuard.Refuse.class, get("/", null, "127.0.0.1:9999", null, cookie)).status());
        assertEquals(421, assertInstanceOf(ConsoleGuard.Refuse.class, get("/", null, null, null, cookie)).status());
        assertEquals(403, assertInstanceOf(ConsoleGuard.Refuse.class, get("/", null, HOST, "http://evil.example", cookie)).status());
        assertEquals(403, assertInstanceOf(ConsoleGuard.Refuse.class, get("/", null, HOST, "null", cookie)).status());
        var post = guard.check(new ConsoleGuard.Request("POST", "/api/panic", null, HOST, "http://evil.example:" + PORT, cookie, s.csrf(), PORT));
        assertEquals(403, assertInstanceOf(ConsoleGuard.Refuse.class, post).status());
        // A login link opened through a rebound name is refused before the token is spent.
        String token = tokens.mint();
        assertEquals(421, assertInstanceOf(ConsoleGuard.Refuse.class, get("/login", "token=" + token, "evil.example:" + PORT, null, null)).status());
        assertInstanceOf(ConsoleGuard.LoggedIn.class, get("/login", "token=" + token, "localhost:" + PORT, null, null));
    }

    @Test
    void anIdleSessionEnds() {
        var s = login();
        now.set(now.get().plus(Duration.ofHours(13)));
        assertEquals(401, assertInstanceOf(ConsoleGuard.Refuse.class, get("/", null, HOST, null, "terok_console=" + s.id())).status());
    }

    @Test
    void twoCookiesOfOurNameCountAsNone() {
        var s = login();
        assertEquals(401, assertInstanceOf(ConsoleGuard.Refuse.class,
                get("/", null, HOST, null, "terok_console=" + s.id() + "; terok_console=" + "b".repeat(64))).status());
    }
}
