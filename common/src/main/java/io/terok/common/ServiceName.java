package io.terok.common;

import java.nio.file.Path;
import java.util.Locale;

/** The five terok services; each serves gRPC on {@code <runtime dir>/<name>.sock}. */
public enum ServiceName {
    RUNTIME, VAULT, GATE, SHIELD, CLEARANCE;

    /** Lower-case name used in socket names, jar names and log files. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public Path socket(Path runtimeDir) {
        return runtimeDir.resolve(id() + ".sock");
    }

    public static ServiceName of(String id) {
        for (ServiceName s : values()) {
            if (s.id().equals(id)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown service '" + id + "' (expected one of runtime, vault, gate, shield, clearance)");
    }
}
