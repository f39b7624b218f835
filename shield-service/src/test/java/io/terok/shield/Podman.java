package io.terok.shield;

import io.terok.shield.hooks.HooksInstaller;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * podman for the tests, as root or (through bin/test-user) as the rootless test user, always with a private
 * containers.conf (CONTAINERS_CONF) whose hooks_dir is the test's own hooks directory: nothing global changes.
 */
final class Podman {
    static final String IMAGE = "localhost/terok-agent:latest";
    final Path conf;
    final boolean rootless;
    private final List<String> names = new ArrayList<>();

    Podman(Path conf, boolean rootless) {
        this.conf = conf;
        this.rootless = rootless;
    }

    static void writeConf(Path conf, HooksInstaller hooks) throws IOException {
        Files.writeString(conf, """
                [containers]
                default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]

                [engine]
                runtime = "runc"
                hooks_dir = ["%s"]
                """.formatted(hooks.hooksDir()));
        Files.setPosixFilePermissions(conf, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
    }

    Sh.Out podman(String... args) {
        List<String> argv = new ArrayList<>();
        if (rootless) {
            argv.addAll(List.of(testUser(), "env", "CONTAINERS_CONF=" + conf));
        }
        argv.add("podman");
        argv.addAll(List.of(args));
        return Sh.run(rootless ? Map.of() : Map.of("CONTAINERS_CONF", conf.toString()), argv);
    }

    static String testUser() {
        Path p = Path.of(System.getProperty("user.dir")).getParent().resolve("bin/test-user");
        return p.toString();
    }

    /** A hardened task-like container (as runtime-service launches FILTERED tasks) running sleep. */
    Sh.Out runTask(String name, String taskId, String... extra) {
        names.add(name);
        List<String> a = new ArrayList<>(List.of("run", "-d", "--name", name, "--cap-drop=all",
                "--security-opt=no-new-privileges", "--network=slirp4netns:allow_host_loopback=true", "--dns=127.0.0.1",
                "--annotation", HooksInstaller.ANNOTATION + "=" + taskId));
        if (rootless) {
            a.addAll(List.of("--userns=keep-id"));
        } else {
            a.addAll(List.of("--userns=auto", "--user=1000:1000"));
        }
        a.addAll(List.of(extra));
        a.addAll(List.of(IMAGE, "sleep", "600"));
        return podman(a.toArray(String[]::new));
    }

    /** curl from inside the container; true when the HTTP request succeeded. */
    boolean reaches(String name, String url) {
        Sh.Out o = podman("exec", name, "curl", "-sS", "-m", "3", "-o", "/dev/null", "-w", "%{http_code}", url);
        return o.code() == 0 && o.out().startsWith("200");
    }

    String state(String name) {
        Sh.Out o = podman("inspect", "--format", "{{.State.Status}}", name);
        return o.code() == 0 ? o.out().strip() : "missing";
    }

    int pid(String name) {
        return Integer.parseInt(podman("inspect", "--format", "{{.State.Pid}}", name).out().strip());
    }

    void removeAll() {
        for (String n : names) {
            podman("rm", "-f", "-t", "0", n);
        }
        names.clear();
    }
}
