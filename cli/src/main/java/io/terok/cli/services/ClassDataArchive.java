package io.terok.cli.services;

import io.terok.common.ArchiveRecording;
import io.terok.common.PrivateFiles;
import io.terok.common.ServiceName;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A service's class-data sharing archive (the dynamic AppCDS archive, on every JDK) or, on a JDK 25+ when
 * {@code TEROK_SERVICE_CDS=aot}, its AOT cache (JEP 483/514: the classes loaded and linked, and method profiles): what a
 * service loaded in one run, parsed and laid out once, mapped at every later start instead of being loaded again. The
 * archive cut a service's start to healthy to about a third and its resident memory by ~10 MiB (docs/reliability.md,
 * "Lean services"). On JDK 25 the AOT cache started the services no faster than the dynamic archive (CPU to healthy
 * within the noise) and kept the vault 10-15 MiB larger (docs/benchmarks.md, "Service start"): not the default.
 *
 * <p>The first start of a service jar (or of a new build, or another JVM) records: {@code -XX:ArchiveClassesAtExit}
 * or {@code -XX:AOTCacheOutput} (which assembles the cache in a child JVM at the exit) writes the archive when that
 * process exits normally (`terok services down`). Every later start maps it with {@code -XX:SharedArchiveFile}
 * or {@code -XX:AOTCache}. The archives live in {@code <state dir>/cds/} (or {@code TEROK_SERVICE_CDS_DIR}), never in
 * the installation: one per build, named by a hash of its {@code .id} file (which jars, which JVM), so a new build or
 * another java records anew.
 * A missing, half-written or foreign archive costs only the speed-up: the JVM then starts without it.
 */
final class ClassDataArchive {
    /** Set to 0 to start the services without an archive; {@code aot}: JDK 25's AOT cache on a JDK 25+. */
    static final String ENV = "TEROK_SERVICE_CDS";
    /** Where the archives are kept instead of {@code <state dir>/cds} (tests share one across installations). */
    static final String DIR_ENV = "TEROK_SERVICE_CDS_DIR";
    /**
     * How one JVM records and maps the archive. {@code quiet}: the JVM's own messages ("Skipping ...: Not linked",
     * "Preload Warning: Verification failed ...", one per class it leaves out) stay out of the logs.
     */
    record Format(String suffix, String record, String use, List<String> quiet, boolean link) {
        static final Format DYNAMIC_CDS = new Format(".jsa", "-XX:ArchiveClassesAtExit=", "-XX:SharedArchiveFile=",
                List.of("-Xlog:cds=off", "-Xlog:cds+dynamic=off"), true);
        // JDK 25 links every class it puts in the cache itself.
        static final Format AOT_CACHE = new Format(".aot", "-XX:AOTCacheOutput=", "-XX:AOTCache=",
                List.of("-Xlog:aot=off", "-Xlog:cds=off"), false);

        /** {@code setting}: {@link #ENV}'s value; JDK 25 records an AOT cache in one step (JEP 514), older ones cannot. */
        static Format of(Runtime.Version java, String setting) {
            return "aot".equals(setting) && java.feature() >= 25 ? AOT_CACHE : DYNAMIC_CDS;
        }
    }

    private ClassDataArchive() {
    }

    /** The options that record or use the archive of {@code s}, whose jar is {@code jar}, for the JVM in use. */
    static List<String> options(Path dir, ServiceName s, Path jar, String setting) {
        return options(dir, s, jar, Format.of(Runtime.version(), setting));
    }

    static List<String> options(Path dir, ServiceName s, Path jar, Format format) {
        String build = buildId(jar);
        // One file per build: a JVM still mapping an older build's archive never sees it rewritten under it.
        String name = s.id() + "-" + sha256(build).substring(0, 16);
        Path archive = dir.resolve(name + format.suffix());
        Path id = dir.resolve(name + format.suffix() + ".id");
        try {
            if (Files.isRegularFile(archive) && Files.size(archive) > 0 && Files.isRegularFile(id)
                    && Files.readString(id).equals(build)) {
                Files.deleteIfExists(ArchiveRecording.classesOf(archive)); // the recording's list, used at its exit
                return Stream.concat(Stream.of(format.use() + archive), format.quiet().stream()).toList();
            }
            PrivateFiles.directory(dir);
            try (Stream<Path> old = Files.list(dir)) {
                // other builds' archives of this service: unlinking leaves a running JVM's mapping intact
                for (Path p : old.filter(p -> p.getFileName().toString().startsWith(s.id() + "-")).toList()) {
                    Files.deleteIfExists(p);
                }
            }
            PrivateFiles.write(id, build);
        } catch (IOException | UncheckedIOException e) {
            return List.of(); // no archive this time; the service starts as it always did
        }
        List<String> record = new ArrayList<>(List.of(format.record() + archive));
        record.addAll(format.quiet());
        if (format.link()) {
            // the service links what it loaded before its exit: JDK 17 left ~560 of the vault's out (ArchiveRecording)
            record.addAll(ArchiveRecording.options(ArchiveRecording.classesOf(archive)));
        }
        return List.copyOf(record);
    }

    /** A JVM writing its archive at exit gets this long to stop (see {@link EmbeddedServices#down}). */
    static final long RECORDING_GRACE_MILLIS = 90_000;

    /**
     * The archive {@code process} writes when it exits, if it was started to record one. Writing it takes long: the
     * vault's 10,000-odd classes took more than 10 s on a loaded 2-core machine, so `services down`'s SIGKILL after its
     * usual grace left a truncated archive that every later start silently failed to map. JDK 25 assembles its AOT
     * cache in a child JVM at the exit: about 6 s for the gate here, more loaded.
     */
    static Optional<Path> recordedBy(ProcessHandle process) {
        return process.info().arguments().stream().flatMap(Arrays::stream)
                .flatMap(a -> Stream.of(Format.DYNAMIC_CDS, Format.AOT_CACHE).map(Format::record).filter(a::startsWith)
                        .map(prefix -> Path.of(a.substring(prefix.length()))))
                .findFirst();
    }

    /**
     * Removes what a recording killed mid-write left: the archive (never mapped, but kept), its class-load list and JDK
     * 25's training file.
     */
    static void discard(Path archive) throws IOException {
        Files.deleteIfExists(archive);
        Files.deleteIfExists(ArchiveRecording.classesOf(archive));
        Files.deleteIfExists(archive.resolveSibling(archive.getFileName() + ".config"));
    }

    static String sha256(String s) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Which build of the service and which JVM: an archive only fits the class path and the JVM it was made with (the
     * JVM checks the jars' sizes and times itself, and would silently ignore a stale archive every time).
     */
    static String buildId(Path jar) {
        Path app = jar.toAbsolutePath().getParent();
        long newest = 0;
        long files = 0;
        try (Stream<Path> all = Files.walk(app)) {
            for (Path p : (Iterable<Path>) all.filter(Files::isRegularFile)::iterator) {
                newest = Math.max(newest, Files.getLastModifiedTime(p).toMillis());
                files++;
            }
        } catch (IOException e) {
            return "unreadable";
        }
        return System.getProperty("java.home") + " " + System.getProperty("java.vm.version") + " " + app + " "
                + files + " files, newest " + newest + "\n";
    }
}
