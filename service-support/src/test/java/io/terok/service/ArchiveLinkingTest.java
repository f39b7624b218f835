package io.terok.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.jboss.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArchiveLinkingTest {
    /** A class only loaded, never used, by the probe: the kind JDK 17 left out of the archive. */
    public static class Unused {
        static {
            System.out.println("Unused initialised");
        }

        public int value() {
            return 42;
        }
    }

    /** An interface only loaded: Class answers its constructors without the JVM, which does not link it then. */
    public interface UnusedApi {
        int value();
    }

    /** A recording JVM in small: a class loaded (not linked) through a loader of its own, then linked or not before the exit. */
    public static final class Probe {
        public static void main(String... a) throws Exception {
            try (URLClassLoader loader = new URLClassLoader(new URL[] {Path.of(a[0]).toUri().toURL()},
                    ClassLoader.getPlatformClassLoader())) {
                for (String name : a[1].split(",")) {
                    Class.forName(name, false, loader);
                }
                if (a.length > 2) {
                    System.out.println("linked " + ArchiveLinking.link(Files.readAllLines(Path.of(a[2])), loader));
                }
            }
        }
    }

    @Test
    void aClassTheRecordingRunOnlyLoadedIsInTheArchiveOnceLinked(@TempDir Path dir) throws Exception {
        Path target = jar(dir.resolve("target.jar"), Unused.class, UnusedApi.class);
        Path probe = jar(dir.resolve("probe.jar"), Probe.class, ArchiveLinking.class);
        String cp = probe + ":" + Path.of(Logger.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        String name = Unused.class.getName();
        String api = UnusedApi.class.getName();
        String both = name + "," + api;

        // as before: the class was loaded by the recording run but is not in its archive
        Path plain = dir.resolve("plain.jsa");
        run(cp, "-XX:ArchiveClassesAtExit=" + plain, Probe.class.getName(), target.toString(), both);
        assertTrue(run(cp, "-XX:SharedArchiveFile=" + plain, Probe.class.getName(), target.toString(), both)
                .contains(name + " source: file:"), "without the linking the class is read from its jar again");

        // linked from the recording run's class-load list: mapped from the archive at the next start, never initialised
        Path linked = dir.resolve("linked.jsa");
        Path classes = dir.resolve("linked.jsa.classes");
        String recorded = run(cp, "-XX:ArchiveClassesAtExit=" + linked, "-Xlog:class+load=info:file=" + classes + ":none",
                Probe.class.getName(), target.toString(), both, classes.toString());
        assertFalse(recorded.contains("Unused initialised"), recorded);
        String mapped = run(cp, "-XX:SharedArchiveFile=" + linked, Probe.class.getName(), target.toString(), both);
        assertTrue(mapped.contains(name + " source: shared objects file"), mapped);
        assertTrue(mapped.contains(api + " source: shared objects file"), mapped);
    }

    @Test
    void onlyClassesReadFromAJarOrTheJdkAreNamed() {
        assertEquals("io.netty.buffer.AbstractByteBuf",
                ArchiveLinking.className("io.netty.buffer.AbstractByteBuf source: file:/x/lib/netty-buffer.jar"));
        assertEquals("java.util.HexFormat", ArchiveLinking.className("java.util.HexFormat source: jrt:/java.base"));
        assertNull(ArchiveLinking.className("java.lang.Object source: shared objects file"));
        assertNull(ArchiveLinking.className("io.netty.buffer.ByteBuf source: shared objects file (top)"));
        assertNull(ArchiveLinking.className("io.terok.X$$Lambda$18/0x00007f67a1006000 source: io.terok.X"));
        assertNull(ArchiveLinking.className("jdk.proxy1.$Proxy5 source: __dynamic_proxy__"));
        assertNull(ArchiveLinking.className(""));
    }

    @Test
    void aNameThatCannotBeLoadedIsPassedOver() {
        assertEquals(1, ArchiveLinking.link(List.of("no.such.Klass source: file:/x.jar",
                Unused.class.getName() + " source: file:/x.jar"), getClass().getClassLoader()));
    }

    /** The JVM's output with every class load on it (the class-load log in the test's own file when given). */
    private static String run(String cp, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xshare:auto", "-Xlog:class+load=info:stdout:none", "-cp", cp));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the probe JVM did not finish: " + cmd);
        assertEquals(0, p.exitValue(), cmd + "\n" + out);
        return out;
    }

    private static Path jar(Path jar, Class<?>... classes) throws IOException {
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            for (Class<?> c : classes) {
                String entry = c.getName().replace('.', '/') + ".class";
                out.putNextEntry(new JarEntry(entry));
                try (InputStream in = c.getClassLoader().getResourceAsStream(entry)) {
                    in.transferTo(out);
                }
                out.closeEntry();
            }
        }
        return jar;
    }
}
