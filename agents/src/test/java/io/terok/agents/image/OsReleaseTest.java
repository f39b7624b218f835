package io.terok.agents.image;

import io.terok.common.ServiceException;
import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OsReleaseTest {
    @Test
    void debianFamily() {
        OsRelease debian = OsRelease.parse("""
                PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
                NAME="Debian GNU/Linux"
                VERSION_ID="12"
                ID=debian
                """);
        assertEquals("debian", debian.id());
        assertEquals("Debian GNU/Linux 12 (bookworm)", debian.fields().get("PRETTY_NAME"));
        assertEquals(Optional.of(Family.DEB), debian.family());
        assertEquals(Optional.of(Family.DEB), OsRelease.parse("ID=ubuntu\nID_LIKE=debian\n").family());
        assertEquals(Optional.of(Family.DEB), OsRelease.parse("ID=linuxmint\nID_LIKE=\"ubuntu debian\"\n").family());
    }

    @Test
    void rpmFamily() {
        assertEquals(Optional.of(Family.RPM), OsRelease.parse("NAME=\"Fedora Linux\"\nID=fedora\n").family());
        assertEquals(Optional.of(Family.RPM),
                OsRelease.parse("ID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\n").family());
        assertEquals(Optional.of(Family.RPM), OsRelease.parse("ID='almalinux'\n").family());
        // an NVIDIA CUDA base is an Ubuntu or a UBI (RHEL) image: detected the same way
        assertEquals(Optional.of(Family.RPM), OsRelease.parse("ID=\"rhel\"\nID_LIKE=\"fedora\"\n").family());
    }

    @Test
    void unknownFamilyAsksForTheSetting() {
        OsRelease alpine = OsRelease.parse("ID=alpine\n# comment\nnot a line\n");
        assertEquals(Optional.empty(), alpine.family());
        ServiceException e = assertThrows(ServiceException.class, () -> alpine.requireFamily("alpine:3"));
        assertTrue(e.getMessage().contains("set image.family"), e.getMessage());
        assertEquals(Family.RPM, Family.parse(" rpm "));
        assertThrows(ServiceException.class, () -> Family.parse("apk"));
    }

    @Test
    void quotedValuesWithEscapes() {
        assertEquals("a \"b\" c", OsRelease.parse("NAME=\"a \\\"b\\\" c\"").fields().get("NAME"));
    }
}
