package io.terok.runtime.podman;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class HostProfileTest {
    @Test
    void rootlessPodman5UsesPastaAndItsHostLoopbackAddress() {
        HostProfile p = new HostProfile(true, 5, "5.4.2", true, "v2", "systemd", true);
        assertTrue(p.pasta());
        assertEquals("169.254.1.2", p.hostLoopbackAddress());
    }

    /** Rootful podman 5 refuses pasta ("only supported for rootless mode"): `terok setup --system` ran into it. */
    @Test
    void rootfulPodman5KeepsSlirp4netns() {
        HostProfile p = new HostProfile(false, 5, "5.4.2", true, "v2", "systemd", true);
        assertFalse(p.pasta());
        assertEquals("10.0.2.2", p.hostLoopbackAddress());
    }

    @Test
    void podman4UsesSlirp4netnsRootlessAndRootful() {
        assertFalse(new HostProfile(true, 4, "4.3.1", true, "v1", "systemd", true).pasta());
        assertFalse(new HostProfile(false, 4, "4.3.1", true, "v1", "systemd", true).pasta());
    }
}
