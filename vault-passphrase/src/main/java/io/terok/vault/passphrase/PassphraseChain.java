package io.terok.vault.passphrase;

import java.util.List;
import java.util.Optional;

/** The tiers in order; the first one that holds a passphrase wins, a broken configured one stops the search. */
public final class PassphraseChain {
    public record Resolved(String tier, String passphrase) {
    }

    private final List<PassphraseTier> tiers;

    public PassphraseChain(List<PassphraseTier> tiers) {
        this.tiers = List.copyOf(tiers);
    }

    public List<PassphraseTier> tiers() {
        return tiers;
    }

    public Optional<Resolved> resolve() throws TierFailedException {
        for (PassphraseTier t : tiers) {
            Optional<String> p = t.resolve();
            if (p.isPresent()) {
                return Optional.of(new Resolved(t.name(), p.get()));
            }
        }
        return Optional.empty();
    }

    /** The first tier that can keep a passphrase across service restarts for the session (the kernel keyring). */
    public Optional<PassphraseTier> cache() {
        return tiers.stream().filter(PassphraseTier::canStore).findFirst();
    }

    /** The tier of that name, if it is in the chain. */
    public Optional<PassphraseTier> tier(String name) {
        return tiers.stream().filter(t -> t.name().equals(name)).findFirst();
    }

    public void forgetAll() {
        tiers.forEach(PassphraseTier::forget);
    }
}
