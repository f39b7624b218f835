package io.terok.cli.host;

import io.terok.cli.core.CliException;
import io.terok.cli.core.Context;
import io.terok.common.ports.LoopbackListener;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Where the Quadlet deployment lives on this host, for a user ({@code systemctl --user}) or for the system.
 * The paths are the ones systemd gives the unit specifiers in {@code deploy/quadlet/}: {@code %t} (runtime dir),
 * {@code %S} (state), {@code %E} (configuration), so that what {@code terok setup} writes on the host (the shield's
 * OCI hooks with their baked-in task state root, the configuration directory) is what the containers mount.
 */
final class Deployment {
    enum Mode {
        USER, SYSTEM;

        String systemctlFlag() {
            return this == USER ? "--user" : "--system";
        }
    }

    static final String TARGET = "terok.target";
    /** The images the units run ({@code Image=} in each .container). */
    static final String IMAGE_PREFIX = "localhost/terok-";
    /** The web console's units, beside the services' in deploy/quadlet/ (installed into the same Quadlet directory). */
    static final String CONSOLE_UNITS = "console";
    /** Named volumes holding the services' data (kept by uninstall unless --purge). */
    static final List<String> DATA_VOLUMES = List.of("terok-vault-data", "terok-gate-data", "terok-runtime-data");
    /** The line that makes a rootful unit differ from the rootless one (keep-id exists only for rootless podman). */
    static final String KEEP_ID = "UserNS=keep-id";
    static final String SESSION_BUS = "%t/bus";
    static final String VAULT_UNIT = "terok-vault.container";
    /** The credential's name: what the vault's systemd-creds tier looks for in {@code $CREDENTIALS_DIRECTORY}. */
    static final String VAULT_CREDENTIAL = "terok-vault-passphrase";
    /** Where the system vault container sees systemd's credentials directory ({@code %d}, read-only). */
    static final String CONTAINER_CREDENTIALS_DIR = "/run/credentials/terok-vault";
    static final String USER_STATE = "%h/.local/state";

    final Mode mode;
    private final Map<String, String> env;
    private final Path home;

    Deployment(Mode mode, Map<String, String> env, Path home) {
        this.mode = mode;
        this.env = env;
        this.home = home;
    }

    static Deployment of(Mode mode, Context ctx) {
        String h = ctx.env.get("HOME");
        return new Deployment(mode, ctx.env, h != null && !h.isBlank() ? Path.of(h) : Path.of(System.getProperty("user.home")));
    }

    private Path xdg(String var, String fallback) {
        String v = env.get(var);
        return v != null && !v.isBlank() ? Path.of(v) : home.resolve(fallback);
    }

    /** {@code %E}: XDG_CONFIG_HOME for a user, /etc for the system. */
    Path configHome() {
        return mode == Mode.USER ? xdg("XDG_CONFIG_HOME", ".config") : Path.of("/etc");
    }

    /**
     * {@code %h/.local/state} in the units for a user, /var/lib for the system. Not systemd's {@code %S}: for user
     * units that is ~/.config before systemd 254 (Debian 12 has 252) and $XDG_STATE_HOME after, and the CLI must
     * bake the same path into the hook as the shield container mounts.
     */
    Path stateHome() {
        return mode == Mode.USER ? home.resolve(".local/state") : Path.of("/var/lib");
    }

    /** {@code %t}: XDG_RUNTIME_DIR for a user, /run for the system. */
    Path runtimeBase() {
        if (mode == Mode.SYSTEM) {
            return Path.of("/run");
        }
        String v = env.get("XDG_RUNTIME_DIR");
        if (v == null || v.isBlank()) {
            throw new CliException("XDG_RUNTIME_DIR is not set: the user's services need their runtime directory",
                    "log in through a session that sets it (a systemd user session does), or export XDG_RUNTIME_DIR=/run/user/$(id -u)");
        }
        return Path.of(v);
    }

    Path quadletDir() {
        return configHome().resolve("containers/systemd");
    }

    /** Plain systemd units (terok.target) go here; systemd does not read them from the Quadlet directory. */
    Path systemdDir() {
        return mode == Mode.USER ? configHome().resolve("systemd/user") : Path.of("/etc/systemd/system");
    }

    Path socketDir() {
        return runtimeBase().resolve("terok");
    }

    Path configDir() {
        return configHome().resolve("terok");
    }

    Path shieldTaskDir() {
        return stateHome().resolve("terok/shield");
    }

    Path shieldHooksDir() {
        return stateHome().resolve("terok/shield-hooks");
    }

    Path hooksRegistration() {
        return configHome().resolve("containers/containers.conf.d/terok-shield.conf");
    }

    Path podmanSocket() {
        return runtimeBase().resolve("podman/podman.sock");
    }

    Path configFile() {
        return configDir().resolve("config.yaml");
    }

    /**
     * The system vault's passphrase, encrypted with {@code systemd-creds} (host key, root only), loaded by the unit's
     * {@code LoadCredentialEncrypted=}. Beside the shield's system state, not under /etc/terok: that directory is
     * mounted into the containers, and the encrypted file has no business there.
     */
    Path vaultCredential() {
        return Path.of("/var/lib/terok/vault/passphrase.cred");
    }

    /** The session bus as the user's vault unit mounts it ({@code unix:path=%t/bus}). */
    String sessionBusAddress() {
        return "unix:path=" + runtimeBase().resolve("bus");
    }

    Path completionFile() {
        return mode == Mode.USER ? xdg("XDG_DATA_HOME", ".local/share").resolve("bash-completion/completions/terok")
                : Path.of("/etc/bash_completion.d/terok");
    }

    static String image(DeployedImage s) {
        return IMAGE_PREFIX + s.id() + ":latest";
    }

    /** Where an installed unit named {@code name} goes. */
    Path unitTarget(String name) {
        return (name.endsWith(".target") ? systemdDir() : quadletDir()).resolve(name);
    }

    /**
     * The unit files shipped in {@code deploy/quadlet/} and the web console's in {@code deploy/quadlet/console/},
     * sorted by name; all go into the one Quadlet directory.
     */
    static List<Path> shippedUnits(Path terokHome) throws IOException {
        Path dir = terokHome.resolve("deploy/quadlet");
        if (!Files.isDirectory(dir)) {
            throw new CliException("no unit files at " + dir, "set TEROK_HOME to the terok checkout or installation");
        }
        List<Path> units = new ArrayList<>();
        for (Path d : List.of(dir, dir.resolve(CONSOLE_UNITS))) {
            if (Files.isDirectory(d)) {
                try (Stream<Path> s = Files.list(d)) {
                    s.filter(p -> isUnitName(p.getFileName().toString())).forEach(units::add);
                }
            }
        }
        units.sort(java.util.Comparator.comparing(p -> p.getFileName().toString()));
        return units;
    }

    static boolean isUnitName(String name) {
        return name.startsWith("terok") && (name.endsWith(".container") || name.endsWith(".pod")
                || name.endsWith(".volume") || name.endsWith(".target"));
    }

    /**
     * The unit as installed in this mode, with the system vault's credential when {@link #vaultCredential()} exists and
     * the listener's port ({@link QuadletPorts}) in the unit that runs it.
     */
    String unitContent(String name, String shipped, Map<LoopbackListener, Integer> ports) {
        String unit = unitContent(name, shipped, mode == Mode.SYSTEM && Files.isRegularFile(vaultCredential()));
        LoopbackListener l = QuadletPorts.UNITS.get(name);
        return l == null ? unit : withPort(unit, l, ports.getOrDefault(l, 0));
    }

    /**
     * {@code unit} with {@code l}'s port as the environment variable the service's port preflight reads (it wins over
     * config.yaml and the container's read-only registry), set just before {@code [Service]}, and the health check's
     * address moved to it. Port 0: the unit as it is (the service then takes the documented default).
     */
    static String withPort(String unit, LoopbackListener l, int port) {
        if (port <= 0) {
            return unit;
        }
        StringBuilder sb = new StringBuilder();
        boolean placed = false;
        for (String line : unit.split("\n", -1)) {
            if (!placed && line.strip().equals("[Service]")) {
                sb.append("# terok setup: this installation's ").append(l.name()).append(" port (").append(l.key())
                        .append(" in config.yaml, else this user's port registry; change it there and run setup again).\n")
                        .append("Environment=").append(l.envVar()).append('=').append(port).append("\n\n");
                placed = true;
            }
            sb.append(line.startsWith("HealthCmd=") ? line.replace("127.0.0.1:" + l.preferred(), "127.0.0.1:" + port) : line).append('\n');
        }
        sb.setLength(sb.length() - 1);
        return sb.toString();
    }

    /**
     * The unit as installed in this mode: the shipped file for a user. For the system: without {@code UserNS=keep-id}
     * (rootful podman refuses it; the services then run as root in their containers, capabilities dropped) and without
     * the session bus (a system service has none: {@code /run/bus} does not exist, and its bind mount would keep
     * clearance and vault from starting; clearance then serves only `terok clearance`), and with the shield's state
     * under /var/lib instead of the user's ~/.local/state. With {@code vaultCredential}, the system vault unit loads
     * the encrypted passphrase ({@code LoadCredentialEncrypted=}: systemd decrypts it into the unit's private
     * credentials directory {@code %d}) and its container sees that directory read-only, with
     * {@code CREDENTIALS_DIRECTORY} pointing there, so the vault's systemd-creds tier unlocks it at every start. Only
     * when the file exists: systemd refuses to start a unit whose credential is missing, and a vault whose database
     * predates setup has a passphrase setup does not know.
     */
    String unitContent(String name, String shipped, boolean vaultCredential) {
        if (mode == Mode.USER) {
            return shipped;
        }
        boolean creds = vaultCredential && name.equals(VAULT_UNIT);
        StringBuilder sb = new StringBuilder();
        for (String line : shipped.split("\n", -1)) {
            if (creds && line.strip().equals("[Service]")) {
                // The end of [Container] (it comes first in the shipped unit).
                sb.append("# setup --system: the passphrase, decrypted by systemd (LoadCredentialEncrypted below), read-only.\n")
                        .append("Volume=%d:").append(CONTAINER_CREDENTIALS_DIR).append(":ro\n")
                        .append("Environment=CREDENTIALS_DIRECTORY=").append(CONTAINER_CREDENTIALS_DIR).append("\n\n")
                        .append(line).append('\n')
                        .append("LoadCredentialEncrypted=").append(VAULT_CREDENTIAL).append(':').append(vaultCredential()).append('\n');
                continue;
            }
            if (!line.strip().equals(KEEP_ID) && !(line.contains(SESSION_BUS) && !line.startsWith("#"))) {
                sb.append(line.startsWith("#") ? line : line.replace(USER_STATE, "/var/lib")).append('\n');
            }
        }
        sb.setLength(sb.length() - 1);
        return sb.toString();
    }
}
