package io.terok.cli.host;

import io.terok.common.Printable;
import io.terok.vault.passphrase.ConfigYaml;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Where each effective {@code terok.vault.*} value comes from, as the vault reads its configuration at start:
 * a {@code TEROK_VAULT_*} environment variable, else the operator's {@code config.yaml}, else the vault's
 * built-in default. Nothing comes from the build: the services read config.yaml and their computed directories
 * only at runtime (issue 15 item 14), so a value not listed here is the default.
 */
final class VaultConfigOrigins {
    static final String LABEL = "vault configuration";
    private static final String PREFIX = "terok.vault.";

    private VaultConfigOrigins() {
    }

    static List<Check> checks(Path configFile, Map<String, String> env) {
        List<Check> checks = new ArrayList<>();
        Map<String, Object> fromFile = new TreeMap<>();
        if (Files.isRegularFile(configFile)) {
            try {
                Map<String, Object> flat = new LinkedHashMap<>();
                flatten("", ConfigYaml.read(configFile), flat);
                flat.forEach((k, v) -> {
                    if (k.startsWith(PREFIX)) {
                        fromFile.put(k, v);
                    }
                });
            } catch (IOException | RuntimeException e) {
                checks.add(Check.error(LABEL, "cannot read " + configFile + ": " + Printable.line(e.getMessage()),
                        "fix the YAML; every service refuses to start with it"));
                return checks;
            }
        }
        Map<String, String> fromEnv = new TreeMap<>();
        env.forEach((k, v) -> {
            if (k.startsWith("TEROK_VAULT_")) {
                fromEnv.put(k, v);
            }
        });
        fromEnv.forEach((k, v) -> checks.add(Check.ok(LABEL, k + " = " + Printable.line(v, 120)
                + " from the environment (above config.yaml)")));
        fromFile.forEach((k, v) -> checks.add(Check.ok(LABEL, k + " = " + Printable.line(String.valueOf(v), 120)
                + " from " + configFile)));
        checks.add(Check.ok(LABEL, (checks.isEmpty() ? "every terok.vault.* value" : "every other terok.vault.* value")
                + " is the vault's built-in default" + (Files.isRegularFile(configFile) ? "" : " (no " + configFile + ")")));
        return checks;
    }

    private static void flatten(String prefix, Map<?, ?> node, Map<String, Object> into) {
        for (Map.Entry<?, ?> e : node.entrySet()) {
            String key = prefix + e.getKey();
            if (e.getValue() instanceof Map<?, ?> m) {
                flatten(key + ".", m, into);
            } else {
                into.put(key, e.getValue());
            }
        }
    }
}
