package io.terok.common.console;

import io.terok.common.PrivateFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The hand-over of a console login from {@code terok console} to the console: the CLI mints a random token and
 * leaves a file named by the token's SHA-256 in {@code <runtime dir>/console-login/} ({@code 0700}, files
 * {@code 0600}), holding its expiry; the console redeems a token by deleting that file. Deleting succeeds exactly
 * once, so a token is single-use even when two requests race; the directory holds only hashes, so reading it
 * gives nobody a usable token. Only the operator's uid can write there, which is the trust the Unix sockets
 * already rest on.
 */
public final class ConsoleLoginTokens {
    /** Long enough to paste the URL into a browser, short enough that a leaked one is stale. */
    public static final Duration LIFETIME = Duration.ofMinutes(2);
    private static final Pattern TOKEN = Pattern.compile("[0-9a-f]{64}");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path dir;
    private final Clock clock;

    public ConsoleLoginTokens(Path runtimeDir, Clock clock) {
        this.dir = runtimeDir.resolve("console-login");
        this.clock = clock;
    }

    public ConsoleLoginTokens(Path runtimeDir) {
        this(runtimeDir, Clock.systemUTC());
    }

    public Path directory() {
        return dir;
    }

    /** A new token (64 hex, 256 bits), valid for {@link #LIFETIME}; expired ones are swept on the way. */
    public String mint() {
        sweep();
        byte[] raw = new byte[32];
        RANDOM.nextBytes(raw);
        String token = HexFormat.of().formatHex(raw);
        PrivateFiles.directory(dir);
        PrivateFiles.write(dir.resolve(hash(token)), clock.instant().plus(LIFETIME).toString());
        return token;
    }

    /**
     * True exactly once for a token {@link #mint} made that has not expired; false for anything else (unknown,
     * used, expired, malformed). The token's file is gone afterwards either way.
     */
    public boolean redeem(String token) {
        if (token == null || !TOKEN.matcher(token).matches()) {
            return false;
        }
        Path file = dir.resolve(hash(token));
        String expiry;
        try {
            expiry = Files.readString(file, StandardCharsets.UTF_8).trim();
            Files.delete(file); // the single use: only one caller's delete succeeds
        } catch (NoSuchFileException e) {
            return false;
        } catch (IOException e) {
            return false;
        }
        try {
            return clock.instant().isBefore(Instant.parse(expiry));
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** Removes the files of expired tokens (a login the operator never used). */
    public void sweep() {
        if (!Files.isDirectory(dir)) {
            return;
        }
        Instant now = clock.instant();
        try (Stream<Path> files = Files.list(dir)) {
            files.forEach(f -> {
                try {
                    if (!now.isBefore(Instant.parse(Files.readString(f).trim()))) {
                        Files.deleteIfExists(f);
                    }
                } catch (IOException | RuntimeException e) {
                    try {
                        Files.deleteIfExists(f);
                    } catch (IOException ignored) {
                        // another sweep took it
                    }
                }
            });
        } catch (IOException e) {
            // nothing to sweep
        }
    }

    static String hash(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.US_ASCII)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
