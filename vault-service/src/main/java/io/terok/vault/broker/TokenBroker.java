package io.terok.vault.broker;

import io.terok.common.Printable;
import io.terok.vault.PhantomTokens;
import io.terok.vault.StartupUnlock;
import io.terok.vault.Vault;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * The token broker: a streaming reverse proxy on Vert.x's HTTP server and client that turns a phantom token into the
 * real credential. (Vert.x's general {@code vertx-http-proxy} did the same with an interceptor, but parsed and
 * re-formatted the Date header, evaluated caching headers and copied every header twice on each request: about a
 * third of the broker's CPU; see docs/benchmarks.md.) The token (from Authorization Bearer/Basic/token, x-api-key,
 * x-goog-api-key (Gemini) or Private-Token, the first one present) selects the provider, so a token can only ever reach its own provider's
 * upstream whatever the path says. Bodies stream both ways; the response is redacted on the fly if the upstream
 * echoes the real secret; hop-by-hop headers are dropped both ways; redirects are relayed, never followed, so the
 * credential is never sent to another host. Every request is audited. WebSocket upgrades are bridged instead of
 * proxied ({@link WebSocketBridge}), after the same token check; OAuth access tokens near their expiry are refreshed
 * first ({@link OAuthRefresher}).
 */
public final class TokenBroker {
    public record Settings(long maxRequestBytes, Duration connectTimeout, Duration idleTimeout, int maxWebSocketMessageBytes,
                           Duration oauthRefreshMargin, Duration oauthRefreshTimeout, TaskRequestLimiter.Limits taskLimits,
                           Duration refusalAuditWindow, Duration floodParkTime) {
    }

    private static final Logger LOG = Logger.getLogger(TokenBroker.class);

    /** Bodies of a known length up to this size are collected and sent in one write; larger ones stream. */
    private static final long SMALL_BODY = 64 * 1024;
    private static final List<String> AUTH_HEADERS = List.of("authorization", "x-api-key", "x-goog-api-key", "private-token");
    private static final List<String> HOP_BY_HOP = List.of("connection", "keep-alive", "proxy-authenticate",
            "proxy-authorization", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade");

    private final Vault vault;
    private final AuditLog audit;
    private final Settings settings;
    private final Vertx vertx;
    private final HttpClient client;
    private final TaskRequestLimiter limiter;
    /** Which refusals get their own audit line; the rest of a window's become one folded line. */
    private final RefusalFolder refusals;
    private final long foldTimer;
    /** Parked connections, oldest first (roughly: appended from several event loops), closed by {@link #sweepParked}. */
    private final java.util.concurrent.ConcurrentLinkedQueue<Parked> parked = new java.util.concurrent.ConcurrentLinkedQueue<>();

    /** A flooding task's connection left unanswered and unread until the sweep closes it. */
    private static final class Parked {
        final String taskId;
        final HttpServerRequest request;
        final long since;
        final AtomicBoolean closed = new AtomicBoolean();

        Parked(String taskId, HttpServerRequest request, long since) {
            this.taskId = taskId;
            this.request = request;
            this.since = since;
        }
    }
    /**
     * One upstream client (and connection pool) per event loop. A shared pool hands a request a connection that may
     * live on another event loop, so each write and each answer crosses threads (a wake-up and a context switch
     * both ways); with a pool per loop the task's connection and its upstream connection share one thread.
     */
    private final Map<Thread, HttpClient> perLoop = new ConcurrentHashMap<>();
    private final WebSocketClient webSockets;
    private final OAuthRefresher refresher;
    /** Per task id: how to cut each of its open streaming answers and WebSockets (see {@link #cutTask}). */
    private final Map<String, java.util.Set<Runnable>> openStreams = new ConcurrentHashMap<>();

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
        boolean oauth;
        /** The account the OAuth credential names (ChatGPT), null when none. */
        String accountId;
        String outcome;
        /** The task's admission (released when the exchange ends), null before it or when refused. */
        TaskRequestLimiter.Permit permit;
        /** Seconds for Retry-After when the task's allowance refused the request, else 0. */
        long retryAfter;
        /** The raw query (null: none), for the method-override check. */
        String query;
        /** The route rule that refused the request, or null. */
        String rule;
        volatile boolean tooLarge;
    }

    private static final java.util.function.Function<Long, Refused> TOO_LARGE =
            max -> new Refused(413, "request_too_large", "request body over " + max + " bytes");

    /**
     * A chunked upload, counted as it streams: past the limit the stream fails, which resets the upstream request
     * (the provider never gets a complete body) and the task gets the same 413 as for a too-large Content-Length.
     */
    private static final class LimitedBody implements io.vertx.core.streams.ReadStream<Buffer> {
        private final io.vertx.core.streams.ReadStream<Buffer> in;
        private final long max;
        private final Exchange x;
        private long seen;
        private Handler<Throwable> failed;

        LimitedBody(io.vertx.core.streams.ReadStream<Buffer> in, long max, Exchange x) {
            this.in = in;
            this.max = max;
            this.x = x;
        }

        @Override
        public LimitedBody exceptionHandler(Handler<Throwable> h) {
            failed = h;
            in.exceptionHandler(h);
            return this;
        }

        @Override
        public LimitedBody handler(Handler<Buffer> h) {
            in.handler(h == null ? null : b -> {
                seen += b.length();
                if (seen > max && !x.tooLarge) {
                    x.tooLarge = true;
                    in.handler(null);
                    if (failed != null) {
                        failed.handle(TOO_LARGE.apply(max));
                    }
                    return;
                }
                if (!x.tooLarge) {
                    h.handle(b);
                }
            });
            return this;
        }

        @Override
        public LimitedBody pause() {
            in.pause();
            return this;
        }

        @Override
        public LimitedBody resume() {
            in.resume();
            return this;
        }

        @Override
        public LimitedBody fetch(long amount) {
            in.fetch(amount);
            return this;
        }

        @Override
        public LimitedBody endHandler(Handler<Void> h) {
            in.endHandler(h == null ? null : v -> {
                if (!x.tooLarge) {
                    h.handle(null);
                }
            });
            return this;
        }
    }

    public TokenBroker(Vertx vertx, Vault vault, AuditLog audit, Settings settings) {
        this.vault = vault;
        this.audit = audit;
        this.settings = settings;
        this.vertx = vertx;
        this.limiter = new TaskRequestLimiter(settings.taskLimits());
        this.refusals = new RefusalFolder(settings.refusalAuditWindow().toNanos());
        this.client = newClient();
        this.refresher = new OAuthRefresher(vertx, client, vault, settings.oauthRefreshMargin(), settings.oauthRefreshTimeout());
        this.webSockets = vertx.createWebSocketClient(new WebSocketClientOptions()
                .setConnectTimeout((int) settings.connectTimeout().toMillis())
                .setIdleTimeout((int) settings.idleTimeout().toSeconds())
                .setVerifyHost(true).setTrustAll(false)
                .setMaxFrameSize(settings.maxWebSocketMessageBytes())
                .setMaxMessageSize(settings.maxWebSocketMessageBytes())
                .setMaxConnections(256));
        this.foldTimer = vertx.setPeriodic(1000, id -> {
            long now = System.nanoTime();
            auditFolded(refusals.expire(now));
            sweepParked(now - settings.floodParkTime().toNanos());
        });
    }

    private void auditFolded(List<RefusalFolder.Folded> folded) {
        for (RefusalFolder.Folded f : folded) {
            audit.record(new AuditLog.Entry(Instant.now(), f.taskId(), f.tokenId(), f.provider(), f.method(), f.path(), 429,
                    "rate_limited_folded", 0, f.count()));
        }
    }

    private HttpClient newClient() {
        return vertx.createHttpClient(new HttpClientOptions()
                        .setConnectTimeout((int) settings.connectTimeout().toMillis())
                        .setKeepAlive(true).setKeepAliveTimeout(30)
                        .setVerifyHost(true).setTrustAll(false)
                        .setDecompressionSupported(false),
                new PoolOptions().setHttp1MaxSize(64));
    }

    /** The client of the event loop that serves the task's connection (taken before any callback may switch threads). */
    private HttpClient loopClient(Thread loop) {
        return perLoop.computeIfAbsent(loop, t -> newClient());
    }

    public void handle(HttpServerRequest request) {
        String bad = controlCharacterHeader(request.headers());
        if (bad != null) {
            // Refused before anything else: the upstream client throws on such a value inside its connection pool's
            // callback and never gives the connection back, so a few hundred of these would starve every task.
            Exchange x = new Exchange();
            x.method = request.method().name();
            x.path = request.path();
            answer(request, x, 400, "bad_header", "header " + Printable.line(bad)
                    + " contains a control character (CR, LF, NUL or another one HTTP forbids)");
            return;
        }
        String target = badTarget(request);
        if (target != null) {
            Exchange x = new Exchange();
            x.method = request.method().name();
            x.path = request.path();
            answer(request, x, 400, "bad_target", target);
            return;
        }
        if (isWebSocketUpgrade(request)) {
            bridge(request);
            return;
        }
        // The task's allowance, before the request's framing, rules, credential or body are looked at: a task past it
        // (a flood) costs one header lookup, one hash and a canned answer (refuse). A stranger's token finds no
        // binding and spends no task's allowance (its request is refused 401 on the way).
        TaskRequestLimiter.Permit permit = null;
        Optional<Vault.Binding> b = vault.lookup(extract(request.headers()));
        if (b.isPresent()) {
            TaskRequestLimiter.Admission a = limiter.admit(b.get().taskId(), System.nanoTime());
            if (a instanceof TaskRequestLimiter.Refusal r) {
                refuse(request, b.get(), r);
                return;
            }
            permit = (TaskRequestLimiter.Permit) a;
        }
        forward(request, permit);
    }

    /**
     * The answer to a request past its task's allowance: a canned 429 (no parsing of the rest, no body read, no
     * exception), audited in full only for the first refusal of a window ({@link RefusalFolder}). A held refusal is
     * answered after {@link TaskRequestLimiter#HOLD_NANOS} (its Retry-After), and an HTTP/1.1 connection serves its
     * next request only after that, so a keep-alive connection of a flooding task costs about one refusal a second;
     * past the task's held refusals its connections are parked (unanswered, unread, closed by the sweep after
     * {@code terok.vault.flood-park-time}), past its parked ones closed at once, unanswered.
     */
    private void refuse(HttpServerRequest in, Vault.Binding b, TaskRequestLimiter.Refusal r) {
        String path = in.path();
        if (refusals.refused(b.taskId(), b.id(), b.provider(), in.method().name(), path, System.nanoTime())) {
            audit.record(new AuditLog.Entry(Instant.now(), b.taskId(), b.id(), b.provider(), in.method().name(), path, 429,
                    "rate_limited", 0));
        }
        HttpServerResponse out = in.response();
        if (r.answer() == TaskRequestLimiter.Answer.CLOSED) {
            drop(in);
            return;
        }
        if (r.answer() == TaskRequestLimiter.Answer.PARKED) {
            // Past the held refusals: answering (429 and close) is what let a flood reconnect as fast as it liked; an
            // unanswered connection keeps its client waiting and costs a socket, no CPU, until the sweep.
            in.pause();
            Parked p = new Parked(b.taskId(), in, System.nanoTime());
            out.closeHandler(v -> unpark(p));
            parked.add(p);
            return;
        }
        // Not paused: a body still arriving is read and dropped meanwhile (a request answered before its body ended
        // has its connection closed by the server, which the task would see as a reset instead of the 429).
        vertx.setTimer(TaskRequestLimiter.HOLD_NANOS / 1_000_000, id -> {
            limiter.unhold(b.taskId());
            if (!out.closed()) {
                tooMany(out, r);
            }
        });
    }

    /**
     * Closes a refusal's connection unanswered; an HTTP/2 stream alone is reset, ENHANCE_YOUR_CALM (the code for a
     * peer generating excessive load; not REFUSED_STREAM, which invites an automatic retry), and the connection's
     * other streams go on.
     */
    private static void drop(HttpServerRequest in) {
        if (in.version() == HttpVersion.HTTP_2) {
            in.response().reset(0xb);
        } else {
            in.connection().close();
        }
    }

    private void unpark(Parked p) {
        if (p.closed.compareAndSet(false, true)) {
            limiter.unpark(p.taskId);
        }
    }

    /** Closes, in one go, the parked connections parked before {@code before} (nanoTime) and those already gone. */
    private void sweepParked(long before) {
        for (Parked p = parked.peek(); p != null && (p.closed.get() || p.since - before <= 0); p = parked.peek()) {
            parked.poll();
            if (!p.closed.get()) {
                drop(p.request);
                unpark(p);
            }
        }
    }

    /** The 429 bodies, one per refusal reason (the limiter has two), encoded once. */
    private final Map<String, byte[]> refusalBodies = new ConcurrentHashMap<>();

    private void tooMany(HttpServerResponse out, TaskRequestLimiter.Refusal r) {
        byte[] body = refusalBodies.computeIfAbsent(r.reason(), reason -> new JsonObject().put("error", "rate_limited")
                .put("message", reason).toBuffer().getBytes());
        out.setStatusCode(429).putHeader("retry-after", Long.toString(r.retryAfterSeconds()))
                .putHeader("content-type", "application/json").end(Buffer.buffer(body));
    }

    /**
     * Cuts every open streaming answer and WebSocket of the task at once (its tokens were just revoked): a revoked
     * task keeps nothing it opened with them. Returns how many were cut.
     */
    public int cutTask(String taskId) {
        limiter.forget(taskId);
        java.util.Set<Runnable> cuts = openStreams.remove(taskId);
        if (cuts == null) {
            return 0;
        }
        cuts.forEach(Runnable::run);
        return cuts.size();
    }

    /** Registers a cut for the task's stream, run on the stream's own context; the returned action forgets it. */
    private Runnable track(String taskId, Runnable cut) {
        io.vertx.core.Context ctx = vertx.getOrCreateContext();
        Runnable onContext = () -> ctx.runOnContext(v -> cut.run());
        openStreams.computeIfAbsent(taskId, k -> ConcurrentHashMap.newKeySet()).add(onContext);
        return () -> openStreams.computeIfPresent(taskId, (k, set) -> {
            set.remove(onContext);
            return set.isEmpty() ? null : set;
        });
    }

    public void close() {
        vertx.cancelTimer(foldTimer);
        for (Parked p = parked.poll(); p != null; p = parked.poll()) {
            if (!p.closed.get()) {
                drop(p.request);
                unpark(p);
            }
        }
        auditFolded(refusals.drain());
        client.close();
        perLoop.values().forEach(HttpClient::close);
        webSockets.close();
    }

    /**
     * The name of the first header whose name or value holds a control character other than horizontal tab (CR, LF,
     * NUL, VT, FF, DEL...): none of them is valid in a header field, and the upstream client refuses them by throwing
     * where the connection it took from the pool is never released. Null when every header is clean.
     */
    static String controlCharacterHeader(MultiMap headers) {
        for (Map.Entry<String, String> e : headers) {
            if (hasControl(e.getKey()) || hasControl(e.getValue())) {
                return e.getKey();
            }
        }
        return null;
    }

    private static boolean hasControl(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if ((c < 0x20 && c != '\t') || c == 0x7f) {
                return true;
            }
        }
        return false;
    }

    /**
     * Why the request target is refused, or null: only origin-form targets ({@code /path?query}) are forwarded, since
     * the broker builds the upstream's target and Host from the route alone. CONNECT, absolute-form and authority-form
     * targets, {@code ..} segments (also percent-encoded) and encoded slashes or backslashes could make the provider,
     * or something between, resolve a path or host the route does not name.
     */
    static String badTarget(HttpServerRequest r) {
        if (r.method() == HttpMethod.CONNECT) {
            return "CONNECT is not forwarded";
        }
        String uri = r.uri();
        if (uri == null || !uri.startsWith("/") || uri.startsWith("//")) {
            return "only origin-form request targets (/path?query) are forwarded";
        }
        int q = uri.indexOf('?');
        String path = q < 0 ? uri : uri.substring(0, q);
        int hash = path.indexOf('#');
        if (hash >= 0) {
            path = path.substring(0, hash);
        }
        String lower = path.toLowerCase(Locale.ROOT);
        if (lower.contains("%2f") || lower.contains("%5c") || lower.contains("\\")) {
            return "encoded slashes and backslashes are not forwarded in the path";
        }
        for (String segment : lower.split("/", -1)) {
            String decoded = segment.replace("%2e", ".");
            if (decoded.equals("..") || (!decoded.equals(segment) && decoded.equals("."))) {
                return "dot segments are not forwarded in the path";
            }
        }
        return null;
    }

    /** The Host header for the route's upstream: its host, and its port when not the scheme's default. */
    static String hostHeader(ProviderRoute r) {
        String host = r.upstream().getHost();
        if (host.indexOf(':') >= 0 && !host.startsWith("[")) {
            host = "[" + host + "]";
        }
        return r.port() == (r.tls() ? 443 : 80) ? host : host + ":" + r.port();
    }

    static boolean isWebSocketUpgrade(HttpServerRequest r) {
        if (r.method() != HttpMethod.GET || !"websocket".equalsIgnoreCase(r.getHeader("upgrade"))) {
            return false;
        }
        for (String c : r.headers().getAll("connection")) {
            for (String t : c.split(",")) {
                if (t.trim().equalsIgnoreCase("upgrade")) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Request headers the WebSocket client sets itself (or that belong to the task's handshake only). */
    private static final List<String> HANDSHAKE = List.of("host", "content-length", "sec-websocket-key", "sec-websocket-version",
            "sec-websocket-extensions", "sec-websocket-accept", "sec-websocket-protocol");

    /**
     * A WebSocket upgrade: the token is checked exactly as for HTTP (a refusal is a plain HTTP JSON answer, before any
     * upgrade); the broker then opens its own WebSocket to the provider's upstream with the real credential in the
     * upgrade request, and only once the upstream has accepted does it accept the task's upgrade and join the two.
     */
    private void bridge(HttpServerRequest req) {
        Exchange x = new Exchange();
        x.method = req.method().name();
        x.path = req.path();
        x.query = req.query();
        MultiMap in = req.headers();
        authorize(x, in).compose(v -> {
            MultiMap h = MultiMap.caseInsensitiveMultiMap().addAll(in);
            List<String> protocols = new ArrayList<>();
            for (String p : h.getAll("sec-websocket-protocol")) {
                for (String t : p.split(",")) {
                    if (!t.isBlank()) {
                        protocols.add(t.trim());
                    }
                }
            }
            HANDSHAKE.forEach(h::remove);
            prepareHeaders(h, x);
            ProviderRoute r = x.route;
            h.set("host", hostHeader(r)); // the route's, never the task's
            WebSocketConnectOptions o = new WebSocketConnectOptions().setHost(r.upstream().getHost()).setPort(r.port())
                    .setSsl(r.tls()).setURI(r.basePath() + req.uri()).setConnectTimeout(settings.connectTimeout().toMillis())
                    .setTimeout(settings.connectTimeout().toMillis() * 3).setSubProtocols(protocols);
            o.setHeaders(h);
            return webSockets.connect(o);
        }).onComplete(ar -> {
            if (ar.failed()) {
                Throwable e = ar.cause();
                if (e instanceof UpgradeRejectedException u) {
                    int status = u.getStatus() >= 400 && u.getStatus() < 600 ? u.getStatus() : 502;
                    answer(req, x, status, "upstream_rejected", "the upstream refused the WebSocket upgrade with HTTP " + u.getStatus());
                } else if (e instanceof Refused r) {
                    answer(req, x, r.status, r.error, r.getMessage());
                } else if (x.secret != null) {
                    String m = String.valueOf(e.getMessage());
                    answer(req, x, 502, "upstream_error", "cannot open the upstream WebSocket: "
                            + Redactor.redact(m, x.secret, x.token));
                } else {
                    Refused r = refusal(e);
                    answer(req, x, r.status, r.error, r.getMessage());
                }
                return;
            }
            WebSocket upstream = ar.result();
            req.toWebSocket().onComplete(ar2 -> {
                if (ar2.failed()) {
                    upstream.close((short) 1001);
                    x.outcome = "client_closed";
                    audit(x, 0);
                    return;
                }
                x.outcome = "ok";
                io.vertx.core.http.ServerWebSocket task = ar2.result();
                Runnable forget = track(x.binding.taskId(), () -> {
                    task.close((short) 1008, "token revoked");
                    upstream.close((short) 1001);
                });
                WebSocketBridge.join(task, upstream, x.secret, x.token, settings.maxWebSocketMessageBytes(), () -> {
                    forget.run();
                    audit(x, 101);
                });
            });
        });
    }

    private static void release(Exchange x) {
        if (x.permit != null) {
            x.permit.release();
        }
    }

    private void answer(HttpServerRequest req, Exchange x, int status, String error, String message) {
        x.outcome = x.rule != null ? error + ":" + x.rule : error;
        if (x.retryAfter > 0) {
            req.response().putHeader("retry-after", Long.toString(x.retryAfter));
        }
        JsonObject body = new JsonObject().put("error", error).put("message", message);
        if (x.rule != null) {
            body.put("rule", x.rule);
        }
        req.response().setStatusCode(status).putHeader("content-type", "application/json").end(body.toBuffer());
        audit(x, status);
    }

    /** A request refused before it reaches any upstream: status, error code and message for the JSON body. */
    static final class Refused extends RuntimeException {
        final int status;
        final String error;
        /** The route rule that refused it, or null. */
        final String rule;

        Refused(int status, String error, String message) {
            this(status, error, message, null);
        }

        Refused(int status, String error, String message, String rule) {
            super(message, null, false, false);
            this.status = status;
            this.error = error;
            this.rule = rule;
        }
    }

    /**
     * Checks the phantom token and finds the credential to inject (an OAuth one refreshed first when it is near its
     * expiry); fills {@code x}. Fails with {@link Refused}. (Body-less answers: the task's body is drained.)
     */
    private Future<Void> authorize(Exchange x, MultiMap h) {
        String token = extract(h);
        if (token == null) {
            return Future.failedFuture(new Refused(401, "missing_token", "no phantom token in Authorization, x-api-key, x-goog-api-key or Private-Token"));
        }
        if (vault.startup().running()) {
            // The vault service has just started and is still unlocking: wait for it (bounded) without blocking the
            // event loop, then check again; the request's body stays paused meanwhile.
            io.vertx.core.Context ctx = vertx.getOrCreateContext();
            return Future.fromCompletionStage(vault.startup().whenFinished().toCompletableFuture()
                            .orTimeout(StartupUnlock.WAIT.toMillis(), TimeUnit.MILLISECONDS), ctx)
                    .recover(e -> Future.failedFuture(new Refused(503, "vault_unlocking",
                            "the terok vault is still unlocking after the service's start: retry in a moment")))
                    .compose(v -> authorize(x, h));
        }
        if (!vault.unlocked()) {
            // the reason of a failed unlock stays on the host (its log, `terok doctor`): the task only learns that it failed
            return Future.failedFuture(new Refused(503, "vault_locked", vault.startup().failure().isEmpty()
                    ? "the terok vault is locked: run `terok vault unlock` on the host"
                    : "the terok vault could not be unlocked at start: `terok doctor` on the host says why"));
        }
        Optional<Vault.Binding> b = vault.lookup(token);
        if (b.isEmpty()) {
            return Future.failedFuture(new Refused(401, "invalid_token", "unknown, expired or revoked token"));
        }
        x.binding = b.get();
        Optional<ProviderRoute> route = vault.routes().get(x.binding.provider());
        if (route.isEmpty()) {
            return Future.failedFuture(new Refused(404, "no_route", "no route for provider " + x.binding.provider()));
        }
        x.route = route.get();
        Refused ruled = ruleRefusal(x, h);
        if (ruled != null) {
            // Before the credential is even looked up: a refused request never carries the key anywhere.
            return Future.failedFuture(ruled);
        }
        Optional<Vault.Credential> cred = vault.credential(x.binding.credentialSet(), x.binding.provider());
        if (cred.isEmpty()) {
            return Future.failedFuture(new Refused(502, "credential_missing", "no credential for provider " + x.binding.provider()
                    + " in set " + x.binding.credentialSet() + " (host: `terok vault add " + x.binding.provider() + "`)"));
        }
        String length = h.get("content-length");
        if (length != null && parseLong(length) > settings.maxRequestBytes()) {
            return Future.failedFuture(TOO_LARGE.apply(settings.maxRequestBytes()));
        }
        return current(cred.get(), x.route).map(c -> {
            x.token = token;
            x.secret = c.secret();
            x.oauth = c.oauth();
            x.accountId = c.accountId();
            return null;
        });
    }

    /** Headers some frameworks read as the real method: with them a GET the rules allow could act as a PUT. */
    private static final List<String> METHOD_OVERRIDES = List.of("x-http-method-override", "x-http-method", "x-method-override");

    /**
     * The route's rules applied to the method and the upstream path (base path + the task's path): a refusal names the
     * rule. On a route with rules a method override (header, or {@code _method} in the query) is refused too.
     */
    private static Refused ruleRefusal(Exchange x, MultiMap h) {
        RouteRules rules = x.route.rules();
        if (rules.isEmpty()) {
            return null;
        }
        String provider = x.route.name();
        boolean override = x.query != null && x.query.toLowerCase(Locale.ROOT).matches("(^|.*&)(_|%5f)method=.*");
        for (String name : METHOD_OVERRIDES) {
            override |= h.contains(name);
        }
        if (override) {
            x.rule = "method-override";
            return new Refused(403, "denied_by_rule", "the " + provider + " route's rules refuse method overrides ("
                    + String.join(", ", METHOD_OVERRIDES) + ", _method): send the real method", "method-override");
        }
        RouteRules.Verdict v = rules.check(x.method, x.route.basePath() + x.path);
        if (v.allowed()) {
            return null;
        }
        x.rule = v.rule();
        return new Refused(403, "denied_by_rule", "the " + provider + " route's rule '" + v.text() + "' refuses "
                + x.method + " " + Printable.line(x.path) + "; the operator can change the rules in terok.vault.providers."
                + provider + ".rules", v.rule());
    }

    /** The credential to use now: an OAuth access token near its expiry is refreshed first (once for all waiting requests). */
    private Future<Vault.Credential> current(Vault.Credential c, ProviderRoute route) {
        return refresher.current(c, route);
    }

    /** Request headers for the upstream: hop-by-hop, the task's auth and forwarding headers out, the real credential in. */
    private static void prepareHeaders(MultiMap h, Exchange x) {
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
        if (x.oauth) {
            h.set("Authorization", "Bearer " + x.secret);
            OAuthHeaders.add(x.route.name(), h);
            OAuthHeaders.account(x.accountId, h);
        } else {
            h.set(x.route.authHeader(), x.route.authPrefix() + x.secret);
        }
    }

    /**
     * One HTTP request: the token is checked, the request goes to the provider's upstream with the real credential
     * (its body streamed with back-pressure), and the answer comes back streamed through the {@link Redactor}.
     */
    private void forward(HttpServerRequest in, TaskRequestLimiter.Permit early) {
        Exchange x = new Exchange();
        x.permit = early;
        x.method = in.method().name();
        x.path = in.path();
        x.query = in.query();
        Thread loop = Thread.currentThread();
        HttpServerResponse out = in.response();
        out.endHandler(v -> {
            release(x);
            audit(x, out.getStatusCode());
        });
        out.closeHandler(v -> {
            release(x);
            if (x.outcome == null) {
                x.outcome = "client_closed";
            }
            audit(x, out.getStatusCode());
        });
        Boolean chunked = chunked(in.headers());
        if (chunked == null) {
            answer(in, x, 400, "bad_request", "unsupported transfer-encoding: " + in.headers().get("transfer-encoding"));
            return;
        }
        boolean hasBody = chunked || in.headers().contains("content-length");
        in.pause();
        authorize(x, in.headers()).compose(v -> {
            if (x.permit == null) {
                // Admitted in handle() as a rule; here only a token that became valid between the two looks.
                TaskRequestLimiter.Admission a = limiter.admit(x.binding.taskId(), System.nanoTime());
                if (a instanceof TaskRequestLimiter.Refusal r) {
                    if (r.held()) {
                        limiter.unhold(x.binding.taskId());
                    }
                    x.retryAfter = r.retryAfterSeconds();
                    return Future.failedFuture(new Refused(429, "rate_limited", r.reason()));
                }
                x.permit = (TaskRequestLimiter.Permit) a;
            }
            MultiMap h = MultiMap.caseInsensitiveMultiMap().addAll(in.headers());
            prepareHeaders(h, x);
            ProviderRoute r = x.route;
            h.set("host", hostHeader(r)); // the route's, never the task's
            RequestOptions o = new RequestOptions().setMethod(in.method()).setHost(r.upstream().getHost()).setPort(r.port())
                    .setSsl(r.tls()).setURI(r.basePath() + in.uri()).setHeaders(h)
                    .setConnectTimeout(settings.connectTimeout().toMillis())
                    .setIdleTimeout(settings.idleTimeout().toMillis());
            return loopClient(loop).request(o);
        }).compose(upstream -> {
            if (!hasBody) {
                in.resume();
                return upstream.send();
            }
            if (chunked) {
                upstream.setChunked(true);
                Future<HttpClientResponse> answer = upstream.response();
                // Piped by hand: send(ReadStream) would end the request normally when the stream fails, handing the
                // provider a cut-off body as if it were whole. Here a failure resets the upstream request instead.
                new LimitedBody(in, settings.maxRequestBytes(), x).pipe().endOnFailure(false).to(upstream)
                        .onFailure(e -> upstream.reset(0, e));
                return answer;
            }
            long length = parseLong(in.headers().get("content-length"));
            if (length <= SMALL_BODY) {
                // A small body of known length (most API calls): collected first, so head and body leave in one write.
                Future<Buffer> body = in.body();
                in.resume();
                return body.compose(upstream::send);
            }
            return upstream.send(in);
        }).onComplete(ar -> {
            if (ar.succeeded() && !x.tooLarge) {
                respond(in, x, ar.result());
                return;
            }
            if (ar.succeeded()) {
                ar.result().request().reset(); // an answer to a body cut off at the limit
            }
            in.resume();
            if (out.closed() || out.headWritten()) {
                return;
            }
            Throwable e = x.tooLarge ? TOO_LARGE.apply(settings.maxRequestBytes()) : ar.cause();
            if (x.secret == null || e instanceof Refused) {
                Refused r = refusal(e);
                answer(in, x, r.status, r.error, r.getMessage());
            } else if (e instanceof java.util.concurrent.TimeoutException) {
                answer(in, x, 504, "upstream_timeout", "the upstream did not answer in time: "
                        + Redactor.redact(String.valueOf(e.getMessage()), x.secret, x.token));
            } else {
                answer(in, x, 502, "upstream_error", "cannot reach the upstream: "
                        + Redactor.redact(String.valueOf(e.getMessage()), x.secret, x.token));
            }
        });
    }

    /** The upstream's answer to the task: hop-by-hop headers out, secrets redacted, same-origin redirects made relative. */
    private void respond(HttpServerRequest in, Exchange x, HttpClientResponse resp) {
        HttpServerResponse out = in.response();
        if (out.closed()) {
            resp.request().reset();
            return;
        }
        if (chunked(resp.headers()) == null) {
            resp.request().reset();
            answer(in, x, 502, "upstream_error", "the upstream answered with an unsupported transfer-encoding");
            return;
        }
        out.setStatusCode(resp.statusCode());
        if (resp.statusMessage() != null) {
            out.setStatusMessage(resp.statusMessage());
        }
        MultiMap h = out.headers();
        h.addAll(resp.headers());
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
        x.outcome = "ok";
        int status = resp.statusCode();
        boolean hasBody = !x.method.equals(HttpMethod.HEAD.name()) && status != 204 && status != 304 && status >= 200;
        if (!hasBody) {
            resp.end().onComplete(v -> out.end());
            return;
        }
        long length = parseLong(resp.headers().get("content-length"));
        if (length <= SMALL_BODY) {
            // A small answer of known length (most API answers) is complete anyway: redacted whole and sent with its
            // new length in one write instead of a chunk and a last chunk.
            resp.body().onComplete(ar -> {
                if (ar.failed()) {
                    out.reset();
                    return;
                }
                Redactor r = new Redactor(x.secret, x.token);
                byte[] first = r.transform(ar.result().getBytes());
                byte[] rest = r.drain();
                Buffer b = Buffer.buffer(first.length + rest.length).appendBytes(first).appendBytes(rest);
                h.set("content-length", Integer.toString(b.length()));
                out.end(b);
            });
            return;
        }
        // Otherwise the length changes when a secret is redacted, so the body goes out chunked (HTTP/1.0: till close).
        // A task that goes away mid-answer fails the pipe's next write, which resets the upstream request. (Not on the
        // response's close event: for HTTP/2 that also comes after a normal end, when the upstream connection may
        // already serve another request.)
        h.remove("content-length");
        if (in.version() != HttpVersion.HTTP_1_0) {
            out.setChunked(true);
        }
        Runnable forget = track(x.binding.taskId(), () -> {
            x.outcome = "revoked";
            resp.request().reset();
            out.reset();
        });
        // These replace forward()'s handlers: the task's permit is released here too (a streamed answer used to
        // keep its in-flight slot for good, so 32 streamed answers shut a task out of the broker).
        out.endHandler(v -> {
            forget.run();
            release(x);
            audit(x, out.getStatusCode());
        });
        out.closeHandler(v -> {
            forget.run();
            release(x);
            if (!out.ended()) {
                // The task went away mid-answer: stop the upstream too (else its next chunk is written into the
                // closed answer, an uncaught "Response has already been written"). An answer that had ended is left
                // alone: its upstream connection may already serve another request.
                resp.request().reset();
            }
            if (x.outcome == null) {
                x.outcome = "client_closed";
            }
            audit(x, out.getStatusCode());
        });
        new Redactor(resp, x.secret, x.token).pipeTo(out).onFailure(e -> {
            resp.request().reset();
            out.reset();
        });
    }

    /** Transfer-Encoding: FALSE none, TRUE only chunked, null anything else (refused). */
    private static Boolean chunked(MultiMap h) {
        List<String> te = h.getAll("transfer-encoding");
        boolean chunked = false;
        for (String v : te) {
            if (!v.trim().equalsIgnoreCase("chunked")) {
                return null;
            }
            chunked = true;
        }
        return chunked;
    }

    private static Refused refusal(Throwable t) {
        if (t instanceof Refused r) {
            return r;
        }
        LOG.warnf("broker: %s", t.toString());
        return new Refused(502, "internal_error", "the broker failed: " + t.getClass().getSimpleName());
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
        for (String name : List.of("x-api-key", "x-goog-api-key", "private-token")) {
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

    /** A Content-Length; absent or unparsable: {@link Long#MAX_VALUE} (never "small"). */
    private static long parseLong(String s) {
        if (s == null) {
            return Long.MAX_VALUE;
        }
        try {
            long v = Long.parseLong(s.trim());
            return v < 0 ? Long.MAX_VALUE : v;
        } catch (NumberFormatException e) {
            return Long.MAX_VALUE;
        }
    }
}
