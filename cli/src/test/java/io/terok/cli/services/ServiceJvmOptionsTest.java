package io.terok.cli.services;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.common.ArchiveRecording;
import io.terok.common.ServiceName;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import java.nio.file.Files;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The JVM options `terok services up` gives each service. */
class ServiceJvmOptionsTest {
    @Test
    void everyServiceTrimsItsNativeHeapOnAJvmThatTakesTheOption() {
        for (ServiceName s : ServiceName.values()) {
            List<String> options = EmbeddedServices.jvmOptions(Map.of(), s);
            assertTrue(options.containsAll(EmbeddedServices.JVM_OPTIONS), s + ": " + options);
            assertEquals(EmbeddedServices.trimsNativeHeap(Runtime.version()),
                    options.containsAll(EmbeddedServices.TRIM_NATIVE_HEAP), s + ": " + options);
            // the gate's pack work and the vault's broker keep C2
            assertEquals(s != ServiceName.GATE && s != ServiceName.VAULT, options.containsAll(EmbeddedServices.C1_ONLY),
                    s + ": " + options);
            // the vault's start: the JDK's ASM (its lambda classes) kept out of C2
            assertEquals(s == ServiceName.VAULT, options.containsAll(EmbeddedServices.VAULT_JIT), s + ": " + options);
        }
    }

    @Test
    void theTrimIsGivenOnlyToJvmsThatKnowIt() {
        assertTrue(EmbeddedServices.trimsNativeHeap(Runtime.Version.parse("17.0.9")));
        assertTrue(EmbeddedServices.trimsNativeHeap(Runtime.Version.parse("17.0.15+6-Debian-1deb12u1")));
        assertTrue(EmbeddedServices.trimsNativeHeap(Runtime.Version.parse("21.0.1")));
        assertTrue(EmbeddedServices.trimsNativeHeap(Runtime.Version.parse("25")));
        assertFalse(EmbeddedServices.trimsNativeHeap(Runtime.Version.parse("17.0.8")));
        assertFalse(EmbeddedServices.trimsNativeHeap(Runtime.Version.parse("21")));
        assertFalse(EmbeddedServices.trimsNativeHeap(Runtime.Version.parse("19.0.2")));
    }

    @Test
    void theJvmInUseStartsWithEachServicesOptions(@TempDir Path dir) throws IOException, InterruptedException {
        startsWithEachServicesOptions(Path.of(System.getProperty("java.home")), Runtime.version(), dir);
    }

    /**
     * An operator may pin the CLI (and so the services) to a JDK 25+ with TEROK_JAVA: its options, both archives'
     * options and JDK 24+'s access options must start it, and without a warning (JEP 498/472) in the service's log.
     * These machines have one (Temurin 25); in CI a missing one fails the test, elsewhere it is skipped.
     */
    @Test
    void aJdk25OnThisMachineStartsWithEachServicesOptions(@TempDir Path dir) throws IOException, InterruptedException {
        Optional<Path> home = jdk25();
        if ("true".equals(System.getenv("CI"))) {
            assertTrue(home.isPresent(), "no JDK 25+ under /usr/lib/jvm (these machines have Temurin 25 there)");
        }
        Assumptions.assumeTrue(home.isPresent(), "no JDK 25+ under /usr/lib/jvm");
        String version = Files.readAllLines(home.get().resolve("release")).stream().filter(l -> l.startsWith("JAVA_VERSION="))
                .findFirst().orElseThrow().replaceAll("JAVA_VERSION=\"?([^\"]*)\"?", "$1");
        startsWithEachServicesOptions(home.get(), Runtime.Version.parse(version), dir);
    }

    private static Optional<Path> jdk25() throws IOException {
        Path jvms = Path.of("/usr/lib/jvm");
        if (!Files.isDirectory(jvms)) {
            return Optional.empty();
        }
        try (Stream<Path> all = Files.list(jvms)) {
            return all.filter(h -> Files.isExecutable(h.resolve("bin/java")) && Files.isRegularFile(h.resolve("release")))
                    .filter(h -> {
                        try {
                            return Files.readAllLines(h.resolve("release")).stream()
                                    .anyMatch(l -> l.matches("JAVA_VERSION=\"?(2[5-9]|[3-9][0-9]).*"));
                        } catch (IOException e) {
                            return false;
                        }
                    }).sorted().findFirst();
        }
    }

    private static void startsWithEachServicesOptions(Path javaHome, Runtime.Version version, Path dir)
            throws IOException, InterruptedException {
        List<ClassDataArchive.Format> formats = List.of(ClassDataArchive.Format.of(version, null),
                ClassDataArchive.Format.of(version, "aot"));
        // An option this JVM did not know would stop every service at `services up` ("Unrecognized VM option").
        for (ServiceName s : ServiceName.values()) {
            for (ClassDataArchive.Format format : formats) {
                // as the first start (recording) and a later one (mapping: here a stale file, which must cost only the speed-up)
                Path archive = Files.writeString(dir.resolve(s.id() + format.suffix()), "not an archive");
                Path fresh = dir.resolve(s.id() + "-new" + format.suffix());
                for (String archiveOption : List.of(format.use() + archive, format.record() + fresh)) {
                    List<String> cmd = new ArrayList<>(List.of(javaHome.resolve("bin/java").toString()));
                    cmd.addAll(EmbeddedServices.jvmOptions(Map.of(), s, version));
                    cmd.add(archiveOption);
                    cmd.addAll(format.quiet());
                    if (format.link() && archiveOption.startsWith(format.record())) {
                        cmd.addAll(ArchiveRecording.options(ArchiveRecording.classesOf(fresh)));
                    }
                    cmd.add("-version");
                    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
                    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                    assertTrue(p.waitFor(120, TimeUnit.SECONDS), s + ": java -version did not finish");
                    assertEquals(0, p.exitValue(), s + ": " + cmd + "\n" + out);
                    assertFalse(out.toLowerCase(java.util.Locale.ROOT).contains("warning"), s + ": " + cmd + "\n" + out);
                    assertFalse(out.lines().anyMatch(l -> l.startsWith("CompileCommand:")), "the service's log gets no compiler notes: " + cmd + "\n" + out);
                }
            }
        }
    }

    @Test
    void jdk24AndLaterAllowTheLibrariesAccessWithoutWarnings() {
        Runtime.Version v25 = Runtime.Version.parse("25.0.3");
        for (ServiceName s : ServiceName.values()) {
            assertTrue(EmbeddedServices.jvmOptions(Map.of(), s, v25).containsAll(EmbeddedServices.JDK24_ACCESS), s.id());
            assertFalse(EmbeddedServices.jvmOptions(Map.of(), s, Runtime.Version.parse("17.0.15")).stream()
                    .anyMatch(EmbeddedServices.JDK24_ACCESS::contains), s.id());
        }
        assertEquals(List.of("--sun-misc-unsafe-memory-access=allow", "--enable-native-access=ALL-UNNAMED", "-Xmx64m"),
                EmbeddedServices.jvmOptions(Map.of(EmbeddedServices.JVM_OPTIONS_ENV, "-Xmx64m"), ServiceName.GATE, v25));
    }

    @Test
    void theOperatorsOptionsReplaceTerokDefaults() {
        assertEquals(List.of("-Xmx64m", "-Dname=vault"),
                EmbeddedServices.jvmOptions(Map.of(EmbeddedServices.JVM_OPTIONS_ENV, " -Xmx64m -Dname={service} "), ServiceName.VAULT));
    }
}
