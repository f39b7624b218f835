package io.terok.vault.passphrase;

/** A configured passphrase tier that did not deliver: the vault stays locked rather than trying the next tier. */
public class TierFailedException extends Exception {
    private final String tier;

    public TierFailedException(String tier, String message) {
        super("passphrase tier '" + tier + "' is configured but failed: " + message);
        this.tier = tier;
    }

    public String tier() {
        return tier;
    }
}
