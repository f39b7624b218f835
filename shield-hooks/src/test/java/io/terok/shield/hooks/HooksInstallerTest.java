package io.terok.shield.hooks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HooksInstallerTest {
    @TempDir
    Path tmp;

    @Test
    void installStatusStaleUninstall() throws IOException {
        HooksInstaller h = new HooksInstaller(tmp.resolve("hooks"), tmp.resolve("state"), tmp.resolve("conf.d/terok-shield.conf"));
        HooksInstaller.Status s = h.status();
        assertFalse(s.installed());
        assertFalse(s.stale());
        s = h.install();
        assertTrue(s.installed(), s.problems().toString());
        String script = Files.readString(tmp.resolve("hooks/terok-shield-hook"));
        assertTrue(script.contains("STATE_DIR='" + tmp.resolve("state") + "'"));
        assertTrue(Files.isExecutable(tmp.resolve("hooks/terok-shield-hook")));
        String desc = Files.readString(tmp.resolve("hooks/terok-shield-createRuntime.json"));
        assertTrue(desc.contains("\"stages\": [\"createRuntime\"]") && desc.contains("\"^io\\\\.terok\\\\.shield\\\\.task$\": \".*\""), desc);
        String reg = Files.readString(tmp.resolve("conf.d/terok-shield.conf"));
        assertTrue(reg.contains("[engine]\nhooks_dir = [\"" + tmp.resolve("hooks") + "\", \"/usr/share/containers/oci/hooks.d\""), reg);

        // another state dir baked in = stale
        HooksInstaller other = new HooksInstaller(tmp.resolve("hooks"), tmp.resolve("elsewhere"), tmp.resolve("conf.d/terok-shield.conf"));
        assertFalse(other.status().installed());
        assertTrue(other.status().stale());
        assertTrue(other.install().installed());

        assertTrue(h.uninstall());
        assertFalse(Files.exists(tmp.resolve("hooks")));
        assertFalse(Files.exists(tmp.resolve("conf.d/terok-shield.conf")));
        assertFalse(h.uninstall());
    }

    @Test
    void aForeignRegistrationFileIsNotOverwritten() throws IOException {
        Files.createDirectories(tmp.resolve("conf.d"));
        Files.writeString(tmp.resolve("conf.d/terok-shield.conf"), "[engine]\nhooks_dir = [\"/x\"]\n");
        HooksInstaller h = new HooksInstaller(tmp.resolve("hooks"), tmp.resolve("state"), tmp.resolve("conf.d/terok-shield.conf"));
        assertThrows(IOException.class, h::install);
        h.uninstall();
        assertEquals("[engine]\nhooks_dir = [\"/x\"]\n", Files.readString(tmp.resolve("conf.d/terok-shield.conf")));
    }
}
