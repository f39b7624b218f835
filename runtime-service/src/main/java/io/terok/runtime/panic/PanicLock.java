package io.terok.runtime.panic;

import io.terok.common.PrivateFiles;
import io.terok.common.ServiceException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * The panic lock ({@code terok panic}): while it is engaged no task is launched. It is a file in runtime's data
 * directory as well as a flag in memory, so neither a restart of the service nor a crash lifts it; only
 * {@link #clear()}, the operator's {@code terok panic --clear}, does. A lock file that cannot be read counts as
 * engaged: this is a safety switch, and an unreadable one must not read as "off".
 */
public final class PanicLock {
    private static final Logger LOG = Logger.getLogger(PanicLock.class);
    private final Path file;
    private final Clock clock;
    /** When the panic began; null while launches are allowed. */
    private volatile Instant since;

    public PanicLock(Path file, Clock clock) {
        this.file = file;
        this.clock = clock;
        this.since = read(file);
        if (since != null) {
            LOG.warnf("terok is in panic mode since %s (%s): launches are refused until `terok panic --clear`", since, file);
        }
    }

    private static Instant read(Path file) {
        if (!Files.exists(file)) {
            return null;
        }
        try {
            return Instant.parse(Files.readString(file).strip());
        } catch (IOException | DateTimeParseException e) {
            LOG.warnf("panic lock %s is unreadable (%s): treated as engaged", file, e.getMessage());
            return Instant.EPOCH;
        }
    }

    public Optional<Instant> since() {
        return Optional.ofNullable(since);
    }

    /**
     * Engages the lock: in memory first, so that launches are refused from this instant, then on disk. Returns when
     * the panic began (an earlier panic's time when it was already engaged).
     *
     * @throws UncheckedIOException when the lock could not be written: it holds until this service stops, not after
     */
    public synchronized Instant engage() {
        if (since != null) {
            return since;
        }
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        since = now;
        PrivateFiles.write(file, now + "\n");
        LOG.warnf("PANIC: launches are refused from now on (%s) until `terok panic --clear`", file);
        return now;
    }

    public synchronized void clear() {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove the panic lock " + file + ": " + e.getMessage(), e);
        }
        if (since != null) {
            LOG.infof("panic cleared: launches are accepted again");
        }
        since = null;
    }

    /** Throws when the lock is engaged; {@code what} names the refused action in the message. */
    public void refuse(String what) {
        Instant s = since;
        if (s != null) {
            throw ServiceException.precondition("terok is in panic mode" + (s.equals(Instant.EPOCH) ? "" : " since " + s) + ": "
                    + what + " is refused until the operator runs `terok panic --clear`");
        }
    }
}
