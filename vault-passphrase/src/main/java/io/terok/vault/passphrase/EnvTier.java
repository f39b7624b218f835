package io.terok.vault.passphrase;

import java.util.Map;
import java.util.Optional;

/**
 * {@code terok.vault.passphrase-env}: the passphrase from a named environment variable. Meant for tests and CI
 * (the environment of a process is readable by its owner through /proc); when the variable is configured but
 * unset or empty, the tier fails closed.
 */
public final class EnvTier implements PassphraseTier {
    private final String variable;
    private final Map<String, String> env;

    public EnvTier(String variable, Map<String, String> env) {
        this.variable = variable;
        this.env = env;
    }

    @Override
    public String name() {
        return "env";
    }

    @Override
    public Optional<String> resolve() throws TierFailedException {
        String v = env.get(variable);
        if (v == null || v.isEmpty()) {
            throw new TierFailedException(name(), "environment variable " + variable
                    + " is empty or unset; set it or unset terok.vault.passphrase-env");
        }
        return Optional.of(v);
    }
}
