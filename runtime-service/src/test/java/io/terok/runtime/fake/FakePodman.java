package io.terok.runtime.fake;

import io.terok.runtime.podman.ContainerInfo;
import io.terok.runtime.podman.HostProfile;
import io.terok.runtime.podman.OutputSink;
import io.terok.runtime.podman.PodmanApi;
import io.terok.runtime.podman.StreamHandle;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Podman as a map of containers: create, start and remove change it, and each is logged as {@code podman.action}.
 * Reads (inspect, list, imageExists) are not logged.
 */
public final class FakePodman implements PodmanApi {
    private final CallLog log;
    private final Map<String, ContainerInfo> containers = new LinkedHashMap<>();
    private final HostProfile profile = new HostProfile(false, 5, "5.0.0", true, "v2", "systemd", true);
    private boolean imagePresent = true;
    private Runnable onStart = () -> {
    };
    private JsonObject lastSpec;
    private int next;
    /** The open event streams (podman's service restarting ends them: {@link #endEvents}). */
    private final List<EventStream> eventStreams = new java.util.ArrayList<>();
    private int eventStreamsAsked;
    /** Each container's output so far, a chunk per write, as (stream, bytes). */
    private final Map<String, List<Map.Entry<Integer, byte[]>>> output = new LinkedHashMap<>();
    private boolean holdFollows;

    private record EventStream(Consumer<JsonObject> sink, Consumer<Throwable> end) {
    }

    public FakePodman(CallLog log) {
        this.log = log;
    }

    public void imagePresent(boolean present) {
        this.imagePresent = present;
    }

    /** Runs while a container starts (to let something happen "during" a launch). */
    public void onStart(Runnable r) {
        this.onStart = r;
    }

    public synchronized Map<String, ContainerInfo> containers() {
        return Map.copyOf(containers);
    }

    /** The libpod spec of the last create. */
    public JsonObject lastSpec() {
        return lastSpec;
    }

    @Override
    public HostProfile profile() {
        return profile;
    }

    @Override
    public boolean imageExists(String image) {
        return imagePresent;
    }

    @Override
    public java.util.Optional<String> imageId(String image) {
        return imagePresent ? java.util.Optional.of("0".repeat(64)) : java.util.Optional.empty();
    }

    @Override
    public synchronized Created create(JsonObject spec) {
        log.record("podman.create");
        lastSpec = spec;
        String id = String.format("%064x", ++next);
        containers.put(id, info(id, spec.getString("name"), "created", spec.getJsonObject("labels").getMap()));
        return new Created(id, List.of());
    }

    @Override
    public void start(String id) {
        log.record("podman.start");
        synchronized (this) {
            ContainerInfo c = containers.get(id);
            containers.put(id, info(id, c.name(), "running", c.labels()));
        }
        onStart.run();
    }

    @Override
    public synchronized void stop(String id, int graceSeconds) {
        log.record("podman.stop");
        ContainerInfo c = containers.get(id);
        containers.put(id, info(id, c.name(), "exited", c.labels()));
        notifyAll();
    }

    @Override
    public synchronized void remove(String id, boolean force) {
        log.record("podman.remove");
        containers.remove(id);
        notifyAll();
    }

    @Override
    public synchronized Optional<ContainerInfo> inspect(String idOrName) {
        return containers.values().stream().filter(c -> c.id().equals(idOrName) || c.name().equals(idOrName)).findFirst();
    }

    @Override
    public synchronized List<ContainerInfo> list(String label) {
        return containers.values().stream().filter(c -> c.labels().containsKey(label)).toList();
    }

    /** While set, a wait answers nothing, as podman's while its exit command holds the container's lock. */
    private boolean waitsHeld;

    public synchronized void holdWaits(boolean held) {
        waitsHeld = held;
        notifyAll();
    }

    /** Blocks until the container is no longer running (stopped, or removed) or the timeout is over. */
    @Override
    public synchronized int waitExit(String id, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (waitsHeld || containers.containsKey(id) && containers.get(id).running()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw io.terok.runtime.podman.PodmanException.timeout("timed out waiting for " + id);
            }
            try {
                wait(Math.max(1, left / 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        ContainerInfo c = containers.get(id);
        if (c == null) {
            throw new io.terok.runtime.podman.PodmanException(404, "no such container " + id);
        }
        return c.exitCode();
    }

    /**
     * The container's process ends with {@code code}, as if it exited by itself; the open event streams are told
     * ({@code died}, as podman tells it).
     */
    public void exit(String id, int code) {
        List<EventStream> open;
        synchronized (this) {
            ContainerInfo c = containers.get(id);
            containers.put(id, new ContainerInfo(id, c.name(), c.image(), "exited", code, c.createdAt(), c.startedAt(),
                    Instant.now(), 0, c.labels()));
            notifyAll();
            open = List.copyOf(eventStreams);
        }
        JsonObject died = new JsonObject().put("status", "died").put("id", id).put("Type", "container").put("Action", "died")
                .put("Actor", new JsonObject().put("ID", id).put("Attributes", new JsonObject()
                        .put("containerExitCode", String.valueOf(code)).put("name", containers().get(id).name())))
                .put("timeNano", System.currentTimeMillis() * 1_000_000L);
        open.forEach(e -> e.sink().accept(died));
    }

    /** podman's service went away: every open event stream ends with an error. */
    public void endEvents() {
        List<EventStream> open;
        synchronized (this) {
            open = List.copyOf(eventStreams);
            eventStreams.clear();
        }
        open.forEach(e -> e.end().accept(new io.terok.runtime.podman.PodmanException("podman's service stopped", null)));
    }

    /** How many event streams were asked for, and how many are open now. */
    public synchronized int eventStreamsAsked() {
        return eventStreamsAsked;
    }

    public synchronized int eventStreamsOpen() {
        return eventStreams.size();
    }

    /** The container writes {@code text} on {@code stream} (1 stdout, 2 stderr). */
    public synchronized void write(String id, int stream, String text) {
        output.computeIfAbsent(id, k -> new java.util.ArrayList<>())
                .add(Map.entry(stream, text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    /**
     * A follow passes on the output written so far and then stays open until closed, as podman's follow of a running
     * container (whose end comes late); without this, a follow ends at once.
     */
    public synchronized void holdFollows(boolean hold) {
        this.holdFollows = hold;
    }

    @Override
    public StreamHandle logs(String id, boolean follow, int tail, boolean tty, OutputSink sink) {
        log.record("podman.logs " + (follow ? "follow" : "to the end"));
        List<Map.Entry<Integer, byte[]>> written;
        boolean hold;
        synchronized (this) {
            written = List.copyOf(output.getOrDefault(id, List.of()));
            hold = follow && holdFollows;
        }
        written.forEach(w -> sink.output(w.getKey(), w.getValue()));
        if (!hold) {
            sink.end(null);
        }
        return () -> { };
    }

    @Override
    public ExecResult exec(String id, List<String> command, Map<String, String> env, String workdir, Duration timeout) {
        throw new UnsupportedOperationException("not used by the launch tests");
    }

    @Override
    public StreamHandle events(Consumer<JsonObject> sink, Runnable opened, Consumer<Throwable> end) {
        EventStream e = new EventStream(sink, end);
        synchronized (this) {
            eventStreamsAsked++;
            eventStreams.add(e);
        }
        opened.run();
        return () -> {
            synchronized (this) {
                eventStreams.remove(e);
            }
        };
    }

    private static ContainerInfo info(String id, String name, String status, Map<String, ?> labels) {
        Map<String, String> l = new LinkedHashMap<>();
        labels.forEach((k, v) -> l.put(k, String.valueOf(v)));
        return new ContainerInfo(id, name, "localhost/terok-test:latest", status, 0, Instant.now(),
                "running".equals(status) ? Instant.now() : Instant.EPOCH, Instant.EPOCH, 0, l);
    }
}
