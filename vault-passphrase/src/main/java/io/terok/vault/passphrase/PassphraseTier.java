package io.terok.vault.passphrase;

import java.util.Optional;

/**
 * One source of the database passphrase. {@link #resolve()} answers empty when the tier holds nothing (the chain
 * goes on to the next one) and throws {@link TierFailedException} when the tier is configured but broken: the
 * chain then stops, it never falls through to a weaker tier (fail closed).
 */
public interface PassphraseTier {
    /** systemd-creds, secret-service, kernel-keyring, command, env, prompt. */
    String name();

    Optional<String> resolve() throws TierFailedException;

    /** Whether this tier can hold a passphrase that {@code terok setup}/unlock hands it. */
    default boolean canStore() {
        return false;
    }

    default void store(String passphrase) {
        throw new UnsupportedOperationException(name() + " cannot store a passphrase");
    }

    /**
     * Whether the tier is a persistent source terok can write: {@code terok setup} provisions a generated passphrase
     * into it and {@code terok vault passphrase change} updates it after a re-key. Unlike {@link #store}, which is a
     * volatile cache filled by an unlock and emptied by a lock, a saved passphrase is never forgotten by a lock.
     */
    default boolean writable() {
        return false;
    }

    default void save(String passphrase) throws TierFailedException {
        throw new TierFailedException(name(), "terok cannot write this tier");
    }

    /** Forgets what the tier holds (lock); a tier that stores nothing has nothing to forget. */
    default void forget() {
    }
}
