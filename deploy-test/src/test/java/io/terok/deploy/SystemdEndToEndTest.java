package io.terok.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * {@link SystemdDeploymentTestBase} on Debian 12: systemd 252, rootless podman 4.3.1 (cgroups v1, as this machine's
 * kernel has them) with Quadlet 5.4 as the generator. Podman 4.3.1 cannot run the units Quadlet 5.4 generates as
 * they are, so they get the test-only drop-ins in {@code podman43-dropins} (see there; hosts with podman 5 need none:
 * {@link Podman5SystemdEndToEndTest} runs the shipped units unchanged). {@code setup --system} here proves the
 * system vault's encrypted credential with the vault alone: the system units need the same drop-ins (cgroups v1),
 * and the five system services under systemd are {@link Podman5SystemdEndToEndTest}'s.
 */
class SystemdEndToEndTest extends SystemdDeploymentTestBase {
    @Override
    Path root() {
        return Path.of("/var/cache/terok-ci/debian-bookworm-systemd-2");
    }

    @Override
    void afterUserUnitsGenerated() {
        try {
            Terok.podman("cp", Path.of(SystemdEndToEndTest.class.getResource("/podman43-dropins").toURI()).toString(),
                    name + ":/usr/local/bin/podman43-dropins").ok();
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        asTk("/usr/local/bin/podman43-dropins").ok();
    }

    @Test
    @Order(7)
    void asRootSetupSystemKeepsThePassphraseAsAnEncryptedCredentialThatTheSystemVaultUnitLoads() throws Exception {
        Terok.Result setup = asRoot(TEROK, "setup", "--system", "--no-images").ok();
        assertTrue(setup.out().contains("vault passphrase: generated"), setup.out());
        assertEquals("600 root", asRoot("stat", "-c", "%a %U", CRED).ok().out().strip());
        // The real systemd-creds decrypts it (this host's key); the file itself does not hold the plaintext.
        assertEquals("43", asRoot("sh", "-c", "systemd-creds decrypt --name=terok-vault-passphrase " + CRED + " - | wc -c").ok().out().strip());
        assertEquals("0", asRoot("sh", "-c", "systemd-creds decrypt --name=terok-vault-passphrase " + CRED + " - | grep -c -F -f - " + CRED)
                .out().strip());
        String unit = asRoot("cat", "/etc/containers/systemd/terok-vault.container").ok().out();
        assertTrue(unit.contains("LoadCredentialEncrypted=terok-vault-passphrase:" + CRED) && unit.contains("Volume=%d:"), unit);
        String again = asRoot(TEROK, "setup", "--system", "--no-images").ok().out();
        assertTrue(again.contains("vault passphrase: unchanged") && again.contains("unit terok-vault.container: unchanged"), again);

        // Only the vault, in root's storage: the system vault unit with the credential, under the real systemd.
        loadImages(false, List.of("localhost/terok-vault:latest"));
        asRoot("/usr/local/bin/podman43-dropins", "--system").ok();
        // systemd mounts a unit's credentials (a ramfs) in a helper's mount namespace and moves it to
        // /run/credentials/<unit>: the host sees it through mount propagation. On a host, systemd makes / shared at
        // boot; in a container it leaves that to the container manager, and podman's mounts are private, so the
        // directory would stay empty. Do here what systemd does on a host (this container only).
        asRoot("mount", "--make-rshared", "/").ok();
        asRoot("systemctl", "start", "terok-vault.service").ok();
        Terok.Result status = asRoot(TEROK, "vault", "status");
        long deadline = System.nanoTime() + 90_000_000_000L;
        while (status.exitCode() != 0 && System.nanoTime() < deadline) {
            Thread.sleep(1000);
            status = asRoot(TEROK, "vault", "status");
        }
        assertTrue(status.exitCode() == 0 && status.out().contains("unlocked (systemd-creds)"), status + "\n"
                + asRoot("systemctl", "status", "--no-pager", "terok-vault.service").out() + asRoot("podman", "logs", "terok-vault").err());
        Terok.Result grep = asRoot("sh", "-c", "systemd-creds decrypt --name=terok-vault-passphrase " + CRED + " - | grep -rlF -D skip -f - "
                + "/etc/containers /etc/systemd /run/systemd/generator /etc/terok /var/lib/containers/storage/volumes; echo rc=$?");
        assertEquals("rc=1", grep.out().strip(), "no unit, configuration or volume holds the passphrase: " + grep);
        asRoot("systemctl", "stop", "terok-vault.service", "terok-vault-pod.service").ok();
        Terok.Result purge = asRoot(TEROK, "uninstall", "--system", "--purge").ok();
        assertTrue(purge.out().contains("vault passphrase: removed (" + CRED + ")"), purge.out());
        assertEquals(1, asRoot("test", "-e", CRED).exitCode());
    }

}
