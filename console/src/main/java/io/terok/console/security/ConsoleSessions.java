package io.terok.console.security;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The console's logged-in browsers, in memory (a restart logs everyone out: run {@code terok console} again). A
 * session is found by the SHA-256 of its cookie value, so the lookup's timing says nothing about a guessed value;
 * each session has its own CSRF token, compared in constant time.
 */
public final class ConsoleSessions {
    private static final SecureRandom RANDOM = new SecureRandom();

    /** One logged-in browser. {@code id} is the cookie value; {@code csrf} goes into every page and every change. */
    public static final class Session {
        private final String id;
        private final String csrf;
        private volatile Instant lastSeen;

        Session(String id, String csrf, Instant now) {
            this.id = id;
            this.csrf = csrf;
            this.lastSeen = now;
        }

        public String id() {
            return id;
        }

        public String csrf() {
            return csrf;
        }

        /** Constant-time: a wrong token takes as long to refuse whatever its prefix. */
        public boolean csrfMatches(String candidate) {
            if (candidate == null) {
                return false;
            }
            return MessageDigest.isEqual(csrf.getBytes(StandardCharsets.US_ASCII), candidate.getBytes(StandardCharsets.US_ASCII));
        }
    }

    private final Map<String, Session> byHash = new ConcurrentHashMap<>();
    private final Clock clock;
    private final Duration idle;

    public ConsoleSessions(Clock clock, Duration idle) {
        this.clock = clock;
        this.idle = idle;
    }

    public Session create() {
        Session s = new Session(random(), random(), clock.instant());
        byHash.put(hash(s.id()), s);
        return s;
    }

    /** The live session with this cookie value; an idle one is dropped. */
    public Optional<Session> find(String cookie) {
        if (cookie == null || cookie.length() != 64) {
            return Optional.empty();
        }
        String key = hash(cookie);
        Session s = byHash.get(key);
        if (s == null) {
            return Optional.empty();
        }
        Instant now = clock.instant();
        if (now.isAfter(s.lastSeen.plus(idle))) {
            byHash.remove(key);
            return Optional.empty();
        }
        s.lastSeen = now;
        return Optional.of(s);
    }

    public void end(Session s) {
        byHash.remove(hash(s.id()));
    }

    public Duration idle() {
        return idle;
    }

    private static String random() {
        byte[] raw = new byte[32];
        RANDOM.nextBytes(raw);
        return HexFormat.of().formatHex(raw);
    }

    private static String hash(String value) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.US_ASCII)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
