package io.terok.runtime.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.runtime.fake.CallLog;
import io.terok.runtime.fake.FakePodman;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ExitWatchTest {
    private final FakePodman podman = new FakePodman(new CallLog());
    private final ExitWatch watch = new ExitWatch(podman, Duration.ofMillis(50));

    @AfterEach
    void close() {
        watch.close();
    }

    private String container(String name) {
        String id = podman.create(new JsonObject().put("name", name).put("labels", new JsonObject())).id();
        podman.start(id);
        return id;
    }

    @Test
    void everyWatchedContainersExitIsToldWithItsCodeOverOneStream() throws Exception {
        List<String> ids = new ArrayList<>();
        List<CompletableFuture<Integer>> exits = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            ids.add(container("t" + i));
            exits.add(watch.exitOf(ids.get(i)));
        }
        await(() -> podman.eventStreamsOpen() == 1, () -> "the event stream opened: " + podman.eventStreamsOpen());
        for (int i = 0; i < 20; i++) {
            podman.exit(ids.get(i), i);
        }
        for (int i = 0; i < 20; i++) {
            assertEquals(i, exits.get(i).get(30, TimeUnit.SECONDS), "task " + i + "'s exit code");
        }
        assertEquals(1, podman.eventStreamsAsked(), "one stream for all the tasks, not one each");
        assertEquals(0, watch.watching(), "nothing stays watched after the exits");
    }

    @Test
    void anExitWhileThePodmanServiceWasGoneIsToldOnceTheStreamIsBack() throws Exception {
        String id = container("t");
        CompletableFuture<Integer> exit = watch.exitOf(id);
        await(() -> podman.eventStreamsOpen() == 1, () -> "the event stream opened: " + podman.eventStreamsOpen());
        podman.endEvents(); // podman's service restarting: the exit below is on no stream
        podman.exit(id, 7);
        assertEquals(7, exit.get(30, TimeUnit.SECONDS), "the exit, from the inspect once the stream was open again");
        await(() -> podman.eventStreamsOpen() == 1, () -> "the stream is open again: " + podman.eventStreamsOpen());

        String next = container("u");
        CompletableFuture<Integer> nextExit = watch.exitOf(next);
        podman.exit(next, 3);
        assertEquals(3, nextExit.get(30, TimeUnit.SECONDS), "a later exit, on the new stream");
        assertEquals(2, podman.eventStreamsAsked(), "asked again once, after the end: " + podman.eventStreamsAsked());
    }

    @Test
    void aContainerRemovedBeforeItExitedEndsItsWatchWithoutACode() throws Exception {
        String id = container("t");
        CompletableFuture<Integer> exit = watch.exitOf(id);
        await(() -> podman.eventStreamsOpen() == 1, () -> "the event stream opened: " + podman.eventStreamsOpen());
        podman.remove(id, true);
        podman.endEvents(); // the removal is seen by the inspect after the stream is back
        ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> exit.get(30, TimeUnit.SECONDS));
        assertTrue(e.getCause().getMessage().contains("gone"), e.getCause().getMessage());
        assertEquals(0, watch.watching());
    }

    @Test
    void aContainerFoundEndedByItsCallerIsNoLongerWatched() throws Exception {
        String id = container("t");
        CompletableFuture<Integer> exit = watch.exitOf(id);
        watch.ended(id, 5);
        assertEquals(5, exit.get(1, TimeUnit.SECONDS));
        assertEquals(0, watch.watching());
        assertFalse(watch.exitOf(container("u")).isDone());
    }

    private static void await(BooleanSupplier condition, Supplier<String> saw) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 30 s: " + saw.get());
            }
            Thread.sleep(5);
        }
    }
}
