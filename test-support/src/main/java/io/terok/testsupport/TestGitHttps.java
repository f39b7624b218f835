package io.terok.testsupport;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * A private git host for tests: the real {@code git http-backend} (CGI) behind a JDK HTTPS server on 127.0.0.1, with
 * a certificate from a CA the test made ({@link #caFile()}; the server certificate names 127.0.0.1 and localhost).
 * Every request must carry HTTP Basic with the configured user and password, else 401 with {@code WWW-Authenticate};
 * what each request carried is recorded ({@link #requests()}). {@link #redirect} makes a path answer 302 elsewhere
 * once the client has authenticated.
 */
public final class TestGitHttps implements AutoCloseable {
    /** One request as the server saw it; {@code authorization} is the header's value, null when absent. */
    public record Request(String method, String path, String authorization) {
    }

    private final Path dir;
    private final Path repos;
    private final String user;
    private final String password;
    private final HttpsServer server;
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "test-git-https");
        t.setDaemon(true);
        return t;
    });
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final Map<String, String> redirects = new ConcurrentHashMap<>();

    private TestGitHttps(Path dir, String user, String password) throws Exception {
        this.dir = Files.createDirectories(dir);
        this.repos = Files.createDirectories(dir.resolve("repos"));
        this.user = user;
        this.password = password;
        Path tls = Files.createDirectories(dir.resolve("tls"));
        if (!Files.exists(tls.resolve("server.p12"))) {
            certificates(tls);
        }
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(tls.resolve("server.p12"))) {
            ks.load(in, "test".toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, "test".toCharArray());
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(ctx));
        server.setExecutor(pool);
        server.createContext("/", this::handle);
        server.start();
    }

    /** Starts a server in {@code dir} (repositories under {@code dir/repos}) that wants Basic {@code user}:{@code password}. */
    public static TestGitHttps start(Path dir, String user, String password) {
        Cmd.require(List.of("git", "openssl"));
        try {
            return new TestGitHttps(dir, user, password);
        } catch (Exception e) {
            throw new IllegalStateException("cannot start the test git https server in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** A CA and a server certificate for 127.0.0.1 and localhost, made by the real openssl. */
    private static void certificates(Path tls) throws IOException {
        String d = tls.toString();
        Cmd.ok("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=terok test CA",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                "-keyout", d + "/ca.key", "-out", d + "/ca.pem");
        Cmd.ok("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", d + "/server.key",
                "-out", d + "/server.csr");
        Files.writeString(tls.resolve("ext.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
        Cmd.ok("openssl", "x509", "-req", "-in", d + "/server.csr", "-CA", d + "/ca.pem", "-CAkey", d + "/ca.key",
                "-CAcreateserial", "-days", "2", "-extfile", d + "/ext.cnf", "-out", d + "/server.pem");
        Cmd.ok("openssl", "pkcs12", "-export", "-inkey", d + "/server.key", "-in", d + "/server.pem", "-name", "server",
                "-passout", "pass:test", "-out", d + "/server.p12");
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** The PEM certificate of the CA that signed the server's certificate. */
    public Path caFile() {
        return dir.resolve("tls/ca.pem");
    }

    /** {@code https://<host>:<port>/<name>.git}; host 127.0.0.1 or localhost (both in the certificate). */
    public String url(String host, String name) {
        return "https://" + host + ":" + port() + "/" + name + ".git";
    }

    public String url(String name) {
        return url("127.0.0.1", name);
    }

    /** The Authorization value the server wants. */
    public String expectedAuthorization() {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    /** A bare repository {@code name}.git with one commit on main (README), pushable over http. */
    public Path repository(String name) {
        Path repo = repos.resolve(name + ".git");
        SeededRepository.create(repo, dir.resolve(name + "-seed"), "over https\n");
        Cmd.ok("git", "-C", repo.toString(), "config", "http.receivepack", "true");
        return repo;
    }

    /**
     * Authenticated requests whose path starts with {@code prefix} get 302 to {@code target} + the rest of the path and
     * the query (a host that moved a repository after the client authenticated).
     */
    public void redirect(String prefix, String target) {
        redirects.put(prefix, target);
    }

    public List<Request> requests() {
        return List.copyOf(requests);
    }

    public void clearRequests() {
        requests.clear();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getRawPath();
            String query = ex.getRequestURI().getRawQuery();
            String auth = ex.getRequestHeaders().getFirst("Authorization");
            requests.add(new Request(ex.getRequestMethod(), path, auth));
            if (auth == null || !auth.equals(expectedAuthorization())) {
                ex.getResponseHeaders().set("WWW-Authenticate", "Basic realm=\"terok test git\"");
                byte[] body = "authentication required\n".getBytes(StandardCharsets.UTF_8);
                ex.sendResponseHeaders(401, body.length);
                ex.getResponseBody().write(body);
                return;
            }
            for (Map.Entry<String, String> r : redirects.entrySet()) {
                if (path.startsWith(r.getKey())) {
                    ex.getResponseHeaders().set("Location", r.getValue() + path.substring(r.getKey().length())
                            + (query == null ? "" : "?" + query));
                    ex.sendResponseHeaders(302, -1);
                    return;
                }
            }
            cgi(ex, path, query);
        } catch (IOException | RuntimeException e) {
            e.printStackTrace();
            throw e;
        }
    }

    private void cgi(HttpExchange ex, String path, String query) throws IOException {
        ProcessBuilder pb = new ProcessBuilder("git", "http-backend");
        Map<String, String> env = pb.environment();
        env.put("GIT_PROJECT_ROOT", repos.toString());
        env.put("GIT_HTTP_EXPORT_ALL", "1");
        env.put("REMOTE_USER", user);
        env.put("REMOTE_ADDR", "127.0.0.1");
        env.put("REQUEST_METHOD", ex.getRequestMethod());
        env.put("PATH_INFO", path);
        env.put("QUERY_STRING", query == null ? "" : query);
        String type = ex.getRequestHeaders().getFirst("Content-Type");
        if (type != null) {
            env.put("CONTENT_TYPE", type);
        }
        String encoding = ex.getRequestHeaders().getFirst("Content-Encoding");
        if (encoding != null) {
            env.put("HTTP_CONTENT_ENCODING", encoding);
        }
        String protocol = ex.getRequestHeaders().getFirst("Git-Protocol");
        if (protocol != null) {
            env.put("GIT_PROTOCOL", protocol);
        }
        pb.redirectError(ProcessBuilder.Redirect.DISCARD);
        Process p = pb.start();
        pool.submit(() -> {
            try (InputStream in = ex.getRequestBody(); OutputStream out = p.getOutputStream()) {
                in.transferTo(out);
            } catch (IOException e) {
                // the backend stopped reading; its answer says why
            }
            return null;
        });
        InputStream out = p.getInputStream();
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        List<String> headers = new ArrayList<>();
        int c;
        while ((c = out.read()) >= 0) {
            if (c == '\n') {
                String h = line.toString(StandardCharsets.ISO_8859_1).replaceAll("\r$", "");
                line.reset();
                if (h.isEmpty()) {
                    break;
                }
                headers.add(h);
            } else {
                line.write(c);
            }
        }
        int status = 200;
        for (String h : headers) {
            int colon = h.indexOf(':');
            String name = h.substring(0, colon).trim();
            String value = h.substring(colon + 1).trim();
            if (name.equalsIgnoreCase("Status")) {
                status = Integer.parseInt(value.split(" ")[0]);
            } else {
                ex.getResponseHeaders().add(name, value);
            }
        }
        ex.sendResponseHeaders(status, 0);
        try (OutputStream body = ex.getResponseBody()) {
            out.transferTo(body);
        }
        try {
            p.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        server.stop(0);
        pool.shutdownNow();
    }
}
