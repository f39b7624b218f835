package io.terok.common;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * What the run that records a service's dynamic class-data archive is given so that the service links, before its
 * exit, every class it loaded (service-support's {@code ArchiveLinking}): JDK 17 archives only linked classes and, at
 * the exit, links only those of the JDK's own class loaders, so classes loaded by Quarkus's class loader but never
 * used before the exit (the vault: 845 skipped at the dump) were parsed from their jars again at every later start.
 */
public final class ArchiveRecording {
    /** The system property naming the recording run's class-load list; unset in every other run. */
    public static final String PROPERTY = "terok.cds.link-classes";

    private ArchiveRecording() {
    }

    /**
     * The options that make a recording JVM write its class-load list to {@code classes} (one "NAME source: WHERE" a
     * line) and tell the service where it is; empty when {@code classes}' path cannot be given to {@code -Xlog}
     * (its option syntax separates fields with ':' and ','), where the archive is recorded as before.
     */
    public static List<String> options(Path classes) {
        String path = classes.toAbsolutePath().toString();
        if (!path.matches("[\\w./+@-]+")) {
            return List.of();
        }
        return List.of("-Xlog:class+load=info:file=" + path + ":none", "-D" + PROPERTY + "=" + path);
    }

    /** The class-load list that belongs to the archive {@code archive}. */
    public static Path classesOf(Path archive) {
        return archive.resolveSibling(archive.getFileName() + ".classes");
    }

    /** The recording run's class-load list, from this JVM's system properties. */
    public static Optional<Path> current() {
        String p = System.getProperty(PROPERTY);
        return p == null || p.isBlank() ? Optional.empty() : Optional.of(Path.of(p));
    }
}
