package io.terok.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.testsupport.Cmd;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * {@code bin/terok} on each JVM it may meet: JDK 17 (the {@code java} on the PATH, the default) and a JDK 24+ an
 * operator pins with TEROK_JAVA (these machines have Temurin 25 beside 17). On each, the CLI's class-data archive is
 * built for that JVM and stderr carries nothing but terok's own words: JDK 24+ warns about Netty's sun.misc.Unsafe
 * memory access (JEP 498) and its System::loadLibrary (JEP 472) unless the launcher allows them. (On bin/terok before
 * it did, the JDK 25 case fails with eight WARNING lines on `terok ps`.)
 */
class LauncherEndToEndTest {
    private static final Path JVMS = Path.of("/usr/lib/jvm");

    @Test
    void theCliRunsCleanlyOnJdk17AndOnAPinnedJdk24Plus() throws Exception {
        String java17 = Path.of(Cmd.exec(List.of("sh", "-c", "readlink -f \"$(command -v java)\""), null, e -> { }, null, 30)
                .out().strip()).toString();
        assertEquals(17, feature(Path.of(java17).getParent().getParent()), "the java on the PATH is JDK 17: " + java17);
        List<Path> newer = new ArrayList<>();
        try (Stream<Path> all = Files.list(JVMS)) {
            for (Path home : all.sorted().toList()) {
                if (!Files.isSymbolicLink(home) && Files.isExecutable(home.resolve("bin/java")) && feature(home) >= 24) {
                    newer.add(home);
                }
            }
        }
        assertFalse(newer.isEmpty(), "no JDK 24+ under " + JVMS + " (this project's machines have Temurin 25 there)");

        Path home = Terok.freshHome("launcher", null);
        Path socket = home.resolve("run/runtime.sock");
        Files.createDirectories(socket.getParent());
        // A runtime socket that accepts and hangs up at once: `terok ps` loads all of gRPC and Netty (their native
        // transport too), connects, and fails with its own message.
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            Thread closer = new Thread(() -> {
                while (server.isOpen()) {
                    try (SocketChannel c = server.accept()) {
                        // closed at once
                    } catch (IOException e) {
                        return;
                    }
                }
            }, "launcher-test-closer");
            closer.setDaemon(true);
            closer.start();

            List<String> javas = new ArrayList<>(List.of(java17));
            newer.forEach(h -> javas.add(h.resolve("bin/java").toString()));
            for (String java : javas) {
                int feature = feature(Path.of(java).getParent().getParent());
                Path state = home.resolve("state-" + feature);
                // The launcher's own JVM start (no spare CLI process: SpareEndToEndTest covers that path).
                Map<String, String> env = Map.of("TEROK_JAVA", java, "TEROK_STATE_DIR", state.toString(),
                        "TEROK_RUNTIME_DIR", socket.getParent().toString(), "TEROK_NO_SPARE", "1");
                Terok.Result version = Terok.exec(command("--version"), env, 180);
                assertEquals(0, version.exitCode(), java + ": " + version.err());
                assertTrue(version.out().contains("(Java " + feature), java + " runs the CLI: " + version.out());
                assertEquals("", version.err(), java + ": nothing on stderr for --version");
                assertTrue(Files.size(state.resolve("cli.jsa")) > 0, java + ": the CLI's archive was built");
                assertEquals(Path.of(java).toRealPath().toString(), Files.readString(state.resolve("cli.jsa.java")).strip(),
                        "the archive is this JVM's");

                Terok.Result ps = Terok.exec(command("ps"), env, 120);
                assertTrue(ps.exitCode() != 0, java + ": no runtime service answers: " + ps.out() + ps.err());
                List<String> foreign = ps.err().lines()
                        .filter(l -> !l.isBlank() && !l.startsWith("terok: ") && !l.startsWith("hint: ")).toList();
                assertEquals(List.of(), foreign, java + ": stderr of `terok ps` is terok's own: " + ps.err());
                assertTrue(ps.err().contains("runtime"), java + ": the error names the runtime service: " + ps.err());
            }
            // What the launcher keeps away: the same CLI on the JDK 24+ without its options warns.
            String jar = Cmd.exec(List.of("sh", "-c", "ls " + Terok.REPO + "/cli/target/terok-cli-*.jar | grep -v -e sources -e tests"),
                    null, e -> { }, null, 30).out().lines().findFirst().orElseThrow();
            Terok.Result bare = Terok.exec(List.of(newer.get(0).resolve("bin/java").toString(), "-jar", jar, "ps"),
                    Map.of("TEROK_RUNTIME_DIR", socket.getParent().toString(), "TEROK_STATE_DIR", home.resolve("state-bare").toString()), 120);
            assertTrue(bare.err().contains("WARNING: ") && bare.err().contains("sun.misc.Unsafe"),
                    "JDK 24+ warns without the launcher's options: " + bare.err());
        }
    }

    private static List<String> command(String... args) {
        List<String> cmd = new ArrayList<>(List.of(Terok.REPO.resolve("bin/terok").toString()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** The feature release of the JDK at {@code home}, from its {@code release} file (0 when it has none). */
    static int feature(Path home) throws IOException {
        Path release = home.resolve("release");
        if (!Files.isReadable(release)) {
            return 0;
        }
        for (String line : Files.readAllLines(release)) {
            if (line.startsWith("JAVA_VERSION=\"")) {
                String v = line.substring("JAVA_VERSION=\"".length());
                int end = 0;
                while (end < v.length() && Character.isDigit(v.charAt(end))) {
                    end++;
                }
                return end == 0 ? 0 : Integer.parseInt(v.substring(0, end));
            }
        }
        return 0;
    }
}
