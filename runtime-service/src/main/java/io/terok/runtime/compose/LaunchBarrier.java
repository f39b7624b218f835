package io.terok.runtime.compose;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.jboss.logging.Logger;

/**
 * TEST-ONLY fault injection: holds a launch at a named step, so an end-to-end test can kill a real service process at
 * exactly that point (before or after one of the launch's calls to another service). Inert unless the environment
 * variable {@value #ENV} names a directory; no installation sets it.
 *
 * <p>The test creates {@code <dir>/<step>.hold}; the launch that reaches that step writes {@code <dir>/<step>.reached}
 * (the task id) and waits until the hold file is gone, at most {@link #MAX_HOLD}, then goes on. Steps:
 * {@code before-vault}, {@code after-vault}, {@code before-gate}, {@code after-gate}, {@code before-shield},
 * {@code after-shield}, {@code before-clearance}, {@code after-clearance}, {@code before-create}, {@code after-create},
 * {@code after-start}.
 */
public final class LaunchBarrier {
    private static final Logger LOG = Logger.getLogger(LaunchBarrier.class);
    public static final String ENV = "TEROK_TEST_LAUNCH_BARRIER_DIR";
    static final Duration MAX_HOLD = Duration.ofMinutes(5);

    private static final LaunchBarrier INERT = new LaunchBarrier(null);

    /** null: inert. */
    private final Path dir;

    LaunchBarrier(Path dir) {
        this.dir = dir;
    }

    public static LaunchBarrier inert() {
        return INERT;
    }

    /** The barrier the environment asks for: inert unless {@value #ENV} is set to a directory. */
    public static LaunchBarrier fromEnvironment() {
        String d = System.getenv(ENV);
        if (d == null || d.isBlank()) {
            return INERT;
        }
        LOG.warnf("TEST-ONLY launch barrier enabled (%s=%s): launches can be held at named steps", ENV, d);
        return new LaunchBarrier(Path.of(d));
    }

    /** Holds the launch of {@code taskId} at {@code step} while the test's hold file for that step exists. */
    public void at(String step, String taskId) {
        if (dir == null) {
            return;
        }
        Path hold = dir.resolve(step + ".hold");
        if (!Files.exists(hold)) {
            return;
        }
        try {
            Files.writeString(dir.resolve(step + ".reached"), taskId, StandardCharsets.UTF_8);
            long end = System.nanoTime() + MAX_HOLD.toNanos();
            while (Files.exists(hold) && System.nanoTime() < end) {
                Thread.sleep(20);
            }
        } catch (IOException e) {
            LOG.warnf("launch barrier at %s: %s", step, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
