package io.terok.runtime.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.api.v1.Task;
import io.terok.runtime.fake.FakeRuntime;
import io.terok.runtime.podman.PodmanException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Wait answers at the task's exit as runtime's event stream tells it, not when podman's own wait lets go (podman 4.3:
 * only after its exit command has released the container's lock); podman's wait stays the answer for the rest.
 */
class WaitTest {
    private static final Duration PATIENCE = Duration.ofSeconds(30);

    @TempDir
    Path dir;
    private FakeRuntime rt;

    @AfterEach
    void release() {
        if (rt != null) {
            rt.podman.holdWaits(false);
        }
    }

    private String container(Task t) {
        return rt.store.get(t.getId()).orElseThrow().getContainerId();
    }

    @Test
    void theExitCodeComesWithTheDiedEventWhilePodmansWaitIsStillHeld() throws Exception {
        rt = new FakeRuntime(dir);
        Task t = rt.tasks.launch(FakeRuntime.request(FakeRuntime.everything()));
        rt.podman.holdWaits(true);
        CompletableFuture<Integer> waited = CompletableFuture.supplyAsync(() -> rt.tasks.waitExit(t.getId(), PATIENCE));
        rt.podman.exit(container(t), 5);
        // On the old code the call waits for podman's wait, held here until the test ends: it times out.
        assertEquals(5, waited.get(PATIENCE.toSeconds(), TimeUnit.SECONDS));
    }

    @Test
    void withoutAnExitPodmansTimeoutIsTheAnswer() {
        rt = new FakeRuntime(dir);
        Task t = rt.tasks.launch(FakeRuntime.request(FakeRuntime.everything()));
        PodmanException e = assertThrows(PodmanException.class, () -> rt.tasks.waitExit(t.getId(), Duration.ofMillis(200)));
        assertTrue(e.timedOut(), e.toString());
    }

    @Test
    void aTaskThatHadExitedBeforeTheCallAnswersAtOnce() {
        rt = new FakeRuntime(dir);
        Task t = rt.tasks.launch(FakeRuntime.request(FakeRuntime.everything()));
        rt.podman.exit(container(t), 7);
        assertEquals(7, rt.tasks.waitExit(t.getId(), PATIENCE));
    }

    @Test
    void aRemovedContainerIsPodmansNotFound() {
        rt = new FakeRuntime(dir);
        Task t = rt.tasks.launch(FakeRuntime.request(FakeRuntime.everything()));
        rt.podman.remove(container(t), true);
        PodmanException e = assertThrows(PodmanException.class, () -> rt.tasks.waitExit(t.getId(), PATIENCE));
        assertTrue(e.notFound(), e.toString());
    }
}
