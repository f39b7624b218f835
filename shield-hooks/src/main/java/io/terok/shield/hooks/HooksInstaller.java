package io.terok.shield.hooks;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Installs the shield's OCI hooks globally, so that every start of a task container (podman run, podman start,
 * restarts) loads the firewall: a hook script with the state directory baked in, two hook descriptors
 * (createRuntime, poststop) matching the annotation {@code io.terok.shield.task}, and a containers.conf drop-in
 * that adds the hooks directory to {@code [engine] hooks_dir} (never a per-run {@code --hooks-dir}, which
 * {@code podman start} forgets). Podman reads {@code hooks_dir} when it starts: a running
 * {@code podman system service} must be restarted after the first install.
 */
public final class HooksInstaller {
    /** Bumped whenever the script or descriptors change; a different installed version is "stale". */
    public static final int VERSION = 1;
    public static final String ANNOTATION = "io.terok.shield.task";
    public static final String SCRIPT = "terok-shield-hook";
    public static final List<String> STAGES = List.of("createRuntime", "poststop");
    static final String MARKER = "# managed by terok shield-service (terok setup); removed by terok uninstall";
    /** podman's own default hook dirs: kept in the list so setting hooks_dir does not switch other hooks off. */
    public static final List<String> PODMAN_DEFAULT_DIRS = List.of("/usr/share/containers/oci/hooks.d",
            "/etc/containers/oci/hooks.d");
    /** The absolute paths the hook (a shell script) and its descriptors can take: nothing to quote or escape. */
    public static final Pattern SAFE_PATH = Pattern.compile("/[A-Za-z0-9._/+-]*");

    public record Status(boolean installed, boolean stale, List<String> problems, Path hooksDir, Path registration) {
    }

    private final Path hooksDir;
    private final Path stateDir;
    private final Path registration;

    /**
     * @param hooksDir     where the script and descriptors go
     * @param stateDir     the per-task state root the hook reads (baked into the script)
     * @param registration the containers.conf drop-in that lists {@code hooksDir} in {@code hooks_dir}
     */
    public HooksInstaller(Path hooksDir, Path stateDir, Path registration) {
        this.hooksDir = safe("hooks dir", hooksDir);
        this.stateDir = safe("state dir", stateDir);
        this.registration = safe("registration file", registration);
    }

    private static Path safe(String what, Path p) {
        Path a = p.toAbsolutePath().normalize();
        if (!SAFE_PATH.matcher(a.toString()).matches()) {
            throw new IllegalArgumentException(what + " " + a + " has characters a hook path must not contain");
        }
        return a;
    }

    public Path hooksDir() {
        return hooksDir;
    }

    public Path registration() {
        return registration;
    }

    public String script() {
        try (InputStream in = HooksInstaller.class.getResourceAsStream("/shield/hooks/" + SCRIPT)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8)
                    .replace("@STATE_DIR@", stateDir.toString())
                    .replace("@VERSION@", Integer.toString(VERSION));
        } catch (IOException | NullPointerException e) {
            throw new IllegalStateException("hook script resource missing", e);
        }
    }

    public String descriptor(String stage) {
        return "{\n"
                + "  \"version\": \"1.0.0\",\n"
                + "  \"hook\": {\"path\": \"" + hooksDir.resolve(SCRIPT) + "\", \"args\": [\"" + SCRIPT + "\", \"" + stage + "\"],"
                + " \"timeout\": 30},\n"
                // any value: an invalid task id must make the hook fail (closed), not skip it (open)
                + "  \"when\": {\"annotations\": {\"^" + ANNOTATION.replace(".", "\\\\.") + "$\": \".*\"}},\n"
                + "  \"stages\": [\"" + stage + "\"]\n"
                + "}\n";
    }

    public String registrationContent() {
        List<String> dirs = new ArrayList<>();
        dirs.add(hooksDir.toString());
        dirs.addAll(PODMAN_DEFAULT_DIRS);
        return MARKER + "\n[engine]\nhooks_dir = [" + String.join(", ", dirs.stream().map(d -> "\"" + d + "\"").toList()) + "]\n";
    }

    public Status install() throws IOException {
        Files.createDirectories(hooksDir);
        write(hooksDir.resolve(SCRIPT), script(), "rwxr-xr-x");
        for (String stage : STAGES) {
            write(hooksDir.resolve(descriptorName(stage)), descriptor(stage), "rw-r--r--");
        }
        if (Files.exists(registration) && !Files.readString(registration).startsWith(MARKER)) {
            throw new IOException(registration + " exists and is not terok's: not overwriting it");
        }
        Files.createDirectories(registration.getParent());
        write(registration, registrationContent(), "rw-r--r--");
        return status();
    }

    /** Removes what {@link #install()} wrote (only files carrying terok's content); true if anything was removed. */
    public boolean uninstall() throws IOException {
        boolean removed = false;
        for (String stage : STAGES) {
            removed |= Files.deleteIfExists(hooksDir.resolve(descriptorName(stage)));
        }
        removed |= Files.deleteIfExists(hooksDir.resolve(SCRIPT));
        if (Files.exists(registration) && Files.readString(registration).startsWith(MARKER)) {
            removed |= Files.deleteIfExists(registration);
        }
        try (var s = Files.list(hooksDir)) {
            if (s.findAny().isEmpty()) {
                Files.delete(hooksDir);
            }
        } catch (IOException e) {
            // not empty or already gone
        }
        return removed;
    }

    public Status status() {
        List<String> problems = new ArrayList<>();
        boolean any = false;
        boolean stale = false;
        Path script = hooksDir.resolve(SCRIPT);
        any |= check(script, script(), problems) != Check.MISSING;
        if (Files.exists(script) && !Files.isExecutable(script)) {
            problems.add(script + " is not executable");
        }
        for (String stage : STAGES) {
            Path d = hooksDir.resolve(descriptorName(stage));
            Check c = check(d, descriptor(stage), problems);
            any |= c != Check.MISSING;
            stale |= c == Check.DIFFERENT;
        }
        stale |= check(script, script(), new ArrayList<>()) == Check.DIFFERENT;
        Check r = check(registration, registrationContent(), problems);
        stale |= r == Check.DIFFERENT;
        return new Status(problems.isEmpty(), any && stale, List.copyOf(problems), hooksDir, registration);
    }

    private enum Check { OK, MISSING, DIFFERENT }

    private static Check check(Path f, String expected, List<String> problems) {
        try {
            if (!Files.exists(f)) {
                problems.add(f + " is missing");
                return Check.MISSING;
            }
            if (!Files.readString(f, StandardCharsets.UTF_8).equals(expected)) {
                problems.add(f + " is stale (from another version or another state directory)");
                return Check.DIFFERENT;
            }
            return Check.OK;
        } catch (IOException e) {
            problems.add(f + " is unreadable: " + e.getMessage());
            return Check.DIFFERENT;
        }
    }

    static String descriptorName(String stage) {
        return "terok-shield-" + stage + ".json";
    }

    private static void write(Path f, String content, String perms) throws IOException {
        Path tmp = f.resolveSibling("." + f.getFileName() + ".tmp");
        Files.writeString(tmp, content, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString(perms));
        Files.move(tmp, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }
}
