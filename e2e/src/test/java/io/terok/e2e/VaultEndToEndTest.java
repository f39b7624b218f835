package io.terok.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.grpc.ManagedChannel;
import io.terok.api.v1.CredentialKind;
import io.terok.api.v1.ListTokensRequest;
import io.terok.api.v1.PutCredentialRequest;
import io.terok.api.v1.VaultServiceGrpc;
import io.terok.api.v1.VaultStatusRequest;
import io.terok.common.grpc.UnixChannels;
import io.terok.testsupport.LoopbackPort;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A real task container launched through {@code bin/terok run --provider anthropic} calls the token broker at the
 * host loopback address (slirp4netns: 10.0.2.2); the mock provider, on this host's 127.0.0.1, sees the real key,
 * while the container's environment and the responses it gets hold only the phantom token. The container is given
 * nothing but an IP literal: it resolves no names and contacts nothing but the broker.
 */
class VaultEndToEndTest {
    static final String REAL_KEY = "sk-ant-e2e-REAL-0123456789";
    static Terok terok;
    static HttpServer mock;
    static final List<String> seenKeys = new CopyOnWriteArrayList<>();
    static int brokerPort;

    @BeforeAll
    static void up() throws Exception {
        mock = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        mock.createContext("/", ex -> {
            seenKeys.add(String.valueOf(ex.getRequestHeaders().getFirst("x-api-key")));
            byte[] body = ("{\"echo\":\"" + ex.getRequestHeaders().getFirst("x-api-key") + "\",\"path\":\"" + ex.getRequestURI() + "\"}")
                    .getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("content-type", "application/json");
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        mock.start();
        brokerPort = LoopbackPort.free();
        terok = new Terok(Terok.freshHome("vault", null), null);
        terok.env.put("TEROK_VAULT_BROKER_PORT", Integer.toString(brokerPort));
        Files.createDirectories(terok.home.resolve("config"));
        Files.writeString(terok.home.resolve("config/config.yaml"), String.join("\n",
                "terok:",
                "  vault:",
                "    broker-port: " + brokerPort,
                "    kernel-keyring: false",
                "    passphrase-command: printf %s e2e-test-passphrase",
                "    providers:",
                "      anthropic:",
                "        upstream: http://127.0.0.1:" + mock.getAddress().getPort(),
                ""));
        terok.run("services", "up").ok();
        Terok.Result status = terok.run("vault", "status").ok();
        assertTrue(status.out().contains("unlocked (command)"), "unlocked by the passphrase command: " + status.out());
        // The operator pipes the key in: it never appears on a command line.
        terok.runWithInput(REAL_KEY, "vault", "add", "anthropic").ok();
        assertTrue(terok.run("vault", "list").ok().out().contains("credential default/anthropic"));
    }

    @AfterAll
    static void down() {
        if (terok != null) {
            terok.run("rm", "-f", "vault-revoked");
            terok.run("services", "down");
        }
        if (mock != null) {
            mock.stop(0);
        }
    }

    static final class Api implements AutoCloseable {
        final ManagedChannel channel = UnixChannels.open(terok.runtimeDir().resolve("vault.sock"));

        VaultServiceGrpc.VaultServiceBlockingStub stub() {
            return VaultServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
        }

        @Override
        public void close() {
            channel.shutdownNow();
        }
    }

    @Test
    void theContainerHoldsOnlyAPhantomAndTheProviderSeesTheRealKey() throws Exception {
        String script = "echo ENV-BEGIN; env | grep -E '^(ANTHROPIC|TEROK_VAULT)' ; echo ENV-END;"
                + " curl -sS --noproxy '*' --max-time 20 -H \"x-api-key: $ANTHROPIC_API_KEY\" \"$ANTHROPIC_BASE_URL/v1/messages\"; echo;"
                + " curl -sS --noproxy '*' --max-time 20 -o /dev/null -w 'bad=%{http_code}\\n' -H 'x-api-key: terok-p-00' \"$ANTHROPIC_BASE_URL/v1/messages\";"
                + " grep -rs " + REAL_KEY + " / --exclude-dir=proc --exclude-dir=sys >/dev/null && echo FOUND-REAL-KEY; true";
        Terok.Result r = terok.run("run", "--rm", "--name", "vault-e2e", "--provider", "anthropic", "--no-shield",
                "localhost/terok-agent:latest", "sh", "-c", script);
        assertEquals(0, r.exitCode(), r.out() + "\n" + r.err());
        String out = r.out();
        Matcher m = Pattern.compile("ANTHROPIC_API_KEY=(terok-p-[0-9a-f]{64})").matcher(out);
        assertTrue(m.find(), "phantom in the env: " + out);
        String phantom = m.group(1);
        assertTrue(out.contains("ANTHROPIC_BASE_URL=http://10.0.2.2:" + brokerPort), out);
        assertTrue(out.contains("{\"echo\":\"" + phantom + "\",\"path\":\"/v1/messages\"}"), "echoed key comes back redacted: " + out);
        assertTrue(out.contains("bad=401"), out);
        assertFalse(out.contains(REAL_KEY), "the container never sees the real key: " + out);
        assertFalse(out.contains("FOUND-REAL-KEY"));
        assertTrue(seenKeys.contains(REAL_KEY), "the provider got the real key: " + seenKeys);
        assertFalse(seenKeys.contains(phantom), "the provider never sees the phantom");

        // --rm removed the task: its token is revoked and dead. runtime removes it after the command has returned
        // (with the exit code), so this is waited for, with a generous deadline.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        try (Api api = new Api()) {
            while (api.stub().listTokens(ListTokensRequest.getDefaultInstance()).getTokensList().stream()
                    .anyMatch(t -> t.getProvider().equals("anthropic"))) {
                assertTrue(System.nanoTime() < deadline, "no token left after removal");
                Thread.sleep(50);
            }
        }
        HttpResponse<String> dead = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + brokerPort + "/v1/messages"))
                .header("x-api-key", phantom).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(401, dead.statusCode());
        assertTrue(dead.body().contains("invalid_token"), dead.body());
    }

    @Test
    void revokingATasksCredentialsKillsItsPhantomAndLeavesItRunning() throws Exception {
        terok.run("run", "-d", "--name", "vault-revoked", "--provider", "anthropic", "--no-shield",
                "localhost/terok-agent:latest", "sleep", "600").ok();
        String phantom = terok.run("exec", "vault-revoked", "printenv", "ANTHROPIC_API_KEY").ok().out().strip();
        assertEquals(200, brokerStatus(phantom));

        Terok.Result r = terok.run("revoke", "vault-revoked").ok();
        assertEquals("vault-revoked: revoked vault tokens and SSH agent; the task keeps running", r.out().strip());

        assertEquals(401, brokerStatus(phantom), "the phantom is dead");
        assertTrue(terok.run("ps").ok().out().lines().anyMatch(l -> l.contains("vault-revoked") && l.contains("running")));
        // again: nothing left to revoke, and it says so without failing
        assertEquals(0, terok.run("revoke", "vault-revoked").exitCode());
        terok.run("rm", "-f", "vault-revoked").ok();
    }

    static int brokerStatus(String token) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + brokerPort + "/v1/messages"))
                .header("x-api-key", token).build(), HttpResponse.BodyHandlers.ofString()).statusCode();
    }
}
