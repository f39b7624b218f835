package io.terok.testsupport;

import io.grpc.ManagedChannel;
import io.terok.api.v1.HooksRequest;
import io.terok.api.v1.ShieldServiceGrpc;
import io.terok.common.grpc.UnixChannels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A private terok installation run by a checkout's {@code bin/terok}, as an operator runs it, that never meets a live
 * one: its own runtime, data, state and config directories under {@code home}, its own loopback ports, its own fake
 * internet (a task's DNS forwarder asks that netns' resolver, never the machine's) and a private podman API service
 * whose only hooks are this installation's shield's (registered for that service alone, so the firewall hook never
 * runs for anyone else's containers). What e2e tests and benchmarks share; {@link #close} undoes all of it, whatever
 * state the caller left it in: the hooks, the services, podman, the netns and the directory.
 */
public final class PrivateInstallation implements AutoCloseable {
    /** Where bin/prepare-host staged the agents' npm packages once per machine (outside the repository). */
    public static final String AGENTS_STAGE = System.getenv().getOrDefault("TEROK_AGENTS_STAGE",
            "/var/cache/terok-ci/agents-stage");

    public final Path repo;
    public final Path home;
    /** Every {@code bin/terok} call's environment; a caller may add to it (before the services start, for theirs). */
    public final Map<String, String> env;
    private FakeInternet internet;
    private PrivatePodman podman;
    private boolean up;

    private PrivateInstallation(Path repo, Path home) {
        this.repo = repo;
        this.home = home;
        this.env = environment(repo, home, true);
    }

    /**
     * The environment that keeps an installation in {@code home}: its directories and three loopback ports of its own
     * (an operator's terok, left running by bin/quickstart, holds the defaults).
     *
     * @param dataDir false leaves the data directory to terok's default ($XDG_DATA_HOME/terok), as on a workstation:
     *                a rootless user's services compute that path themselves, even during Quarkus' static init
     */
    public static Map<String, String> environment(Path repo, Path home, boolean dataDir) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("TEROK_RUNTIME_DIR", home.resolve("run").toString());
        env.put("TEROK_STATE_DIR", home.resolve("state").toString());
        env.put("TEROK_CONFIG_DIR", home.resolve("config").toString());
        if (dataDir) {
            env.put("TEROK_DATA_DIR", home.resolve("data").toString());
        }
        env.put("TEROK_HOME", repo.toString());
        // The cold CLI: each test's installation would otherwise keep a spare CLI process of its own (a second of CPU
        // to warm up after every command, ~120 MiB while it waits). SpareEndToEndTest removes this and tests the spare.
        env.put("TEROK_NO_SPARE", "1");
        env.put("TEROK_GATE_HTTP_PORT", Integer.toString(LoopbackPort.free()));
        env.put("TEROK_VAULT_BROKER_PORT", Integer.toString(LoopbackPort.free()));
        env.put("TEROK_CONSOLE_PORT", Integer.toString(LoopbackPort.free()));
        return env;
    }

    /**
     * The installation in {@code home} (created if missing), {@code internet} started and the podman API service up;
     * the services are not started yet ({@link #start}). Fails (never skips) when a tool it needs is missing; on a
     * failure whatever it had started is taken down again.
     */
    public static PrivateInstallation create(Path repo, Path home, FakeInternet.Spec internet) throws Exception {
        Cmd.require(List.of("nft", "nsenter", "ip", "dnsmasq", "podman", "git"));
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

    public FakeInternet internet() {
        return internet;
    }

    public PrivatePodman podman() {
        return podman;
    }

    /** Projects build their agent layer from the agents bin/prepare-host staged, not from npm each time. */
    public PrivateInstallation withStagedAgents() {
        env.put("TEROK_PROJECTS_STAGE_DIR", AGENTS_STAGE);
        return this;
    }

    /** Writes {@code config/config.yaml} from its lines. */
    public void config(String... lines) throws IOException {
        Files.createDirectories(home.resolve("config"));
        Files.writeString(home.resolve("config/config.yaml"), String.join("\n", lines) + "\n");
    }

    /**
     * Writes {@code config/config.yaml}: a vault unlocked by {@code passphrase} (never the kernel keyring, which is the
     * machine's), followed by {@code more} lines (the vault's {@code providers:} first, if any, then other sections).
     */
    public void configWithVault(String passphrase, String... more) throws IOException {
        List<String> lines = new ArrayList<>(List.of("terok:", "  vault:", "    kernel-keyring: false",
                "    passphrase-command: printf %s " + passphrase));
        lines.addAll(List.of(more));
        config(lines.toArray(String[]::new));
    }

    /**
     * `terok services up` ({@code options} added, e.g. a longer {@code --timeout}) and shield's hooks installed for the
     * private podman; fails with the command's output. Answers what `services up` printed.
     */
    public Cmd.Output start(String... options) {
        Cmd.Output o = servicesUp(options);
        hooks(true);
        return o;
    }

    /**
     * `terok services up` alone (shield's hooks not installed), failing with its output. Once called, {@link #close}
     * takes the services down even if this failed.
     */
    public Cmd.Output servicesUp(String... options) {
        List<String> args = new ArrayList<>(List.of("services", "up"));
        args.addAll(List.of(options));
        up = true;
        return check(terokQuietly(180, args.toArray(String[]::new)), "terok services up");
    }

    /** The podman API service stopped and started again (as a host reboot does), at the same socket. */
    public PrivatePodman restartPodman() throws IOException, InterruptedException {
        podman.close();
        Files.deleteIfExists(podman.socket);
        podman = new PrivatePodman(home, home.resolve("data/shield/hooks"));
        return podman;
    }

    /**
     * Shield's hooks removed (quietly: shield may already be gone) and `terok services down`; answers what the latter
     * printed. {@link #close} does this when the caller did not.
     */
    public Cmd.Output stop() {
        up = false;
        try {
            hooks(false);
        } catch (RuntimeException e) {
            // the services are not up, or shield already went: the services go down next either way
        }
        return terokQuietly(180, "services", "down");
    }

    /** The {@code bin/terok ARGS} command line with this installation's environment spelled out by {@code env}. */
    public List<String> command(String... args) {
        List<String> cmd = new ArrayList<>(List.of("env"));
        env.forEach((k, v) -> cmd.add(k + "=" + v));
        cmd.add(repo.resolve("bin/terok").toString());
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** Runs {@code bin/terok ARGS} ({@code input}: a line on stdin, or null); fails with its output unless it exits 0. */
    public Cmd.Output terok(String input, String... args) {
        return check(Cmd.exec(command(args), null, e -> { }, input == null ? null : input + "\n", 300),
                "terok " + String.join(" ", args));
    }

    /** Runs {@code bin/terok ARGS} and answers whatever it did (clean-up, where a failure is reported by the caller). */
    public Cmd.Output terokQuietly(int timeoutSeconds, String... args) {
        return Cmd.exec(command(args), null, e -> { }, null, timeoutSeconds);
    }

    /** The {@code podman} command line against the private API service. */
    public List<String> podman(String... args) {
        List<String> cmd = new ArrayList<>(List.of("podman", "--url=unix://" + podman.socket));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** Installs (what `terok setup` does) or removes shield's hooks, for this installation's private podman only. */
    public void hooks(boolean install) {
        ManagedChannel ch = UnixChannels.open(home.resolve("run/shield.sock"));
        try {
            var stub = ShieldServiceGrpc.newBlockingStub(ch).withDeadlineAfter(30, TimeUnit.SECONDS);
            if (install) {
                if (!stub.installHooks(HooksRequest.getDefaultInstance()).getInstalled()) {
                    throw new IllegalStateException("shield did not install its OCI hooks");
                }
            } else {
                stub.uninstallHooks(HooksRequest.getDefaultInstance());
            }
        } finally {
            ch.shutdownNow();
        }
    }

    /** A bare upstream {@code <home>/upstream.git} whose {@code main} holds one commit (a README); its path. */
    public Path seedUpstream() throws IOException {
        return seedUpstream(home);
    }

    /** As {@link #seedUpstream()}, for an installation in {@code home} that is not one of these. */
    public static Path seedUpstream(Path home) throws IOException {
        Path upstream = home.resolve("upstream.git");
        Path seed = home.resolve("seed");
        git(home, home, "init", "-q", "--bare", "-b", "main", upstream.toString());
        git(home, home, "clone", "-q", upstream.toString(), seed.toString());
        Files.writeString(seed.resolve("README"), "upstream\n");
        git(home, seed, "add", "README");
        git(home, seed, "-c", "user.name=Up", "-c", "user.email=up@example.com", "commit", "-q", "-m", "initial");
        git(home, seed, "push", "-q", "origin", "HEAD:main");
        return upstream;
    }

    /**
     * The operator's real git in {@code dir}, without the machine's or the user's configuration ({@code HOME} is the
     * installation's {@code home}); its trimmed output, or a failure with what git said.
     */
    public static String git(Path home, Path dir, String... args) {
        List<String> cmd = new ArrayList<>(List.of("git", "-C", dir.toString(), "-c", "user.name=Operator",
                "-c", "user.email=op@example.invalid"));
        cmd.addAll(List.of(args));
        return check(Cmd.exec(cmd, null, e -> {
            e.put("GIT_CONFIG_NOSYSTEM", "1");
            e.put("HOME", home.toString());
        }, null, 60), "git " + String.join(" ", args)).out().trim();
    }

    /** A service's pid, from its pid file. */
    public long pid(String service) throws IOException {
        return Long.parseLong(Files.readString(home.resolve("run/pids/" + service + ".pid")).strip());
    }

    public static Cmd.Output check(Cmd.Output o, String what) {
        if (o.code() != 0) {
            throw new IllegalStateException(what + " exited " + o.code() + "\nstdout: " + o.out() + "\nstderr: " + o.err());
        }
        return o;
    }

    @Override
    public void close() {
        if (up) {
            Cmd.Output down = stop();
            if (down.code() != 0) {
                System.err.println("terok services down exited " + down.code() + ": " + down.err());
            }
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
