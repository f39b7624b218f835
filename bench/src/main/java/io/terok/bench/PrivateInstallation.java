package io.terok.bench;

import io.grpc.ManagedChannel;
import io.terok.api.v1.HooksRequest;
import io.terok.api.v1.ShieldServiceGrpc;
import io.terok.common.grpc.UnixChannels;
import io.terok.testsupport.Cmd;
import io.terok.testsupport.FakeInternet;
import io.terok.testsupport.PrivatePodman;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A private terok installation for a benchmark, run by the checkout's {@code bin/terok}: its own runtime, data, state
 * and config directories and port registry under {@code /tmp/terok-bench-NAME-PID}, its own fake internet (the task's
 * DNS forwarder asks that netns' resolver, never the machine's), a private podman API service with shield's hooks
 * registered for it only, and the services started once. {@link #close} undoes all of it: the hooks, the services,
 * podman, the netns and the directory. What a benchmark adds (tasks, a model server) it removes itself first.
 */
final class PrivateInstallation implements AutoCloseable {
    final Path repo;
    final Path home;
    /** The environment every {@code bin/terok} call gets; a benchmark may add to it before {@link #start}. */
    final Map<String, String> env = new LinkedHashMap<>();
    FakeInternet internet;
    PrivatePodman podman;
    private boolean up;

    private PrivateInstallation(Path repo, Path home) {
        this.repo = repo;
        this.home = home;
        env.put("TEROK_RUNTIME_DIR", home.resolve("run").toString());
        env.put("TEROK_DATA_DIR", home.resolve("data").toString());
        env.put("TEROK_STATE_DIR", home.resolve("state").toString());
        env.put("TEROK_CONFIG_DIR", home.resolve("config").toString());
        env.put("TEROK_HOME", repo.toString());
        // Ports from a private registry: an operator's own terok on this machine keeps its own.
        env.put("TEROK_PORT_REGISTRY_DIR", home.resolve("ports").toString());
    }

    /**
     * The installation's directory, its fake internet ({@code internet}, started here) and its podman API service; the
     * services are not started yet. Fails (never skips) when a tool it needs is missing.
     */
    static PrivateInstallation create(Path repo, String name, FakeInternet.Spec internet) throws Exception {
        Cmd.require(List.of("nft", "nsenter", "ip", "dnsmasq", "podman", "git", "slirp4netns"));
        Path home = Path.of("/tmp", "terok-bench-" + name + "-" + ProcessHandle.current().pid());
        Files.createDirectories(home);
        PrivateInstallation i = new PrivateInstallation(repo, home);
        try {
            i.internet = internet.start();
            i.podman = new PrivatePodman(home, home.resolve("data/shield/hooks"));
            i.env.put("TEROK_PODMAN_SOCKET", i.podman.socket.toString());
            i.env.put("TEROK_SHIELD_UPSTREAM_DNS", i.internet.resolver());
            i.env.put("TEROK_SHIELD_HOOKS_REGISTRATION", home.resolve("containers.conf.d/terok-shield.conf").toString());
            return i;
        } catch (Exception | Error e) {
            i.close();
            throw e;
        }
    }

    /** Writes {@code config/config.yaml} from its lines. */
    void config(String... lines) throws IOException {
        Files.createDirectories(home.resolve("config"));
        Files.writeString(home.resolve("config/config.yaml"), String.join("\n", lines) + "\n");
    }

    /**
     * `terok services up` (once marked up, {@link #close} brings the services down even if this fails), waiting up to
     * two minutes: on a machine loaded by other builds a JVM's start can take more than the default 30 s.
     */
    Cmd.Output servicesUp() {
        up = true;
        return terok(null, "services", "up", "--timeout", "120");
    }

    /** `terok services up`, then shield's hooks installed for the private podman. */
    void start() {
        servicesUp();
        hooks(true);
    }

    /** A bare upstream repository with one commit on main (a README); answers its path. */
    Path seedUpstream() throws IOException {
        Path upstream = home.resolve("upstream.git");
        Path seed = home.resolve("seed");
        git(home, "init", "-q", "--bare", "-b", "main", upstream.toString());
        git(home, "clone", "-q", upstream.toString(), seed.toString());
        Files.writeString(seed.resolve("README"), "upstream\n");
        git(seed, "add", "README");
        git(seed, "commit", "-q", "-m", "initial");
        git(seed, "push", "-q", "origin", "HEAD:main");
        return upstream;
    }

    /** The {@code bin/terok} command line with this installation's environment. */
    List<String> command(String... args) {
        List<String> cmd = new ArrayList<>(List.of("env"));
        env.forEach((k, v) -> cmd.add(k + "=" + v));
        cmd.add(repo.resolve("bin/terok").toString());
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** Runs {@code bin/terok ARGS} ({@code input}: a line on stdin, or null); fails with its output unless it exits 0. */
    Cmd.Output terok(String input, String... args) {
        return check(Cmd.exec(command(args), null, e -> { }, input == null ? null : input + "\n", 300),
                "terok " + String.join(" ", args));
    }

    /** Runs {@code bin/terok ARGS} and answers whatever it did (clean-up, where a failure is reported by the caller). */
    Cmd.Output terokQuietly(int timeoutSeconds, String... args) {
        return Cmd.exec(command(args), null, e -> { }, null, timeoutSeconds);
    }

    /** The {@code podman} command line against the private API service. */
    List<String> podman(String... args) {
        List<String> cmd = new ArrayList<>(List.of("podman", "--url=unix://" + podman.socket));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** Real git, without the machine's or the user's configuration. */
    void git(Path dir, String... args) {
        List<String> cmd = new ArrayList<>(List.of("git", "-C", dir.toString(), "-c", "user.name=Bench",
                "-c", "user.email=bench@example.invalid"));
        cmd.addAll(List.of(args));
        check(Cmd.exec(cmd, null, e -> {
            e.put("GIT_CONFIG_NOSYSTEM", "1");
            e.put("HOME", home.toString());
        }, null, 60), "git " + String.join(" ", args));
    }

    /** Installs (or removes) shield's hooks, for this installation's private podman only. */
    void hooks(boolean install) {
        ManagedChannel ch = UnixChannels.open(home.resolve("run/shield.sock"));
        try {
            var stub = ShieldServiceGrpc.newBlockingStub(ch).withDeadlineAfter(30, TimeUnit.SECONDS);
            if (install) {
                if (!stub.installHooks(HooksRequest.getDefaultInstance()).getInstalled()) {
                    throw new IllegalStateException("shield did not install its hooks");
                }
            } else {
                stub.uninstallHooks(HooksRequest.getDefaultInstance());
            }
        } finally {
            ch.shutdownNow();
        }
    }

    /** A service's pid, from its pid file. */
    long pid(String service) throws IOException {
        return Long.parseLong(Files.readString(home.resolve("run/pids/" + service + ".pid")).strip());
    }

    static Cmd.Output check(Cmd.Output o, String what) {
        if (o.code() != 0) {
            throw new IllegalStateException(what + " exited " + o.code() + "\nstdout: " + o.out() + "\nstderr: " + o.err());
        }
        return o;
    }

    @Override
    public void close() {
        if (up) {
            try {
                hooks(false);
            } catch (RuntimeException e) {
                System.err.println("uninstalling the hooks: " + e.getMessage());
            }
            terokQuietly(120, "services", "down");
            up = false;
        }
        for (AutoCloseable c : new AutoCloseable[] {podman, internet}) {
            if (c != null) {
                try {
                    c.close();
                } catch (Exception e) {
                    System.err.println("closing " + c + ": " + e.getMessage());
                }
            }
        }
        Cmd.exec(List.of("rm", "-rf", home.toString()), null, e -> { }, null, 120);
    }
}
