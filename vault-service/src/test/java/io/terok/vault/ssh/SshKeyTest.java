package io.terok.vault.ssh;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.common.ServiceException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Signature;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** OpenSSH key files in and out, checked against the real ssh-keygen; signatures checked with the JDK. */
class SshKeyTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void tools() {
        Tools.require("ssh-keygen");
    }

    private Path keygen(String name, String... args) throws Exception {
        Path f = dir.resolve(name);
        List<String> cmd = new java.util.ArrayList<>(List.of("ssh-keygen", "-q", "-f", f.toString(), "-C", "me@" + name));
        cmd.addAll(List.of(args));
        Tools.run(cmd, Map.of(), null).ok();
        return f;
    }

    @Test
    void keysMadeBySshKeygenImportWithTheirFingerprintAndComment() throws Exception {
        for (String[] spec : new String[][] {{"ed", "-t", "ed25519", "-N", ""}, {"rsa", "-t", "rsa", "-b", "3072", "-N", ""}}) {
            Path f = keygen(spec[0], java.util.Arrays.copyOfRange(spec, 1, spec.length));
            SshKey k = SshKey.parseOpenSsh(Files.readString(f));
            assertEquals("me@" + spec[0], k.comment());
            assertEquals(Files.readString(Path.of(f + ".pub")).strip(), k.publicLine());
            String fp = Tools.run(List.of("ssh-keygen", "-l", "-f", f + ".pub"), Map.of(), null).ok().out();
            assertTrue(fp.contains(k.fingerprint()), fp + " vs " + k.fingerprint());
        }
    }

    @Test
    void everyKeyTypeSshKeygenWritesReadsBackAsSshKeygenSeesItOrIsRefusedByName() throws Exception {
        for (String[] spec : new String[][] {{"t-ed", "-t", "ed25519"}, {"t-rsa3072", "-t", "rsa", "-b", "3072"},
                {"t-rsa4096", "-t", "rsa", "-b", "4096"}}) {
            List<String> args = new java.util.ArrayList<>(List.of(spec).subList(1, spec.length));
            args.addAll(List.of("-N", ""));
            Path f = keygen(spec[0], args.toArray(String[]::new));
            SshKey k = SshKey.parseOpenSsh(Files.readString(f));
            String[] derived = Tools.run(List.of("ssh-keygen", "-y", "-f", f.toString()), Map.of(), null).ok().out().strip().split(" ");
            String[] mine = k.publicLine().split(" ");
            assertEquals(derived[0] + " " + derived[1], mine[0] + " " + mine[1], "ssh-keygen -y of " + spec[0]);
            assertEquals("me@" + spec[0], k.comment());
            String fp = Tools.run(List.of("ssh-keygen", "-l", "-f", f.toString()), Map.of(), null).ok().out();
            assertTrue(fp.contains(" " + k.fingerprint() + " "), fp + " vs " + k.fingerprint());
            assertEquals(SshKey.fingerprint(k.publicBlob()), k.fingerprint());
            SshKey stored = SshKey.fromStored(k.toOpenSsh().getBytes());
            assertArrayEquals(k.publicBlob(), stored.publicBlob());
            assertEquals(k.comment(), stored.comment());
        }
        for (String bits : List.of("256", "384", "521")) {
            Path ec = keygen("t-ec" + bits, "-t", "ecdsa", "-b", bits, "-N", "");
            assertRefused(Files.readString(ec), "ecdsa-sha2-nistp" + bits + " is not supported");
        }
    }

    @Test
    void generatedAndExportedKeysAreReadBySshKeygen() throws Exception {
        for (SshKey k : List.of(SshKey.generate(SshKey.Type.ED25519, 0, "gen-ed"), SshKey.generate(SshKey.Type.RSA, 3072, "gen-rsa"))) {
            Path f = dir.resolve("exported-" + k.type());
            Files.writeString(f, k.toOpenSsh());
            Files.setPosixFilePermissions(f, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            String pub = Tools.run(List.of("ssh-keygen", "-y", "-f", f.toString()), Map.of(), null).ok().out().strip();
            assertEquals(k.publicLine(), pub);
            // and back in: the same key
            assertArrayEquals(k.publicBlob(), SshKey.parseOpenSsh(k.toOpenSsh()).publicBlob());
        }
    }

    @Test
    void signaturesVerifyWithTheJdkAndSha1IsRefused() throws Exception {
        byte[] data = "session data".getBytes();
        SshKey ed = SshKey.generate(SshKey.Type.ED25519, 0, "");
        SshWire.Reader r = new SshWire.Reader(ed.sign(data, 0));
        assertEquals("ssh-ed25519", r.utf8());
        assertTrue(verify("Ed25519", ed, data, r.string()));

        SshKey rsa = SshKey.generate(SshKey.Type.RSA, 3072, "");
        for (int[] flag : new int[][] {{SshKey.RSA_SHA2_256}, {SshKey.RSA_SHA2_512}}) {
            SshWire.Reader s = new SshWire.Reader(rsa.sign(data, flag[0]));
            String alg = s.utf8();
            assertEquals(flag[0] == SshKey.RSA_SHA2_256 ? "rsa-sha2-256" : "rsa-sha2-512", alg);
            assertTrue(verify(flag[0] == SshKey.RSA_SHA2_256 ? "SHA256withRSA" : "SHA512withRSA", rsa, data, s.string()));
        }
        SshKey.Refused e = assertThrows(SshKey.Refused.class, () -> rsa.sign(data, 0));
        assertEquals("refused_sha1", e.outcome);
    }

    private static boolean verify(String alg, SshKey k, byte[] data, byte[] sig) throws Exception {
        Signature v = Signature.getInstance(alg);
        v.initVerify(k.publicKey());
        v.update(data);
        return v.verify(sig);
    }

    @Test
    void badKeysAreRefusedNamingWhatIsWrong() throws Exception {
        Path enc = keygen("enc", "-t", "ed25519", "-N", "secret-pass");
        assertRefused(Files.readString(enc), "encrypted with a passphrase");
        Path weak = keygen("weak", "-t", "rsa", "-b", "2048", "-N", "");
        assertRefused(Files.readString(weak), "2048 bits is too weak");
        Path ec = keygen("ec", "-t", "ecdsa", "-N", "");
        assertRefused(Files.readString(ec), "ecdsa-sha2-nistp256 is not supported");
        Path pem = keygen("pem", "-t", "rsa", "-b", "3072", "-m", "PEM", "-N", "");
        assertRefused(Files.readString(pem), "not the OpenSSH format");
        Path ed = keygen("pub", "-t", "ed25519", "-N", "");
        assertRefused(Files.readString(Path.of(ed + ".pub")), "this is a public key");
        assertRefused("", "empty");
        assertRefused("hello", "not an OpenSSH private key");
        String good = Files.readString(ed);
        String damaged = good.replace(good.substring(200, 260), "A".repeat(60));
        assertRefused(damaged, "private_key:");
        assertThrows(ServiceException.class, () -> SshKey.generate(SshKey.Type.RSA, 2048, ""));
    }

    private static void assertRefused(String text, String expected) {
        ServiceException e = assertThrows(ServiceException.class, () -> SshKey.parseOpenSsh(text));
        assertEquals(ServiceException.Kind.INVALID, e.kind());
        assertTrue(e.getMessage().startsWith("private_key: "), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
