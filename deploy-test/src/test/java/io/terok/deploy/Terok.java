package io.terok.deploy;

import io.terok.testsupport.Cmd;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs the real {@code bin/terok} with a private HOME and private XDG directories, so `terok setup --user` writes
 * only below {@code home} (never into the real ~/.config of the user running the tests).
 */
final class Terok {
    static final Path REPO = Path.of(System.getProperty("terok.repo", "..")).toAbsolutePath().normalize();
    /** The offline base prepare-host builds from Debian packages (the default public JRE image cannot be pulled here). */
    static final String BASE_IMAGE = "localhost/terok-jre-base:latest";

    final Path home;
    final Map<String, String> env = new LinkedHashMap<>();

    Terok(Path home) throws IOException {
        this.home = home;
        Path run = Files.createDirectories(home.resolve("run"));
        env.put("PATH", System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin"));
        env.put("HOME", home.toString());
        env.put("XDG_CONFIG_HOME", home.resolve("config").toString());
        env.put("XDG_STATE_HOME", home.resolve("state").toString());
        env.put("XDG_DATA_HOME", home.resolve("data").toString());
        env.put("XDG_RUNTIME_DIR", run.toString());
        // The embedded-mode directories too, so nothing of a real installation is read or written.
        env.put("TEROK_RUNTIME_DIR", run.resolve("terok").toString());
        env.put("TEROK_STATE_DIR", home.resolve("state/terok").toString());
        env.put("TEROK_DATA_DIR", home.resolve("data/terok").toString());
        env.put("TEROK_CONFIG_DIR", home.resolve("config/terok").toString());
        // Port claims published here, never in the host's shared registry (/var/tmp/terok-ports).
        env.put("TEROK_PORT_REGISTRY_DIR", home.resolve("ports").toString());
        env.put("TEROK_HOME", REPO.toString());
        env.put("TEROK_BASE_IMAGE", BASE_IMAGE);
        env.put("TEROK_NO_CDS", "1");
        // No spare CLI process per test home (PrivateInstallation says why).
        env.put("TEROK_NO_SPARE", "1");
    }

    record Result(int exitCode, String out, String err) {
        Result ok() {
            if (exitCode != 0) {
                throw new AssertionError("expected exit 0, got " + exitCode + "\nstdout: " + out + "\nstderr: " + err);
            }
            return this;
        }

        @Override
        public String toString() {
            return "exit " + exitCode + "\nstdout:\n" + out + "\nstderr:\n" + err;
        }
    }

    Result run(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(REPO.resolve("bin/terok").toString());
        cmd.addAll(List.of(args));
        return exec(cmd, env, 600);
    }

    /** Runs {@code cmd} with exactly {@code env} (null: this process's environment) and stdin from /dev/null. */
    static Result exec(List<String> cmd, Map<String, String> env, int timeoutSeconds) {
        Cmd.Output o = Cmd.exec(cmd, null, e -> {
            if (env != null) {
                e.clear();
                e.putAll(env);
            }
        }, null, timeoutSeconds);
        return new Result(o.code(), o.out(), o.err());
    }

    static Result podman(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add("podman");
        cmd.addAll(List.of(args));
        return exec(cmd, null, 120);
    }
}
