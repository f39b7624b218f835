package io.terok.cli.core;

import com.google.protobuf.Timestamp;
import io.terok.common.ProtoTime;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/** Times as the CLI shows them in one-line reports: to the second. */
public final class Times {
    private Times() {
    }

    public static Instant toSecond(Timestamp t) {
        return ProtoTime.toInstant(t).truncatedTo(ChronoUnit.SECONDS);
    }
}
