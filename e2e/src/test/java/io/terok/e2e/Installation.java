package io.terok.e2e;

import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import io.grpc.ManagedChannel;
import io.terok.api.v1.CreateProjectRequest;
import io.terok.api.v1.GateServiceGrpc;
import io.terok.common.grpc.UnixChannels;
import io.terok.testsupport.Cmd;
import io.terok.testsupport.FakeInternet;
import io.terok.testsupport.PrivateInstallation;
import io.terok.testsupport.PrivatePodman;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A whole installation for the tests that kill, restart or panic it: test-support's {@link PrivateInstallation} (its
 * own terok directories, a fake internet, a private podman API service that runs shield's hooks), a loopback provider
 * behind the vault (with a real key stored), the five services up and shield's hooks installed. Optionally a project
 * in the gate whose upstream holds one commit. {@link #close} takes all of it down again, whatever state a test left it
 * in.
 */
final class Installation implements AutoCloseable {
    final PrivateInstallation fixture;
    final Terok terok;
    final FakeInternet internet;
    /** The podman API service; {@link #restartPodman} replaces it. */
    PrivatePodman podman;
    final HttpServer provider;
    /** The {@code x-api-key} of every request the provider received, in order. */
    final List<String> providerSaw = new CopyOnWriteArrayList<>();
    /** The project's bare upstream, when one was made. */
    Path upstream;

    /** The provider's answer when a test does not bring its own: a small JSON body. */
    static HttpHandler json(List<String> saw) {
        return ex -> {
            saw.add(String.valueOf(ex.getRequestHeaders().getFirst("x-api-key")));
            byte[] body = "{\"ok\":true}".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        };
    }

    interface Provider {
        /** The handler of the provider's requests; it records each request's key in {@code saw}. */
        HttpHandler handler(List<String> saw);
    }

    /**
     * @param fixture the private installation, services not started
     * @param provider what the loopback provider answers
     * @param env more environment for the CLI and the services
     */
    private Installation(PrivateInstallation fixture, Provider provider, java.util.Map<String, String> env)
            throws IOException {
        this.fixture = fixture;
        terok = new Terok(fixture);
        terok.env.putAll(env);
        internet = fixture.internet();
        podman = fixture.podman();
        HttpServer http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        http.createContext("/", provider.handler(providerSaw));
        http.start();
        this.provider = http;
    }

    /** The configuration, the services up with shield's hooks installed, the real key in the vault. */
    private void boot(String name, String realKey) throws Exception {
        fixture.configWithVault("e2e-" + name + "-passphrase",
                "    providers:",
                "      anthropic:",
                "        upstream: http://127.0.0.1:" + provider.getAddress().getPort());
        fixture.start();
        terok.runWithInput(realKey, "vault", "add", "anthropic").ok();
    }

    /**
     * Starts an installation; on a failure everything it had started is taken down again.
     *
     * @param name names the installation's directory and passphrase
     * @param realKey the anthropic key stored in the vault
     */
    static Installation start(String name, FakeInternet.Spec internet, String realKey, Provider provider) throws Exception {
        return start(name, internet, realKey, provider, java.util.Map.of());
    }

    /** As {@link #start(String, FakeInternet.Spec, String, Provider)}, with {@code env} added to the installation's. */
    static Installation start(String name, FakeInternet.Spec internet, String realKey, Provider provider,
            java.util.Map<String, String> env) throws Exception {
        Cmd.require(List.of("busybox", "curl"));
        PrivateInstallation fixture = Terok.install(name, internet);
        Installation i = null;
        try {
            i = new Installation(fixture, provider, env);
            i.boot(name, realKey);
            return i;
        } catch (Exception | Error e) {
            if (i != null) {
                i.close();
            } else {
                fixture.close();
            }
            throw e;
        }
    }

    /** A project {@code name} in the gate, synced from a bare upstream whose {@code main} holds one empty commit. */
    Installation withProject(String name) throws Exception {
        upstream = terok.home.resolve("upstream.git");
        Path seed = terok.home.resolve("seed");
        terok.git(terok.home, "init", "-q", "--bare", "-b", "main", upstream.toString());
        terok.git(terok.home, "clone", "-q", upstream.toString(), seed.toString());
        terok.git(seed, "commit", "-q", "--allow-empty", "-m", "initial");
        terok.git(seed, "push", "-q", "origin", "HEAD:main");
        ManagedChannel gate = UnixChannels.open(terok.runtimeDir().resolve("gate.sock"));
        try {
            GateServiceGrpc.newBlockingStub(gate).withDeadlineAfter(60, TimeUnit.SECONDS).createProject(CreateProjectRequest
                    .newBuilder().setName(name).setUpstreamUrl("file://" + upstream).setSync(true).build());
        } finally {
            gate.shutdownNow();
        }
        return this;
    }

    /** The ids of this installation's task records (checked ids only: they reach a shell command). */
    List<String> recordIds() {
        Path dir = terok.home.resolve("data/runtime/tasks");
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (java.util.stream.Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.matches("[0-9a-f]{32}\\.json"))
                    .map(n -> n.substring(0, 32)).toList();
        } catch (java.io.IOException e) {
            return List.of();
        }
    }

    /** The podman API service stopped and started again (as a host reboot does), at the same socket. */
    PrivatePodman restartPodman() throws Exception {
        podman = fixture.restartPodman();
        return podman;
    }

    @Override
    public void close() {
        // Whatever state the test ended in (services down, a launch cut off): this installation's task containers go
        // by podman, found by the task ids of its records. Only those: podman's storage is the machine's, shared with
        // every other test and engineer, so "every container labelled io.terok.task" would remove theirs too.
        for (String id : recordIds()) {
            Cmd.run("sh", "-c", "podman --url=unix://" + podman.socket + " ps -aq --filter label=io.terok.task=" + id
                    + " | xargs -r podman --url=unix://" + podman.socket + " rm -f -t 0");
        }
        fixture.close();
        provider.stop(0);
    }
}
