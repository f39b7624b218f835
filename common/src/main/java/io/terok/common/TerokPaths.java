package io.terok.common;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where terok keeps its files. Root uses the system locations, everybody else the XDG ones; every
 * location can be overridden with a {@code TEROK_*} environment variable so tests and several
 * installations can live side by side.
 */
public final class TerokPaths {
    private final Map<String, String> env;
    private final boolean root;
    private final Path home;

    public TerokPaths(Map<String, String> env, boolean root, Path home) {
        this.env = env;
        this.root = root;
        this.home = home;
    }

    /** Paths for the current process. */
    public static TerokPaths current() {
        return new TerokPaths(System.getenv(), isRoot(), Path.of(System.getProperty("user.home")));
    }

    /**
     * Root means uid 0 in the initial user namespace: an OCI hook running as mapped root inside rootless
     * podman's namespace must still use the operator's XDG locations.
     */
    public static boolean isRoot() {
        if (!"root".equals(System.getProperty("user.name"))) {
            return false;
        }
        try {
            String map = Files.readString(Path.of("/proc/self/uid_map")).trim().replaceAll("\\s+", " ");
            return map.equals("0 0 4294967295");
        } catch (IOException e) {
            return true;
        }
    }

    public boolean root() {
        return root;
    }

    /** Sockets of the five services: {@code /run/terok} as root, {@code $XDG_RUNTIME_DIR/terok} otherwise. */
    public Path runtimeDir() {
        String override = env.get("TEROK_RUNTIME_DIR");
        if (notBlank(override)) {
            return Path.of(override);
        }
        if (root) {
            return Path.of("/run/terok");
        }
        String xdg = env.get("XDG_RUNTIME_DIR");
        if (notBlank(xdg)) {
            return Path.of(xdg, "terok");
        }
        return stateDir().resolve("run");
    }

    /** Persistent data (vault database, gate mirrors, task records). */
    public Path dataDir() {
        return xdg("TEROK_DATA_DIR", "/var/lib/terok", "XDG_DATA_HOME", ".local/share");
    }

    /** Logs and other state worth keeping across reboots but not backing up. */
    public Path stateDir() {
        return xdg("TEROK_STATE_DIR", "/var/lib/terok/state", "XDG_STATE_HOME", ".local/state");
    }

    public Path configDir() {
        return xdg("TEROK_CONFIG_DIR", "/etc/terok", "XDG_CONFIG_HOME", ".config");
    }

    public Path configFile() {
        return configDir().resolve("config.yaml");
    }

    public Path socket(ServiceName service) {
        return service.socket(runtimeDir());
    }

    private Path xdg(String overrideVar, String rootPath, String xdgVar, String homeFallback) {
        String override = env.get(overrideVar);
        if (notBlank(override)) {
            return Path.of(override);
        }
        if (root) {
            return Path.of(rootPath);
        }
        String xdg = env.get(xdgVar);
        Path base = notBlank(xdg) ? Path.of(xdg) : home.resolve(homeFallback);
        return base.resolve("terok");
    }

    private static boolean notBlank(String s) {
        return s != null && !s.isBlank();
    }
}
