package io.terok.vault.broker;

import io.terok.vault.PhantomTokens;
import io.terok.vault.Vault;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.httpproxy.Body;
import io.vertx.httpproxy.HttpProxy;
import io.vertx.httpproxy.ProxyContext;
import io.vertx.httpproxy.ProxyInterceptor;
import io.vertx.httpproxy.ProxyOptions;
import io.vertx.httpproxy.ProxyRequest;
import io.vertx.httpproxy.ProxyResponse;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The token broker: Vert.x's streaming reverse proxy ({@code vertx-http-proxy}) with one interceptor that turns a
 * phantom token into the real credential. The token (from Authorization Bearer/Basic/token, x-api-key or
 * Private-Token, the first one present) selects the provider, so a token can only ever reach its own provider's
 * upstream whatever the path says. Bodies stream both ways; the response is redacted on the fly if the upstream
 * echoes the real secret; hop-by-hop headers are dropped both ways; redirects are relayed, never followed, so the
 * credential is never sent to another host. Every request is audited.
 */
public final class TokenBroker {
    public record Settings(long maxRequestBytes, Duration connectTimeout, Duration idleTimeout) {
    }

    private static final List<String> AUTH_HEADERS = List.of("authorization", "x-api-key", "private-token");
    private static final List<String> HOP_BY_HOP = List.of("connection", "keep-alive", "proxy-authenticate",
            "proxy-authorization", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade");
    private static final String CTX = "terok.exchange";

    private final Vault vault;
    private final AuditLog audit;
    private final Settings settings;
    private final HttpClient client;
    private final HttpProxy proxy;

    /** What one request carries through the interceptor, the origin selection and the audit line. */
    private static final class Exchange {
        final long start = System.nanoTime();
        final AtomicBoolean audited = new AtomicBoolean();
        String method;
        String path;
        Vault.Binding binding;
        ProviderRoute route;
        String secret;
        String token;
        String outcome;
    }

    public TokenBroker(Vertx vertx, Vault vault, AuditLog audit, Settings settings) {
        this.vault = vault;
        this.audit = audit;
        this.settings = settings;
        this.client = vertx.createHttpClient(new HttpClientOptions()
                        .setConnectTimeout((int) settings.connectTimeout().toMillis())
                        .setKeepAlive(true).setKeepAliveTimeout(30)
                        .setVerifyHost(true).setTrustAll(false)
                        .setDecompressionSupported(false),
                new PoolOptions().setHttp1MaxSize(64));
        this.proxy = HttpProxy.reverseProxy(new ProxyOptions().setSupportWebSocket(false), client);
        proxy.origin(this::origin);
        proxy.addInterceptor(new Interceptor());
    }

    public void handle(HttpServerRequest request) {
        proxy.handle(request);
    }

    public void close() {
        client.close();
    }

    private Future<io.vertx.core.http.HttpClientRequest> origin(ProxyContext pc) {
        Exchange x = pc.get(CTX, Exchange.class);
        ProviderRoute r = x.route;
        RequestOptions o = new RequestOptions().setHost(r.upstream().getHost()).setPort(r.port()).setSsl(r.tls())
                .setConnectTimeout(settings.connectTimeout().toMillis())
                .setIdleTimeout(settings.idleTimeout().toMillis());
        return pc.client().request(o);
    }

    private final class Interceptor implements ProxyInterceptor {
        @Override
        public Future<ProxyResponse> handleProxyRequest(ProxyContext pc) {
            ProxyRequest req = pc.request();
            HttpServerRequest incoming = req.proxiedRequest();
            Exchange x = new Exchange();
            pc.set(CTX, x);
            x.method = incoming.method().name();
            x.path = incoming.path();
            HttpServerResponse out = incoming.response();
            out.endHandler(v -> audit(x, out.getStatusCode()));
            out.closeHandler(v -> {
                if (x.outcome == null) {
                    x.outcome = "client_closed";
                }
                audit(x, out.getStatusCode());
            });

            MultiMap h = req.headers();
            String token = extract(h);
            if (token == null) {
                return refuse(pc, x, 401, "missing_token", "no phantom token in Authorization, x-api-key or Private-Token");
            }
            if (!vault.unlocked()) {
                return refuse(pc, x, 503, "vault_locked", "the terok vault is locked: run `terok vault unlock` on the host");
            }
            Optional<Vault.Binding> b = vault.lookup(token);
            if (b.isEmpty()) {
                return refuse(pc, x, 401, "invalid_token", "unknown, expired or revoked token");
            }
            x.binding = b.get();
            Optional<ProviderRoute> route = vault.routes().get(x.binding.provider());
            if (route.isEmpty()) {
                return refuse(pc, x, 404, "no_route", "no route for provider " + x.binding.provider());
            }
            x.route = route.get();
            Optional<Vault.Credential> cred = vault.credential(x.binding.credentialSet(), x.binding.provider());
            if (cred.isEmpty()) {
                return refuse(pc, x, 502, "credential_missing", "no credential for provider " + x.binding.provider()
                        + " in set " + x.binding.credentialSet() + " (host: `terok vault add " + x.binding.provider() + "`)");
            }
            String length = h.get("content-length");
            if (length != null && parseLong(length) > settings.maxRequestBytes()) {
                return refuse(pc, x, 413, "request_too_large", "request body over " + settings.maxRequestBytes() + " bytes");
            }
            x.token = token;
            x.secret = cred.get().secret();

            stripHopByHop(h);
            AUTH_HEADERS.forEach(h::remove);
            // Identity encoding, so an echoed secret can be found and redacted in the response.
            h.remove("accept-encoding");
            h.remove("forwarded");
            List<String> forwarded = new ArrayList<>();
            h.names().forEach(n -> {
                if (n.toLowerCase(Locale.ROOT).startsWith("x-forwarded-")) {
                    forwarded.add(n);
                }
            });
            forwarded.forEach(h::remove);
            if (cred.get().oauth()) {
                h.set("Authorization", "Bearer " + x.secret);
            } else {
                h.set(x.route.authHeader(), x.route.authPrefix() + x.secret);
            }
            req.setURI(x.route.basePath() + req.getURI());
            return pc.sendRequest();
        }

        @Override
        public Future<Void> handleProxyResponse(ProxyContext pc) {
            Exchange x = pc.get(CTX, Exchange.class);
            ProxyResponse resp = pc.response();
            if (x == null || x.outcome != null || x.secret == null) {
                return pc.sendResponse();
            }
            MultiMap h = resp.headers();
            stripHopByHop(h);
            for (String name : new ArrayList<>(h.names())) {
                List<String> values = h.getAll(name);
                if (values.stream().anyMatch(v -> v.contains(x.secret))) {
                    h.remove(name);
                    values.forEach(v -> h.add(name, Redactor.redact(v, x.secret, x.token)));
                }
            }
            String location = h.get("location");
            if (location != null) {
                h.set("location", relativeIfSameOrigin(location, x.route));
            }
            int status = resp.getStatusCode();
            boolean hasBody = !x.method.equals(HttpMethod.HEAD.name()) && status != 204 && status != 304 && status >= 200;
            Body body = resp.getBody();
            if (hasBody && body != null) {
                h.remove("content-length");
                resp.setBody(Body.body(new Redactor(body.stream(), x.secret, x.token), -1));
            }
            x.outcome = "ok";
            return pc.sendResponse();
        }
    }

    private Future<ProxyResponse> refuse(ProxyContext pc, Exchange x, int status, String error, String message) {
        x.outcome = error;
        Buffer body = new JsonObject().put("error", error).put("message", message).toBuffer();
        ProxyResponse r = pc.request().release().response().setStatusCode(status)
                .putHeader("content-type", "application/json").setBody(Body.body(body));
        return Future.succeededFuture(r);
    }

    private void audit(Exchange x, int status) {
        if (!x.audited.compareAndSet(false, true)) {
            return;
        }
        String outcome = x.outcome == null ? (status == 502 ? "upstream_error" : "error") : x.outcome;
        Vault.Binding b = x.binding;
        audit.record(new AuditLog.Entry(Instant.now(), b == null ? "" : b.taskId(), b == null ? "" : b.id(),
                b == null ? "" : b.provider(), x.method, x.path, status, outcome,
                Duration.ofNanos(System.nanoTime() - x.start).toMillis()));
    }

    /** The phantom token from the first auth header present; for Basic, the user or password part that is one. */
    static String extract(MultiMap h) {
        String v = h.get("authorization");
        if (v != null) {
            v = v.trim();
            int sp = v.indexOf(' ');
            if (sp < 0) {
                return v.isEmpty() ? null : v;
            }
            String scheme = v.substring(0, sp);
            String cred = v.substring(sp + 1).trim();
            if (scheme.equalsIgnoreCase("basic")) {
                try {
                    String pair = new String(Base64.getDecoder().decode(cred), StandardCharsets.UTF_8);
                    for (String part : pair.split(":", 2)) {
                        if (part.startsWith(PhantomTokens.PREFIX)) {
                            return part;
                        }
                    }
                    return pair;
                } catch (IllegalArgumentException e) {
                    return cred;
                }
            }
            return cred;
        }
        for (String name : List.of("x-api-key", "private-token")) {
            String t = h.get(name);
            if (t != null && !t.isBlank()) {
                return t.trim();
            }
        }
        return null;
    }

    static void stripHopByHop(MultiMap h) {
        List<String> named = new ArrayList<>();
        for (String c : h.getAll("connection")) {
            for (String n : c.split(",")) {
                if (!n.isBlank()) {
                    named.add(n.trim());
                }
            }
        }
        HOP_BY_HOP.forEach(h::remove);
        named.forEach(h::remove);
    }

    static String relativeIfSameOrigin(String location, ProviderRoute route) {
        try {
            URI u = URI.create(location);
            if (u.isAbsolute() && route.upstream().getHost().equalsIgnoreCase(u.getHost())
                    && (u.getPort() < 0 ? ("https".equals(u.getScheme()) ? 443 : 80) : u.getPort()) == route.port()) {
                String p = u.getRawPath() == null ? "/" : u.getRawPath();
                if (p.startsWith(route.basePath())) {
                    p = p.substring(route.basePath().length());
                }
                return (p.isEmpty() ? "/" : p) + (u.getRawQuery() == null ? "" : "?" + u.getRawQuery());
            }
        } catch (IllegalArgumentException e) {
            // relayed as is
        }
        return location;
    }

    private static long parseLong(String s) {
        try {
            return Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            return Long.MAX_VALUE;
        }
    }
}
