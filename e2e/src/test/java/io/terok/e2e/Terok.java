package io.terok.e2e;

import io.terok.testsupport.Cmd;
import io.terok.testsupport.FakeInternet;
import io.terok.testsupport.PrivateInstallation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Runs the real {@code bin/terok} as a separate process, the way an operator does, inside a private set of
 * terok directories so tests never meet a live installation. With {@code asUser} the command runs as the
 * rootless test user through {@code bin/test-user}.
 */
final class Terok {
    static final Path REPO = Path.of(System.getProperty("terok.repo", "..")).toAbsolutePath().normalize();

    final Path home;
    final String asUser;
    final Map<String, String> env;

    /** @param home a fresh directory holding run/, data/, state/ and config/ for this installation */
    Terok(Path home, String asUser) {
        this(home, asUser, PrivateInstallation.environment(REPO, home, asUser == null));
    }

    /**
     * The command line of a private installation with a podman of its own (test-support's, which owns the
     * directories, ports, fake internet, podman API service and shield's hooks); its environment is this one's, so
     * what a test adds reaches both.
     */
    Terok(PrivateInstallation installation) {
        this(installation.home, null, installation.env);
    }

    private Terok(Path home, String asUser, Map<String, String> env) {
        this.home = home;
        this.asUser = asUser;
        this.env = env;
        // As the rootless test user the data directory is left to terok's default (PrivateInstallation.environment).
        // (XDG variables themselves are not redirected: podman uses them for its storage and configuration.)
        if (asUser == null) {
            // The services' class-data archives, shared by every test's installation (each has a fresh state dir):
            // recorded by the first test class, mapped by the others (cached outside the repository).
            env.put("TEROK_SERVICE_CDS_DIR", "/var/cache/terok-ci/cds");
        }
    }

    /**
     * A private installation for test class {@code name} in a fresh {@link #freshHome}: {@code internet} started,
     * the podman API service up, the services not yet ({@link PrivateInstallation#start}).
     */
    static PrivateInstallation install(String name, FakeInternet.Spec internet) throws Exception {
        return PrivateInstallation.create(REPO, freshHome(name, null), internet);
    }

    /**
     * At the end of a class that made {@code project}: its tasks deleted (containers with them), then the project,
     * best effort: the installation goes next either way.
     */
    void deleteProjectAndTasks(String project) {
        for (String line : run("task", "list").out().lines().skip(1).toList()) {
            run("task", "delete", project, line.split("\\s+")[0]);
        }
        run("project", "delete", project);
        // A project of this class's own name (projectName): any image of it left (`project delete` keeps one a container
        // still uses, e.g. after a failed test, and removes only the tag its current settings plan) is this class's.
        String left = exec(List.of("podman", "images", "-q", "--filter", "reference=localhost/terok-l2-" + project), env, 60).out();
        for (String id : left.lines().map(String::strip).filter(l -> !l.isEmpty()).distinct().toList()) {
            exec(List.of("podman", "rmi", "-f", id), env, 120);
        }
    }

    /** The entries of a directory under the runtime dir (e.g. open SSH agents); none when it does not exist. */
    List<Path> runtimeEntries(String dir) throws IOException {
        Path root = runtimeDir().resolve(dir);
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (java.util.stream.Stream<Path> s = Files.list(root)) {
            return s.toList();
        }
    }

    Path runtimeDir() {
        return home.resolve("run");
    }

    /** A bare upstream {@code <home>/upstream.git} whose {@code main} holds one commit (a README); its path. */
    Path seedUpstream() throws IOException {
        return PrivateInstallation.seedUpstream(home);
    }

    /** The operator's git in {@code dir} (no system config, this installation's home); its trimmed output. */
    String git(Path dir, String... args) {
        return PrivateInstallation.git(home, dir, args);
    }

    /**
     * What a task does with a project's gate: clones {@code gate} into {@code dir}, commits a file and pushes the
     * commit as {@code branch}; answers the commit.
     */
    String pushAsTask(Path gate, Path dir, String branch) throws IOException {
        git(home, "clone", "-q", gate.toString(), dir.toString());
        Files.writeString(dir.resolve("agent.txt"), "task work\n");
        git(dir, "add", "agent.txt");
        git(dir, "commit", "-q", "-m", "task work");
        git(dir, "push", "-q", "origin", "HEAD:refs/heads/" + branch);
        return git(dir, "rev-parse", "HEAD");
    }

    /**
     * SIGKILL to one of this installation's services: only the pid its pid file names, and only while that process
     * still runs the service's jar. Returns once it is gone.
     */
    void kill9(String service) throws Exception {
        long pid = Long.parseLong(Files.readString(runtimeDir().resolve("pids/" + service + ".pid")).strip());
        String cmdline = Files.readString(Path.of("/proc/" + pid + "/cmdline")).replace('\0', ' ');
        if (!cmdline.contains(service + "-service") || !cmdline.contains("quarkus-run.jar")) {
            throw new AssertionError("pid " + pid + " is not " + service + "-service: " + cmdline);
        }
        ProcessHandle h = ProcessHandle.of(pid).orElseThrow();
        exec(List.of("kill", "-9", Long.toString(pid)), Map.of(), 30).ok();
        h.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);
    }

    /** After the tests: the services stopped and the installation's directory, with its vault and mirrors, gone. */
    void discard() {
        run("services", "down");
        exec(List.of("rm", "-rf", home.toString()), Map.of(), 60);
    }

    record Result(int exitCode, String out, String err) {
        Result ok() {
            if (exitCode != 0) {
                throw new AssertionError("expected exit 0, got " + exitCode + "\nstdout: " + out + "\nstderr: " + err);
            }
            return this;
        }
    }

    Result run(String... args) {
        return runWithInput(null, args);
    }

    /** Runs the CLI with {@code input} on its standard input (a secret, as an operator would pipe it). */
    Result runWithInput(String input, String... args) {
        return exec(commandLine(args), Map.of(), 180, input);
    }

    /**
     * The command line of {@code bin/terok args} in this installation (as the rootless user when so made), its
     * environment spelled out with {@code env}: also for a test that starts a long-running command itself.
     */
    List<String> commandLine(String... args) {
        List<String> cmd = new ArrayList<>();
        if (asUser != null) {
            cmd.add(REPO.resolve("bin/test-user").toString());
        }
        cmd.add("env");
        env.forEach((k, v) -> cmd.add(k + "=" + v));
        cmd.add(REPO.resolve("bin/terok").toString());
        cmd.addAll(List.of(args));
        return cmd;
    }

    static Result exec(List<String> cmd, Map<String, String> extraEnv, int timeoutSeconds) {
        return exec(cmd, extraEnv, timeoutSeconds, null);
    }

    static Result exec(List<String> cmd, Map<String, String> extraEnv, int timeoutSeconds, String input) {
        Cmd.Output o = Cmd.exec(cmd, null, e -> e.putAll(extraEnv), input == null ? null : input + "\n", timeoutSeconds);
        return new Result(o.code(), o.out(), o.err());
    }

    /**
     * A project name of this run's own, {@code PREFIX-<8 hex>}: a project's L2 image tag ({@code localhost/terok-l2-NAME:...})
     * lives in the machine's podman storage and `project delete` removes it, so classes (or checkouts) sharing one name
     * ("demo") removed each other's image while the other still used it.
     */
    static String projectName(String prefix) {
        return prefix + "-" + java.util.UUID.randomUUID().toString().substring(0, 8);
    }

    /** A private directory the rootless user may own too. */
    static Path freshHome(String name, String owner) throws IOException {
        Path base = Path.of("/tmp", "terok-e2e-" + name + "-" + ProcessHandle.current().pid());
        exec(List.of("rm", "-rf", base.toString()), Map.of(), 30);
        Files.createDirectories(base);
        if (owner != null) {
            exec(List.of("chown", owner + ":" + owner, base.toString()), Map.of(), 30).ok();
        }
        return base;
    }
}
