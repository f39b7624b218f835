package io.terok.runtime.fake;

import io.terok.api.v1.LaunchRequest;
import io.terok.api.v1.RunSpec;
import io.terok.api.v1.ServiceOptOut;
import io.terok.runtime.panic.PanicLock;
import io.terok.runtime.spec.RunSpecValidator;
import io.terok.runtime.task.TaskManager;
import io.terok.runtime.task.TaskStore;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Set;

/** A real TaskManager, store and panic lock in {@code dir}, over the podman and services fakes sharing one log. */
public final class FakeRuntime {
    public static final String IMAGE = "localhost/terok-test:latest";

    public final CallLog log = new CallLog();
    public final FakePodman podman = new FakePodman(log);
    public final FakeTaskServices services;
    public final TaskStore store;
    public final PanicLock panic;
    public final TaskManager tasks;

    public FakeRuntime(Path dir) {
        this(dir, java.time.Duration.ofSeconds(10));
    }

    /** @param followerGrace how long an auto-remove task's launcher may take to follow it */
    public FakeRuntime(Path dir, java.time.Duration followerGrace) {
        services = new FakeTaskServices(log, dir.resolve("vault-ssh"));
        store = new TaskStore(dir.resolve("tasks"));
        panic = new PanicLock(dir.resolve("panic.lock"), Clock.systemUTC());
        tasks = new TaskManager(podman, store, services, new RunSpecValidator(List.of(dir), Set.of(), 4), panic,
                dir.resolve("seccomp"), followerGrace);
    }

    /** A spec that needs every service: credentials, a project, filtered network. */
    public static RunSpec.Builder everything() {
        return RunSpec.newBuilder().setName("agent-1").setImage(IMAGE).setProject("demo").addProviders("claude");
    }

    public static LaunchRequest request(RunSpec.Builder spec, ServiceOptOut.Builder optOut) {
        return LaunchRequest.newBuilder().setRunSpec(spec).setOptOut(optOut).build();
    }

    public static LaunchRequest request(RunSpec.Builder spec) {
        return request(spec, ServiceOptOut.newBuilder());
    }
}
