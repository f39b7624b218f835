package io.terok.bench;

import io.terok.testsupport.Cmd;
import io.terok.testsupport.FakeInternet;
import io.terok.testsupport.PrivatePodman;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A private terok installation for a benchmark: test-support's {@link io.terok.testsupport.PrivateInstallation} (what
 * the e2e tests use too) under {@code /tmp/terok-bench-NAME-PID}, with the benchmarks' own habits: a port registry of
 * its own, a longer wait for the services' start and git as "Bench". What a benchmark adds (tasks, a model server) it
 * removes itself first; {@link #close} undoes the rest.
 */
final class PrivateInstallation implements AutoCloseable {
    private final io.terok.testsupport.PrivateInstallation fixture;
    final Path repo;
    final Path home;
    /** The environment every {@code bin/terok} call gets; a benchmark may add to it before {@link #start}. */
    final Map<String, String> env;
    final FakeInternet internet;
    final PrivatePodman podman;

    private PrivateInstallation(io.terok.testsupport.PrivateInstallation fixture) {
        this.fixture = fixture;
        this.repo = fixture.repo;
        this.home = fixture.home;
        this.env = fixture.env;
        this.internet = fixture.internet();
        this.podman = fixture.podman();
        // Port claims in a registry of its own: an operator's own terok on this machine keeps its own.
        env.put("TEROK_PORT_REGISTRY_DIR", home.resolve("ports").toString());
    }

    /**
     * The installation's directory, its fake internet ({@code internet}, started here) and its podman API service; the
     * services are not started yet. Fails (never skips) when a tool it needs is missing.
     */
    static PrivateInstallation create(Path repo, String name, FakeInternet.Spec internet) throws Exception {
        Cmd.require(List.of("slirp4netns"));
        return new PrivateInstallation(io.terok.testsupport.PrivateInstallation.create(repo,
                Path.of("/tmp", "terok-bench-" + name + "-" + ProcessHandle.current().pid()), internet));
    }

    /** Writes {@code config/config.yaml} from its lines. */
    void config(String... lines) throws IOException {
        fixture.config(lines);
    }

    /**
     * `terok services up` (once called, {@link #close} brings the services down even if this fails), waiting up to
     * two minutes: on a machine loaded by other builds a JVM's start can take more than the default 30 s.
     */
    Cmd.Output servicesUp() {
        return fixture.servicesUp("--timeout", "120");
    }

    /** `terok services up`, then shield's hooks installed for the private podman. */
    void start() {
        fixture.start("--timeout", "120");
    }

    /** A bare upstream repository with one commit on main (a README); answers its path. */
    Path seedUpstream() throws IOException {
        return fixture.seedUpstream();
    }

    /** The checkout whose {@code bin/terok} this installation runs. */
    Path repoPath() {
        return fixture.repo;
    }

    /** The installation's own directory. */
    Path repoHome() {
        return fixture.home;
    }

    /** The {@code bin/terok} command line with this installation's environment. */
    List<String> command(String... args) {
        return fixture.command(args);
    }

    /** Runs {@code bin/terok ARGS} ({@code input}: a line on stdin, or null); fails with its output unless it exits 0. */
    Cmd.Output terok(String input, String... args) {
        return fixture.terok(input, args);
    }

    /** Runs {@code bin/terok ARGS} and answers whatever it did (clean-up, where a failure is reported by the caller). */
    Cmd.Output terokQuietly(int timeoutSeconds, String... args) {
        return fixture.terokQuietly(timeoutSeconds, args);
    }

    /** The {@code podman} command line against the private API service. */
    List<String> podman(String... args) {
        return fixture.podman(args);
    }

    /** Installs (or removes) shield's hooks, for this installation's private podman only. */
    void hooks(boolean install) {
        fixture.hooks(install);
    }

    /** A service's pid, from its pid file. */
    long pid(String service) throws IOException {
        return fixture.pid(service);
    }

    static Cmd.Output check(Cmd.Output o, String what) {
        return io.terok.testsupport.PrivateInstallation.check(o, what);
    }

    @Override
    public void close() {
        fixture.close();
    }
}
