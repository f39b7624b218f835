package io.terok.cli.services;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.common.ServiceName;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
    void theJvmInUseStartsWithEachServicesOptions() throws IOException, InterruptedException {
        // An option this JVM did not know would stop every service at `services up` ("Unrecognized VM option").
        for (ServiceName s : ServiceName.values()) {
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
            cmd.addAll(EmbeddedServices.jvmOptions(Map.of(), s));
            cmd.add("-version");
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), s + ": java -version did not finish");
            assertEquals(0, p.exitValue(), s + ": " + cmd + "\n" + out);
        }
    }

    @Test
    void theOperatorsOptionsReplaceTerokDefaults() {
        assertEquals(List.of("-Xmx64m", "-Dname=vault"),
                EmbeddedServices.jvmOptions(Map.of(EmbeddedServices.JVM_OPTIONS_ENV, " -Xmx64m -Dname={service} "), ServiceName.VAULT));
    }
}
