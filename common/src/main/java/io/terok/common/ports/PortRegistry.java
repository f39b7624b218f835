package io.terok.common.ports;

import io.terok.common.HostProcess;
import io.terok.common.PrivateFiles;
import io.terok.common.TerokPaths;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.IntPredicate;

/**
 * The loopback TCP ports of one user's host-facing listeners (the vault's broker, the gate's git HTTP, a console),
 * allocated once and then kept: running tasks carry the broker and gate URLs in their environment and their
 * firewall opens exactly those ports, so a listener must come back on the same port after every restart.
 *
 * <p>The user's own record ({@code ports.properties} in the state directory) is authoritative. Several users share
 * the host's loopback, so each user also publishes its claims as {@code <user>.ports} in a shared directory
 * (world-writable, sticky, like /tmp; it survives reboots) and reads every other user's claims before it picks a
 * port. Those claims are advisory: a forged or stale file only makes this user avoid a port, and a bind test
 * (nothing may listen on it now) decides in the end.
 */
public final class PortRegistry {
    /** Above the well-known and registered ports people run daemons on, below Linux's ephemeral range (32768+). */
    public static final int RANGE_START = 18700;
    public static final int RANGE_END = 32700;
    static final int MAX_CLAIM_FILES = 256;
    static final long MAX_CLAIM_BYTES = 16 * 1024;

    private final Path record;
    private final Path sharedDir;
    private final String user;
    private final IntPredicate bindable;

    /**
     * @param record    this user's own record, e.g. {@code <state dir>/ports.properties}
     * @param sharedDir every user's published claims, e.g. {@code /var/tmp/terok-ports}
     * @param user      this user's name (the published file's name)
     */
    public PortRegistry(Path record, Path sharedDir, String user) {
        this(record, sharedDir, user, PortRegistry::bindable);
    }

    PortRegistry(Path record, Path sharedDir, String user, IntPredicate bindable) {
        this.record = record;
        this.sharedDir = sharedDir;
        this.user = user;
        this.bindable = bindable;
    }

    /** This user's registry: the record in terok's state directory, the claims in {@link #sharedDir}. */
    public static PortRegistry forUser(TerokPaths paths, Map<String, String> env) {
        return new PortRegistry(paths.stateDir().resolve("ports.properties"), sharedDir(env), System.getProperty("user.name"));
    }

    /** The default shared directory, or {@code TEROK_PORT_REGISTRY_DIR}. */
    public static Path sharedDir(Map<String, String> env) {
        String dir = env.get("TEROK_PORT_REGISTRY_DIR");
        return dir == null || dir.isBlank() ? Path.of("/var/tmp/terok-ports") : Path.of(dir);
    }

    public Path record() {
        return record;
    }

    /** The port recorded for {@code listener}, or 0 when none is. */
    public int recorded(String listener) {
        return parse(readRecord().getProperty(listener));
    }

    /**
     * The port of {@code listener}: the recorded one, else {@code preferred} when no other user claims it and it is
     * free, else the first such port of the range; recorded and published before it is answered.
     */
    public int claim(String listener, int preferred) {
        try {
            Files.createDirectories(record.getParent());
            try (FileChannel ch = FileChannel.open(record.resolveSibling(record.getFileName() + ".lock"),
                    StandardOpenOption.CREATE, StandardOpenOption.WRITE); FileLock lock = ch.lock()) {
                Properties mine = readRecord();
                int port = parse(mine.getProperty(listener));
                if (port == 0) {
                    port = pick(preferred, mine);
                    mine.setProperty(listener, Integer.toString(port));
                    PrivateFiles.write(record, format(mine));
                }
                publish(mine);
                return port;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot record terok's ports in " + record + ": " + e.getMessage(), e);
        }
    }

    /**
     * Forgets {@code listener}'s port (recorded and published), so another user may have it; true when one was
     * recorded. For an installation that goes away ({@code terok uninstall}): its units named the port, nothing else does.
     */
    public boolean release(String listener) {
        if (!Files.isRegularFile(record)) {
            return false;
        }
        try (FileChannel ch = FileChannel.open(record.resolveSibling(record.getFileName() + ".lock"),
                StandardOpenOption.CREATE, StandardOpenOption.WRITE); FileLock lock = ch.lock()) {
            Properties mine = readRecord();
            if (mine.remove(listener) == null) {
                return false;
            }
            PrivateFiles.write(record, format(mine));
            publish(mine);
            return true;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot record terok's ports in " + record + ": " + e.getMessage(), e);
        }
    }

    private int pick(int preferred, Properties mine) {
        Set<Integer> taken = othersClaims();
        for (Object v : mine.values()) {
            taken.add(parse((String) v));
        }
        if (preferred > 0 && !taken.contains(preferred) && bindable.test(preferred)) {
            return preferred;
        }
        for (int p = RANGE_START; p <= RANGE_END; p++) {
            if (!taken.contains(p) && bindable.test(p)) {
                return p;
            }
        }
        throw new IllegalStateException("no free loopback port in " + RANGE_START + "-" + RANGE_END
                + " that no other user of this host claims (" + sharedDir + ")");
    }

    /** Every port another user published. Unreadable, oversized or surplus files are passed over. */
    Set<Integer> othersClaims() {
        Set<Integer> ports = new HashSet<>();
        if (!Files.isDirectory(sharedDir, LinkOption.NOFOLLOW_LINKS)) {
            return ports;
        }
        int files = 0;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(sharedDir, "*.ports")) {
            for (Path f : ds) {
                if (f.getFileName().toString().equals(user + ".ports")) {
                    continue;
                }
                if (++files > MAX_CLAIM_FILES) {
                    break;
                }
                try {
                    if (!Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS) || Files.size(f) > MAX_CLAIM_BYTES) {
                        continue;
                    }
                    Properties p = new Properties();
                    p.load(new StringReader(Files.readString(f, StandardCharsets.UTF_8)));
                    p.values().forEach(v -> ports.add(parse((String) v)));
                } catch (IOException | IllegalArgumentException e) {
                    // one unreadable claim file must not stop this user from starting
                }
            }
        } catch (IOException e) {
            return ports;
        }
        ports.remove(0);
        return ports;
    }

    /** Best effort: the shared directory is created world-writable and sticky; a failure only skips publishing. */
    private void publish(Properties mine) {
        try {
            if (!Files.exists(sharedDir, LinkOption.NOFOLLOW_LINKS)) {
                try {
                    Files.createDirectory(sharedDir);
                    // Sticky and world-writable like /tmp, so that every user may publish but none may replace another's file.
                    HostProcess.of("chmod", "1777", sharedDir.toString()).timeout(Duration.ofSeconds(5)).run();
                } catch (java.nio.file.FileAlreadyExistsException raced) {
                    // another user created it meanwhile
                }
            }
            if (!Files.isDirectory(sharedDir, LinkOption.NOFOLLOW_LINKS)) {
                return;
            }
            Path mineFile = sharedDir.resolve(user + ".ports");
            Path tmp = Files.createTempFile(sharedDir, "." + user + "-", ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")));
            try {
                Files.writeString(tmp, format(mine));
                Files.move(tmp, mineFile, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException | SecurityException e) {
            // advisory only: the bind test still keeps two users off one port while both run
        }
    }

    private Properties readRecord() {
        Properties p = new Properties();
        if (Files.isRegularFile(record)) {
            try {
                p.load(new StringReader(Files.readString(record, StandardCharsets.UTF_8)));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + record + ": " + e.getMessage(), e);
            }
        }
        return p;
    }

    private static String format(Properties p) {
        StringBuilder sb = new StringBuilder("# terok's loopback ports for this user (listener=port); "
                + "delete a line to have a new port picked at the next start\n");
        new TreeMap<>(p).forEach((k, v) -> sb.append(k).append('=').append(v).append('\n'));
        return sb.toString();
    }

    private static int parse(String v) {
        if (v == null) {
            return 0;
        }
        try {
            int p = Integer.parseInt(v.trim());
            return p > 0 && p < 65536 ? p : 0;
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** True when nothing listens on 127.0.0.1:{@code port} now (a connection in TIME_WAIT does not count). */
    public static boolean bindable(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true); // as Vert.x binds: a closed connection's TIME_WAIT does not hold the port
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
