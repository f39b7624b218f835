package io.terok.common.ports;

import io.terok.common.Printable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Who listens on a local TCP port, as far as this user may see: the socket's inode from {@code /proc/net/tcp} and
 * {@code tcp6}, then the process whose {@code /proc/PID/fd} links to that inode. Another user's process has fds this
 * user cannot read; it is then named as such, never guessed.
 */
public final class PortHolder {
    private static final String LISTEN = "0A";

    private final Path proc;

    public PortHolder(Path proc) {
        this.proc = proc;
    }

    public static PortHolder host() {
        return new PortHolder(Path.of("/proc"));
    }

    /** "pid 123 (java -jar …)", "another user's process", or "an unknown process" when no listening socket shows. */
    public String describe(int port) {
        Set<String> inodes = listeningInodes(port);
        if (inodes.isEmpty()) {
            return "an unknown process";
        }
        return owner(inodes).map(pid -> "pid " + pid + " (" + command(proc.resolve(Long.toString(pid))) + ")")
                .orElse("another user's process");
    }

    /** The process listening on {@code port}, when this user may see it. */
    public Optional<Long> pid(int port) {
        Set<String> inodes = listeningInodes(port);
        return inodes.isEmpty() ? Optional.empty() : owner(inodes);
    }

    /** Whether {@code pid} is {@code ancestor} or runs below it (its parent chain in /proc reaches it). */
    public boolean descendsFrom(long pid, long ancestor) {
        long p = pid;
        for (int depth = 0; depth < 64 && p > 1; depth++) {
            if (p == ancestor) {
                return true;
            }
            try {
                // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read after the last ')'
                String stat = Files.readString(proc.resolve(Long.toString(p)).resolve("stat"), StandardCharsets.US_ASCII);
                p = Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[1]);
            } catch (IOException | RuntimeException e) {
                return false;
            }
        }
        return p == ancestor;
    }

    Set<String> listeningInodes(int port) {
        Set<String> inodes = new HashSet<>();
        String hexPort = String.format(Locale.ROOT, "%04X", port);
        for (String table : List.of("net/tcp", "net/tcp6")) {
            List<String> rows;
            try {
                rows = Files.readAllLines(proc.resolve(table), StandardCharsets.US_ASCII);
            } catch (IOException e) {
                continue;
            }
            for (String row : rows.subList(Math.min(1, rows.size()), rows.size())) {
                // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
                String[] f = row.trim().split("\\s+");
                if (f.length < 10) {
                    continue;
                }
                int colon = f[1].lastIndexOf(':');
                if (colon > 0 && f[1].substring(colon + 1).equalsIgnoreCase(hexPort) && LISTEN.equals(f[3])
                        && !"0".equals(f[9])) {
                    inodes.add(f[9]);
                }
            }
        }
        return inodes;
    }

    private Optional<Long> owner(Set<String> inodes) {
        Set<String> links = new HashSet<>();
        inodes.forEach(i -> links.add("socket:[" + i + "]"));
        try (DirectoryStream<Path> pids = Files.newDirectoryStream(proc, p -> p.getFileName().toString().matches("\\d+"))) {
            for (Path pid : pids) {
                try (DirectoryStream<Path> fds = Files.newDirectoryStream(pid.resolve("fd"))) {
                    for (Path fd : fds) {
                        try {
                            if (links.contains(Files.readSymbolicLink(fd).toString())) {
                                return Optional.of(Long.parseLong(pid.getFileName().toString()));
                            }
                        } catch (IOException e) {
                            // the fd closed meanwhile
                        }
                    }
                } catch (IOException | SecurityException e) {
                    // another user's process, or gone
                }
            }
        } catch (IOException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    private static String command(Path pid) {
        try {
            String cmd = new String(Files.readAllBytes(pid.resolve("cmdline")), StandardCharsets.UTF_8).replace('\0', ' ').trim();
            // A command line is whatever its owner chose: sanitised before it reaches a terminal.
            return cmd.isEmpty() ? "?" : Printable.line(cmd, 120);
        } catch (IOException e) {
            return "?";
        }
    }
}
