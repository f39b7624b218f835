package io.terok.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * A real OpenSSH server on 127.0.0.1 (or another address of the host) for tests: its own host key and config in a directory of the test, public keys
 * let in through {@link #authorize} (each restricted to git-shell, so a key opens repositories and nothing else),
 * bare repositories made by {@link #repository}. The test ends it with {@link #close()} (by handle, never by name).
 * Needs {@code /usr/sbin/sshd}, {@code ssh-keygen}, {@code git} and {@code git-shell} (bin/prepare-host installs them);
 * a missing one fails the test.
 */
public final class TestSshd implements AutoCloseable {
    private final Path dir;
    private final String address;
    private final int port;
    private Process sshd;
    private String hostKey;

    private TestSshd(Path dir, String address, int port) {
        this.dir = dir;
        this.address = address;
        this.port = port;
    }

    /** Starts sshd with a fresh ed25519 host key, files under {@code dir}, on a free loopback port. */
    public static TestSshd start(Path dir) {
        return start(dir, "127.0.0.1");
    }

    /**
     * Listens on {@code address} instead, e.g. a {@link FakeInternet}'s {@link FakeInternet#hostIp()}: an upstream a
     * task's firewall may open (it never opens the host's loopback).
     */
    public static TestSshd start(Path dir, String address) {
        Cmd.require(List.of("/usr/sbin/sshd", "ssh-keygen", "git", "git-shell"));
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("authorized_keys"), "", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            TestSshd s = new TestSshd(dir, address, LoopbackPort.free());
            s.newHostKey();
            s.writeConfig();
            s.launch();
            return s;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public int port() {
        return port;
    }

    public Path dir() {
        return dir;
    }

    /** The host key as {@code <type> <base64>} (what a known_hosts line holds after the host pattern). */
    public String hostKey() {
        return hostKey;
    }

    /** The server's log (sshd -e), for failure messages. */
    public String log() {
        try {
            return Files.exists(dir.resolve("sshd.log")) ? Files.readString(dir.resolve("sshd.log")) : "";
        } catch (IOException e) {
            return e.toString();
        }
    }

    /** {@code ssh://root@<address>:<port><path>}: the URL of a repository of this server. */
    public String url(Path repository) {
        return "ssh://" + System.getProperty("user.name") + "@" + address + ":" + port + repository.toAbsolutePath();
    }

    /** Lets a public key ({@code authorized_keys} line without options) in, for git commands only. */
    public void authorize(String publicLine) {
        try {
            Files.writeString(dir.resolve("authorized_keys"), "restrict,command=\"git-shell -c \\\"$SSH_ORIGINAL_COMMAND\\\"\" "
                    + publicLine.strip() + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A bare repository {@code <dir>/<name>.git} whose main branch has one commit ("seed", a README). */
    public Path repository(String name) {
        return SeededRepository.create(dir.resolve(name + ".git"), dir.resolve(name + "-seed"), "over ssh\n");
    }

    /** Replaces the host key (as a re-installed or impersonated server would) and restarts sshd on the same port. */
    public void changeHostKey() {
        Cmd.stop(sshd);
        newHostKey();
        launch();
    }

    private void newHostKey() {
        try {
            Files.deleteIfExists(dir.resolve("host_key"));
            Files.deleteIfExists(dir.resolve("host_key.pub"));
            Cmd.ok("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "test-sshd", "-f", dir.resolve("host_key").toString());
            String[] pub = Files.readString(dir.resolve("host_key.pub")).trim().split(" ");
            hostKey = pub[0] + " " + pub[1];
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void writeConfig() throws IOException {
        Files.writeString(dir.resolve("sshd_config"), String.join("\n",
                "Port " + port,
                "ListenAddress " + address,
                "HostKey " + dir.resolve("host_key"),
                "PidFile " + dir.resolve("sshd.pid"),
                "AuthorizedKeysFile " + dir.resolve("authorized_keys"),
                "StrictModes no",
                "PermitRootLogin prohibit-password",
                "PubkeyAuthentication yes",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "UsePAM no",
                "LogLevel VERBOSE",
                ""));
    }

    private void launch() {
        try {
            // sshd's privilege separation directory (the package's init script would create it; no system sshd runs here).
            Files.createDirectories(Path.of("/run/sshd"));
            sshd = new ProcessBuilder("/usr/sbin/sshd", "-D", "-e", "-f", dir.resolve("sshd_config").toString())
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("sshd.log").toFile())).start();
            long deadline = System.currentTimeMillis() + 15_000;
            while (true) {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress(address, port), 500);
                    return;
                } catch (IOException e) {
                    if (!sshd.isAlive() || System.currentTimeMillis() > deadline) {
                        throw new AssertionError("the test sshd did not start: " + log());
                    }
                    Thread.sleep(100);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        Cmd.stop(sshd);
        sshd = null;
    }
}
