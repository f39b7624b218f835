package io.terok.agents.stage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.terok.common.ServiceException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What the stager asks the registry, against a registry on loopback answering as registry.npmjs.org does. */
class NpmRegistryTest {
    static final String INTEGRITY = "sha512-" + "A".repeat(86) + "==";
    HttpServer server;
    final List<String> asked = new CopyOnWriteArrayList<>();

    @BeforeEach
    void registry() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", ex -> {
            String path = ex.getRequestURI().getRawPath();
            asked.add(path);
            byte[] body = path.equals("/@scope%2fcli/1.2.3")
                    ? ("{\"name\":\"@scope/cli\",\"version\":\"1.2.3\",\"dist\":{\"integrity\":\"" + INTEGRITY
                            + "\",\"tarball\":\"https://registry.example/@scope/cli/-/cli-1.2.3.tgz\"}}").getBytes(StandardCharsets.UTF_8)
                    : "{\"error\":\"Not found\"}".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(path.equals("/@scope%2fcli/1.2.3") ? 200 : 404, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @Test
    void aVersionsTarballAndIntegrityComeFromTheRegistry() {
        NpmRegistry registry = new NpmRegistry(url() + "/");
        assertTrue(asked.isEmpty(), "nothing is asked before the first package");
        NpmRegistry.Dist dist = registry.dist(new NpmPackage("@scope/cli", "1.2.3"));
        assertEquals(INTEGRITY, dist.integrity());
        assertEquals("https://registry.example/@scope/cli/-/cli-1.2.3.tgz", dist.tarball());
        // the second question reuses the client built for the first
        assertEquals(dist, registry.dist(new NpmPackage("@scope/cli", "1.2.3")));
        assertEquals(List.of("/@scope%2fcli/1.2.3", "/@scope%2fcli/1.2.3"), asked);
    }

    @Test
    void anUnknownVersionIsNotFound() {
        ServiceException e = assertThrows(ServiceException.class,
                () -> new NpmRegistry(url()).dist(new NpmPackage("@scope/cli", "9.9.9")));
        assertTrue(e.getMessage().contains("has no @scope/cli@9.9.9"), e.getMessage());
    }

    @Test
    void aRegistryThatIsNotAnHttpUrlIsRefusedAtOnce() {
        ServiceException e = assertThrows(ServiceException.class, () -> new NpmRegistry("file:///etc/passwd"));
        assertTrue(e.getMessage().contains("npm registry"), e.getMessage());
    }
}
