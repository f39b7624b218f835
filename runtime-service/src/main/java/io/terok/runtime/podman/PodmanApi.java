package io.terok.runtime.podman;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The podman operations terok needs. Every blocking call is bounded: a wedged podman gives a
 * {@link PodmanException}, never a hang.
 */
public interface PodmanApi {
    HostProfile profile();

    boolean imageExists(String image);

    /** The full id of a local image (64 hex digits), or empty when podman has no image by that reference. */
    Optional<String> imageId(String image);

    /** Creates a container from a libpod SpecGenerator document; returns its id and podman's warnings. */
    Created create(JsonObject spec);

    void start(String id);

    void stop(String id, int graceSeconds);

    void remove(String id, boolean force);

    Optional<ContainerInfo> inspect(String idOrName);

    List<ContainerInfo> list(String label);

    /** Blocks until the container exits or the timeout passes (then a PodmanException). */
    int waitExit(String id, Duration timeout);

    StreamHandle logs(String id, boolean follow, int tail, boolean tty, OutputSink sink);

    ExecResult exec(String id, List<String> command, Map<String, String> env, String workdir, Duration timeout);

    /**
     * Container events as podman's JSON (Action, Actor.Attributes with the container's labels), from the moment the
     * stream is open ({@code opened} is run then, once, before any event).
     */
    StreamHandle events(Consumer<JsonObject> sink, Runnable opened, Consumer<Throwable> end);

    record Created(String id, List<String> warnings) {
    }

    record ExecResult(int exitCode, byte[] stdout, byte[] stderr) {
    }
}
