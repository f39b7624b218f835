package io.terok.runtime.podman;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import java.io.ByteArrayOutputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/** {@link PodmanApi} over podman's libpod REST API (v4, also served by podman 5) on its Unix socket. */
public final class LibpodClient implements PodmanApi, PodmanSessions {
    private static final String BASE = "/v4.0.0/libpod";
    private static final List<String> INIT_DIRS = List.of("/usr/local/libexec/podman", "/usr/local/lib/podman",
            "/usr/libexec/podman", "/usr/lib/podman");

    private final HttpClient http;
    private final SocketAddress socket;
    private final Path socketPath;
    private final Duration callTimeout;
    private volatile HostProfile profile;

    public LibpodClient(Vertx vertx, Path socketPath, Duration callTimeout) {
        this.socketPath = socketPath;
        this.socket = SocketAddress.domainSocketAddress(socketPath.toString());
        this.callTimeout = callTimeout;
        // No keep-alive: podman closes idle connections on its own schedule, and a request sent on one it just
        // closed fails with "Connection was closed" without telling whether podman acted on it (a create could
        // leak a container). A fresh Unix socket connection costs well under a millisecond.
        this.http = vertx.createHttpClient(new HttpClientOptions().setMaxPoolSize(32).setKeepAlive(false));
    }

    public Path socketPath() {
        return socketPath;
    }

    /** True when podman answers its ping within the timeout. */
    public boolean ping(Duration timeout) {
        try {
            return call(HttpMethod.GET, "/_ping", null, timeout).status == 200;
        } catch (PodmanException e) {
            return false;
        }
    }

    @Override
    public HostProfile profile() {
        HostProfile p = profile;
        if (p == null) {
            JsonObject info = json(call(HttpMethod.GET, "/info", null, callTimeout), "read podman info");
            JsonObject host = info.getJsonObject("host", new JsonObject());
            boolean rootless = host.getJsonObject("security", new JsonObject()).getBoolean("rootless", false);
            String version = info.getJsonObject("version", new JsonObject()).getString("Version", "0");
            int major = parseMajor(version);
            boolean init = INIT_DIRS.stream().anyMatch(d -> Files.isExecutable(Path.of(d, "catatonit")));
            p = new HostProfile(rootless, major, version, init, host.getString("cgroupVersion", "unknown"),
                    host.getString("cgroupManager", "unknown"),
                    host.getJsonArray("cgroupControllers", new JsonArray()).contains("cpu"));
            profile = p;
        }
        return p;
    }

    static int parseMajor(String version) {
        try {
            return Integer.parseInt(version.split("\\.")[0]);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    @Override
    public boolean imageExists(String image) {
        Reply r = call(HttpMethod.GET, "/images/" + enc(image) + "/exists", null, callTimeout);
        return r.status == 204;
    }

    @Override
    public Optional<String> imageId(String image) {
        Reply r = call(HttpMethod.GET, "/images/" + enc(image) + "/json", null, callTimeout);
        if (r.status == 404) {
            return Optional.empty();
        }
        String id = json(r, "inspect image " + image).getString("Id", "");
        id = id.startsWith("sha256:") ? id.substring(7) : id;
        return id.matches("[0-9a-f]{64}") ? Optional.of(id) : Optional.empty();
    }

    @Override
    public Created create(JsonObject spec) {
        Reply r = call(HttpMethod.POST, "/containers/create", spec.toBuffer(), callTimeout);
        JsonObject body = json(r, "create the container");
        List<String> warnings = new ArrayList<>();
        JsonArray w = body.getJsonArray("Warnings");
        if (w != null) {
            w.forEach(x -> warnings.add(String.valueOf(x)));
        }
        return new Created(body.getString("Id"), warnings);
    }

    @Override
    public void start(String id) {
        Reply r = call(HttpMethod.POST, "/containers/" + enc(id) + "/start", null, callTimeout);
        if (r.status != 204 && r.status != 304) {
            throw failure(r, "start container " + id);
        }
    }

    @Override
    public void stop(String id, int graceSeconds) {
        // podman kills after the grace period itself; our own bound leaves it room to do so.
        Duration bound = Duration.ofSeconds(graceSeconds).plus(callTimeout);
        Reply r = call(HttpMethod.POST, "/containers/" + enc(id) + "/stop?timeout=" + graceSeconds, null, bound);
        if (r.status != 204 && r.status != 304) {
            throw failure(r, "stop container " + id);
        }
    }

    @Override
    public void remove(String id, boolean force) {
        Reply r = call(HttpMethod.DELETE, "/containers/" + enc(id) + "?force=" + force + "&v=true", null,
                callTimeout.plusSeconds(force ? 15 : 0));
        if (r.status != 200 && r.status != 204) {
            throw failure(r, "remove container " + id);
        }
    }

    @Override
    public Optional<ContainerInfo> inspect(String idOrName) {
        Reply r = call(HttpMethod.GET, "/containers/" + enc(idOrName) + "/json", null, callTimeout);
        if (r.status == 404) {
            return Optional.empty();
        }
        JsonObject j = json(r, "inspect container " + idOrName);
        JsonObject state = j.getJsonObject("State", new JsonObject());
        JsonObject config = j.getJsonObject("Config", new JsonObject());
        return Optional.of(new ContainerInfo(j.getString("Id"), stripSlash(j.getString("Name", "")),
                config.getString("Image", j.getString("ImageName", "")), state.getString("Status", "unknown"),
                state.getInteger("ExitCode", 0), instant(j.getString("Created")), instant(state.getString("StartedAt")),
                instant(state.getString("FinishedAt")), state.getInteger("Pid", 0), labels(config.getJsonObject("Labels"))));
    }

    @Override
    public List<ContainerInfo> list(String label) {
        String filters = new JsonObject().put("label", new JsonArray().add(label)).encode();
        Reply r = call(HttpMethod.GET, "/containers/json?all=true&filters=" + enc(filters), null, callTimeout);
        if (r.status != 200) {
            throw failure(r, "list containers");
        }
        JsonArray arr = r.body.toJsonArray();
        List<ContainerInfo> out = new ArrayList<>();
        for (int i = 0; i < arr.size(); i++) {
            JsonObject c = arr.getJsonObject(i);
            JsonArray names = c.getJsonArray("Names", new JsonArray());
            out.add(new ContainerInfo(c.getString("Id"), names.isEmpty() ? "" : names.getString(0), c.getString("Image", ""),
                    c.getString("State", "unknown"), c.getInteger("ExitCode", 0), instant(c.getString("Created")),
                    Instant.ofEpochSecond(c.getLong("StartedAt", 0L)), Instant.ofEpochSecond(c.getLong("ExitedAt", 0L)),
                    c.getInteger("Pid", 0), labels(c.getJsonObject("Labels"))));
        }
        return out;
    }

    /** How long a wait polls podman quickly before settling for podman's default interval. */
    private static final Duration FAST_WAIT = Duration.ofSeconds(2);

    @Override
    public int waitExit(String id, Duration timeout) {
        // podman answers a wait by polling the container state, every 250 ms by default: a quarter second
        // added to every short task. Poll every 10 ms for the first seconds only, so long waits stay cheap.
        Duration fast = timeout.compareTo(FAST_WAIT) < 0 ? timeout : FAST_WAIT;
        try {
            return waitOnce(id, "10ms", fast);
        } catch (PodmanException e) {
            if (!e.timedOut() || timeout.compareTo(FAST_WAIT) <= 0) {
                throw e;
            }
        }
        return waitOnce(id, "250ms", timeout.minus(FAST_WAIT));
    }

    private int waitOnce(String id, String interval, Duration timeout) {
        Reply r = call(HttpMethod.POST, "/containers/" + enc(id) + "/wait?condition=exited&interval=" + interval, null, timeout);
        if (r.status != 200) {
            throw failure(r, "wait for container " + id);
        }
        return Integer.parseInt(r.body.toString().trim());
    }

    @Override
    public StreamHandle logs(String id, boolean follow, int tail, boolean tty, OutputSink sink) {
        String uri = "/containers/" + enc(id) + "/logs?stdout=true&stderr=true&follow=" + follow
                + (tail > 0 ? "&tail=" + tail : "");
        FrameDecoder decoder = new FrameDecoder(tty, sink);
        return stream(HttpMethod.GET, uri, null, decoder::feed, () -> { }, sink::end);
    }

    @Override
    public ExecResult exec(String id, List<String> command, Map<String, String> env, String workdir, Duration timeout) {
        JsonObject req = new JsonObject().put("AttachStdout", true).put("AttachStderr", true)
                .put("Cmd", new JsonArray(new ArrayList<>(command)));
        if (!env.isEmpty()) {
            JsonArray e = new JsonArray();
            env.forEach((k, v) -> e.add(k + "=" + v));
            req.put("Env", e);
        }
        if (workdir != null && !workdir.isEmpty()) {
            req.put("WorkingDir", workdir);
        }
        String execId = json(call(HttpMethod.POST, "/containers/" + enc(id) + "/exec", req.toBuffer(), callTimeout),
                "create exec session").getString("Id");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        CompletableFuture<Void> done = new CompletableFuture<>();
        FrameDecoder decoder = new FrameDecoder(false, new OutputSink() {
            @Override
            public void output(int stream, byte[] data) {
                (stream == 2 ? err : out).writeBytes(data);
            }

            @Override
            public void end(Throwable error) {
            }
        });
        StreamHandle h = stream(HttpMethod.POST, "/exec/" + execId + "/start",
                new JsonObject().put("Detach", false).toBuffer(), decoder::feed, () -> { },
                e -> {
                    if (e == null) {
                        done.complete(null);
                    } else {
                        done.completeExceptionally(e);
                    }
                });
        try {
            done.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            h.close();
            throw PodmanException.timeout("exec in " + id + " did not finish within " + timeout.toSeconds() + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            h.close();
            throw new PodmanException("interrupted", e);
        } catch (ExecutionException e) {
            throw new PodmanException("exec in " + id + " failed: " + e.getCause().getMessage(), e.getCause());
        }
        JsonObject inspect = json(call(HttpMethod.GET, "/exec/" + execId + "/json", null, callTimeout), "inspect exec session");
        // The end callback ran after the last frame, and `done` publishes both buffers to this thread.
        return new ExecResult(inspect.getInteger("ExitCode", -1), out.toByteArray(), err.toByteArray());
    }

    @Override
    public StreamHandle events(Consumer<JsonObject> sink, Runnable opened, Consumer<Throwable> end) {
        // podman 4.3 ignores label filters on this endpoint, so callers filter on the event's attributes.
        String filters = new JsonObject().put("type", new JsonArray().add("container")).encode();
        StringBuilder line = new StringBuilder();
        return stream(HttpMethod.GET, "/events?stream=true&filters=" + enc(filters), null, chunk -> {
            line.append(chunk.toString(StandardCharsets.UTF_8));
            int nl;
            while ((nl = line.indexOf("\n")) >= 0) {
                String one = line.substring(0, nl).trim();
                line.delete(0, nl + 1);
                if (!one.isEmpty()) {
                    sink.accept(new JsonObject(one));
                }
            }
        }, opened, end);
    }

    @Override
    public HijackedStream attach(String containerId, boolean stdin, boolean replay) {
        // detachKeys given empty: podman's own detach sequence is off, so every byte reaches the task; detaching is
        // the client's (AttachInput.detach).
        return HijackedStream.open(socketPath, BASE + "/containers/" + enc(containerId) + "/attach?stream=true&logs=" + replay
                + "&stdout=true&stderr=true&stdin=" + stdin + "&detachKeys=", null, "attach to container " + containerId,
                callTimeout);
    }

    @Override
    public String createExec(String containerId, List<String> command, Map<String, String> env, String workdir, boolean tty) {
        JsonObject req = new JsonObject().put("AttachStdin", true).put("AttachStdout", true).put("AttachStderr", true)
                .put("Tty", tty).put("Cmd", new JsonArray(new ArrayList<>(command)));
        if (!env.isEmpty()) {
            JsonArray e = new JsonArray();
            env.forEach((k, v) -> e.add(k + "=" + v));
            req.put("Env", e);
        }
        if (workdir != null && !workdir.isEmpty()) {
            req.put("WorkingDir", workdir);
        }
        return json(call(HttpMethod.POST, "/containers/" + enc(containerId) + "/exec", req.toBuffer(), callTimeout),
                "create exec session").getString("Id");
    }

    @Override
    public HijackedStream startExec(String execId, boolean tty, int rows, int columns) {
        JsonObject body = new JsonObject().put("Detach", false).put("Tty", tty);
        if (tty && rows > 0 && columns > 0) {
            // The size from the start: a shell's first prompt is already laid out for the client's terminal.
            body.put("h", rows).put("w", columns);
        }
        return HijackedStream.open(socketPath, BASE + "/exec/" + enc(execId) + "/start", body.encode(),
                "start exec session " + execId, callTimeout);
    }

    @Override
    public void resize(String containerId, int rows, int columns) {
        Reply r = call(HttpMethod.POST, "/containers/" + enc(containerId) + "/resize?h=" + rows + "&w=" + columns, null,
                callTimeout);
        if (r.status >= 300) {
            throw failure(r, "resize the terminal of " + containerId);
        }
    }

    @Override
    public void resizeExec(String execId, int rows, int columns) {
        Reply r = call(HttpMethod.POST, "/exec/" + enc(execId) + "/resize?h=" + rows + "&w=" + columns, null, callTimeout);
        if (r.status >= 300) {
            throw failure(r, "resize the terminal of exec session " + execId);
        }
    }

    @Override
    public ExecState execState(String execId) {
        JsonObject j = json(call(HttpMethod.GET, "/exec/" + enc(execId) + "/json", null, callTimeout), "inspect exec session");
        return new ExecState(j.getBoolean("Running", false), j.getInteger("ExitCode", -1));
    }

    private StreamHandle stream(HttpMethod method, String uri, Buffer body, Consumer<Buffer> onData, Runnable onOpen,
            Consumer<Throwable> onEnd) {
        CompletableFuture<HttpClientRequest> requestRef = new CompletableFuture<>();
        // The handlers are set in the send callback, on the connection's event loop: set later from the calling
        // thread, they would race the first chunks, which Vert.x drops while a response has no data handler
        // (a task's first output lines went missing that way).
        http.request(options(method, uri)).compose(req -> {
            requestRef.complete(req);
            if (body != null) {
                req.putHeader("Content-Type", "application/json");
            }
            return (body == null ? req.send() : req.send(body)).onSuccess(resp -> {
                if (resp.statusCode() >= 300) {
                    resp.body().onComplete(b -> onEnd.accept(new PodmanException(resp.statusCode(),
                            message(b.succeeded() ? b.result() : Buffer.buffer(), "podman stream " + uri))));
                    return;
                }
                resp.handler(onData::accept);
                resp.exceptionHandler(onEnd::accept);
                resp.endHandler(v -> onEnd.accept(null));
                onOpen.run();
            });
        }).onFailure(e -> onEnd.accept(new PodmanException(notReachable(socketPath, e), e)));
        return () -> requestRef.thenAccept(req -> req.reset());
    }

    private RequestOptions options(HttpMethod method, String uri) {
        return new RequestOptions().setServer(socket).setHost("localhost").setMethod(method).setURI(BASE + uri);
    }

    private Reply call(HttpMethod method, String uri, Buffer body, Duration timeout) {
        Future<Reply> f = http.request(options(method, uri).setIdleTimeout(timeout.toMillis())).compose(req -> {
            if (body != null) {
                req.putHeader("Content-Type", "application/json");
            }
            return (body == null ? req.send() : req.send(body))
                    .compose(resp -> resp.body().map(b -> new Reply(resp.statusCode(), b)));
        });
        try {
            return f.toCompletionStage().toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw PodmanException.timeout("podman did not answer " + method + " " + uri + " within " + timeout.toMillis() + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PodmanException("interrupted while calling podman", e);
        } catch (ExecutionException e) {
            throw new PodmanException(notReachable(socketPath, e.getCause()), e.getCause());
        }
    }

    private record Reply(int status, Buffer body) {
    }

    private static JsonObject json(Reply r, String what) {
        if (r.status >= 300) {
            throw failure(r, what);
        }
        return r.body.toJsonObject();
    }

    private static PodmanException failure(Reply r, String what) {
        return new PodmanException(r.status, message(r.body, what));
    }

    private static String message(Buffer body, String what) {
        String msg;
        try {
            msg = body.toJsonObject().getString("message", body.toString());
        } catch (RuntimeException e) {
            msg = body.toString();
        }
        return "podman could not " + what + ": " + msg.trim();
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static String stripSlash(String s) {
        return s.startsWith("/") ? s.substring(1) : s;
    }

    private static Map<String, String> labels(JsonObject j) {
        Map<String, String> m = new HashMap<>();
        if (j != null) {
            j.forEach(e -> m.put(e.getKey(), String.valueOf(e.getValue())));
        }
        return m;
    }

    private static Instant instant(String s) {
        if (s == null || s.isEmpty() || s.startsWith("0001-")) {
            return Instant.EPOCH;
        }
        try {
            return java.time.OffsetDateTime.parse(s).toInstant();
        } catch (DateTimeParseException e) {
            return Instant.EPOCH;
        }
    }

    public void close() {
        http.close();
    }

    /**
     * Podman's API service gone (stopped, crashed, a host that has not started it yet): what to do, not only what
     * failed. The call did nothing in podman; what the caller took before it is given back by the caller.
     */
    static String notReachable(Path socketPath, Throwable cause) {
        return "podman's API service at " + socketPath + " is not reachable (" + cause.getMessage() + "): start it "
                + "again (`systemctl start podman.socket`, rootless `systemctl --user start podman.socket`; the one "
                + "terok started itself comes back with `terok services down && terok services up`) and retry";
    }
}
