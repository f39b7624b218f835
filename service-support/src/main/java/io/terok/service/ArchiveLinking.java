package io.terok.service;

import io.quarkus.runtime.ShutdownEvent;
import io.terok.common.ArchiveRecording;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * In the run that records a service's class-data archive (the CLI's {@code ClassDataArchive}: the first start of a
 * build), links every class the run loaded before the JVM writes the archive at its exit. JDK 17's dynamic archive
 * keeps only linked classes, and at its exit it links only those of the JDK's own loaders: classes from Quarkus's class
 * loader loaded (for instance, to check an archived class's verification constraints) but never used before the exit
 * were left out ("Skipping …: Not linked", 845 of the vault's) and so parsed from their jars at every later start
 * (915 of the vault's classes came from elsewhere than the archive, 356 with this). The recording run's
 * {@code -Xlog:class+load} file ({@link ArchiveRecording}) lists them.
 */
@ApplicationScoped
public class ArchiveLinking {
    private static final Logger LOG = Logger.getLogger(ArchiveLinking.class);

    void beforeExit(@Observes ShutdownEvent event) {
        Optional<Path> file = ArchiveRecording.current();
        if (file.isEmpty()) {
            return;
        }
        try {
            List<String> lines = Files.readAllLines(file.get());
            int linked = link(lines, Thread.currentThread().getContextClassLoader());
            LOG.debugf("linked %d classes for the class-data archive", linked);
        } catch (IOException | RuntimeException e) {
            // only the archive's coverage is at stake: the service stops as it would have
            LOG.debugf("classes not linked for the class-data archive: %s", e);
        }
    }

    /**
     * Links the classes named in {@code lines} ({@code -Xlog:class+load} lines without decorations: "NAME source:
     * WHERE") that did not come from an archive, through {@code loader}, without initialising them; returns how
     * many it linked.
     */
    static int link(List<String> lines, ClassLoader loader) {
        int linked = 0;
        for (String line : lines) {
            String name = className(line);
            if (name == null) {
                continue;
            }
            try {
                // Reflection on a class's fields links it first (verification included); no initialiser runs. (Not
                // its constructors: Class answers those of an interface without asking the JVM, which left them out.)
                Class.forName(name, false, loader).getDeclaredFields();
                linked++;
            } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
                // not linkable (a missing optional dependency): the archive leaves it out, as before
            }
        }
        return linked;
    }

    /** The class a log line names when it was loaded from a jar or the JDK's image, not an archive nor generated. */
    static String className(String line) {
        int at = line.indexOf(" source: ");
        if (at <= 0) {
            return null;
        }
        String name = line.substring(0, at).trim();
        String source = line.substring(at + " source: ".length());
        if (name.indexOf('/') >= 0 || source.startsWith("shared objects file") || source.startsWith("__")) {
            return null; // hidden classes (lambdas, generated forms) and what the archive already holds
        }
        return name;
    }
}
