package io.terok.cli.task;

import java.time.Duration;

/** Runtime calls that outlast a plain request ({@link io.terok.cli.core.ServiceApi#RUNTIME}'s deadline). */
final class Deadlines {
    /** Launch composes four services and creates a container. */
    static final Duration LAUNCH = Duration.ofMinutes(3);
    /** Upper bound for calls that last as long as a task does (logs -f, wait). */
    static final Duration FOLLOW = Duration.ofDays(30);

    private Deadlines() {
    }
}
