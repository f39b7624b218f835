package io.terok.runtime.compose;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The test-only barrier holds exactly the step a hold file names, says so, and lets go when the file is removed. */
class LaunchBarrierTest {
    @Test
    void holdsOnlyTheNamedStepUntilItsHoldFileIsRemoved(@TempDir Path dir) throws Exception {
        LaunchBarrier barrier = new LaunchBarrier(dir);
        barrier.at("before-vault", "t1"); // no hold file: passes at once
        assertFalse(Files.exists(dir.resolve("before-vault.reached")));

        Files.createFile(dir.resolve("after-gate.hold"));
        CompletableFuture<Void> held = CompletableFuture.runAsync(() -> barrier.at("after-gate", "t2"));
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!Files.exists(dir.resolve("after-gate.reached")) && System.nanoTime() < end) {
            Thread.sleep(10);
        }
        assertEquals("t2", Files.readString(dir.resolve("after-gate.reached")));
        Thread.sleep(100);
        assertFalse(held.isDone(), "held while the hold file exists");
        Files.delete(dir.resolve("after-gate.hold"));
        held.get(10, TimeUnit.SECONDS);
    }

    @Test
    void inertWithoutItsDirectory() {
        LaunchBarrier.inert().at("before-vault", "t1");
        assertTrue(true, "returns at once");
    }
}
