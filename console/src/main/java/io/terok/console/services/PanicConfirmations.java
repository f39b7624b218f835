package io.terok.console.services;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The panic button's confirmation: a first request gets a random confirmation code for this session, valid briefly
 * and once; only a second request that sends it back engages the panic. A misclick (or a script that got past
 * nothing else) does not stop every task; both requests are still CSRF-checked by the guard.
 */
public final class PanicConfirmations {
    public static final Duration VALID = Duration.ofSeconds(60);
    private static final SecureRandom RANDOM = new SecureRandom();

    private record Pending(String code, Instant until) {
    }

    private final Map<String, Pending> bySession = new ConcurrentHashMap<>();
    private final Clock clock;

    public PanicConfirmations(Clock clock) {
        this.clock = clock;
    }

    /** A new code for this session (any earlier one is void). */
    public String ask(String sessionId) {
        byte[] raw = new byte[16];
        RANDOM.nextBytes(raw);
        String code = HexFormat.of().formatHex(raw);
        bySession.put(sessionId, new Pending(code, clock.instant().plus(VALID)));
        return code;
    }

    /** True once for the code {@link #ask} gave this session, within {@link #VALID}. */
    public boolean confirm(String sessionId, String code) {
        Pending p = bySession.remove(sessionId);
        if (p == null || code == null || clock.instant().isAfter(p.until())) {
            return false;
        }
        return MessageDigest.isEqual(p.code().getBytes(StandardCharsets.US_ASCII), code.getBytes(StandardCharsets.US_ASCII));
    }
}
