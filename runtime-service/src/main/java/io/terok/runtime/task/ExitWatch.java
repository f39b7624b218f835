package io.terok.runtime.task;

import io.terok.runtime.podman.ContainerInfo;
import io.terok.runtime.podman.PodmanApi;
import io.terok.runtime.podman.PodmanException;
import io.terok.runtime.podman.StreamHandle;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * The exits of containers, told as soon as podman reports them, for the containers' whole life: one stream of podman's
 * container events per runtime, whatever the number of tasks watched. A per-task wait would hold a podman connection
 * per running task and answer later: podman 4.3's wait returns only once its exit command (`podman container cleanup`)
 * has let go of the container's lock, 0.3-0.37 s after the exit, against 0.12-0.24 s for the {@code died} event on the
 * stream; and 20 waits polling every 250 ms cost podman's service 230 ms CPU in 15 s, the stream 50 ms
 * (docs/benchmarks.md, eighth session).
 *
 * <p>The stream only speeds things up: whoever waits for an exit here also has podman's own end to fall back on (a
 * follow's end, a wait). An event missed while the stream was down (podman's service restarted) is made up for when it
 * is back: every container still watched is inspected once the new stream is open, and so is one whose watch began
 * before the stream was open.
 */
public final class ExitWatch implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ExitWatch.class);

    private final PodmanApi podman;
    private final Duration retry;
    /** Containers watched, by full id: each future completes with the exit code once, and leaves the map then. */
    private final Map<String, CompletableFuture<Integer>> watched = new ConcurrentHashMap<>();
    /** Connects (again) and inspects the watched containers: never on podman's event loop, where a blocking call hangs. */
    private final ScheduledExecutorService worker = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "terok-exit-watch");
        t.setDaemon(true);
        return t;
    });
    private StreamHandle stream;
    private boolean connecting;
    private boolean closed;

    /** @param retry the pause before the stream is asked for again after it ended or could not be opened */
    public ExitWatch(PodmanApi podman, Duration retry) {
        this.podman = podman;
        this.retry = retry;
    }

    /**
     * The container's exit code, once podman reports its exit; completed exceptionally when the container is removed
     * first. The caller checks afterwards whether the container had already ended (an inspect): an exit before this
     * call may have passed on the stream.
     */
    public CompletableFuture<Integer> exitOf(String containerId) {
        CompletableFuture<Integer> f = watched.computeIfAbsent(containerId, id -> new CompletableFuture<>());
        synchronized (this) {
            if (stream == null && !connecting && !closed) {
                connecting = true;
                worker.execute(this::connect);
            }
        }
        return f;
    }

    /** The caller found the container ended (an inspect): whoever waits for it is told, and it is no longer watched. */
    public void ended(String containerId, int exitCode) {
        Optional.ofNullable(watched.remove(containerId)).ifPresent(f -> f.complete(exitCode));
    }

    /** How many containers are watched (tests: nothing stays behind). */
    public int watching() {
        return watched.size();
    }

    private void connect() {
        synchronized (this) {
            if (closed) {
                return;
            }
            connecting = true;
        }
        StreamHandle h = podman.events(this::onEvent, () -> worker.execute(this::recheck), this::onEnd);
        synchronized (this) {
            connecting = false;
            if (closed) {
                h.close();
            } else {
                stream = h;
            }
        }
    }

    private void onEvent(JsonObject ev) {
        String action = ev.getString("Action", ev.getString("status", ""));
        if (!"died".equals(action) && !"remove".equals(action)) {
            return;
        }
        String id = ev.getString("id", ev.getJsonObject("Actor", new JsonObject()).getString("ID", ""));
        CompletableFuture<Integer> f = watched.remove(id);
        if (f == null) {
            return;
        }
        if ("died".equals(action)) {
            f.complete(TaskEvents.fromPodman(ev).getExitCode());
        } else {
            f.completeExceptionally(new PodmanException(404, "container " + id + " was removed"));
        }
    }

    private void onEnd(Throwable error) {
        synchronized (this) {
            stream = null;
            if (closed) {
                return;
            }
            connecting = true;
        }
        LOG.debugf("podman's event stream ended (%s); asking again in %d ms", error == null ? "closed" : error.getMessage(),
                retry.toMillis());
        worker.schedule(this::connect, retry.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The stream is open: an exit before it opened is not on it, so the containers still watched are asked once. */
    private void recheck() {
        for (String id : List.copyOf(watched.keySet())) {
            Optional<ContainerInfo> info;
            try {
                info = podman.inspect(id);
            } catch (RuntimeException e) {
                LOG.debugf("cannot inspect watched container %s yet: %s", id, e.getMessage());
                continue;
            }
            if (info.isEmpty()) {
                Optional.ofNullable(watched.remove(id))
                        .ifPresent(f -> f.completeExceptionally(new PodmanException(404, "container " + id + " is gone")));
            } else if (info.get().ended()) {
                Optional.ofNullable(watched.remove(id)).ifPresent(f -> f.complete(info.get().exitCode()));
            }
        }
    }

    @Override
    public void close() {
        StreamHandle h;
        synchronized (this) {
            closed = true;
            h = stream;
            stream = null;
        }
        if (h != null) {
            h.close();
        }
        worker.shutdownNow();
    }
}
