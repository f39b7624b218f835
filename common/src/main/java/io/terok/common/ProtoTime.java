package io.terok.common;

import com.google.protobuf.Timestamp;
import java.time.Instant;

/** The one conversion between {@link Instant} and the protobuf {@link Timestamp} every service answers with. */
public final class ProtoTime {
    private ProtoTime() {
    }

    public static Timestamp of(Instant i) {
        return Timestamp.newBuilder().setSeconds(i.getEpochSecond()).setNanos(i.getNano()).build();
    }

    public static Timestamp ofEpochMilli(long millis) {
        return of(Instant.ofEpochMilli(millis));
    }

    /** Nanoseconds since the epoch (podman's event times). */
    public static Timestamp ofEpochNanos(long nanos) {
        return Timestamp.newBuilder().setSeconds(Math.floorDiv(nanos, 1_000_000_000L))
                .setNanos((int) Math.floorMod(nanos, 1_000_000_000L)).build();
    }

    /** {@link Instant#EPOCH} for an unset timestamp. */
    public static Instant toInstant(Timestamp t) {
        return Instant.ofEpochSecond(t.getSeconds(), t.getNanos());
    }
}
