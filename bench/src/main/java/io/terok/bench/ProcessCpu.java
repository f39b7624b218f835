package io.terok.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** CPU time a server process has used so far, from {@code /proc/PID/stat} (clock ticks of 10 ms on Linux). */
final class ProcessCpu {
    private ProcessCpu() {
    }

    /** User + system time of all the process's threads, in ms. */
    static double ownMs(long pid) throws IOException {
        String[] f = fields(pid);
        // After the command: state is field 0, utime 11, stime 12, cutime 13, cstime 14.
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10.0;
    }

    /** {@link #ownMs} plus that of the children it reaped (a web server's CGI programs), in ms. */
    static double withChildrenMs(long pid) throws IOException {
        String[] f = fields(pid);
        return ownMs(pid) + (Long.parseLong(f[13]) + Long.parseLong(f[14])) * 10.0;
    }

    /**
     * The CPU time so far of the process's running children (user + system, ms): long-lived helpers such as shield's
     * tcpdump readers, which {@link #withChildrenMs} does not see until they end. A child that ended meanwhile drops
     * out, so compare it over a phase in which the children keep running.
     */
    static double childrenMs(long pid) throws IOException {
        double ms = 0;
        for (long p : pids()) {
            try {
                // After the command: state is field 0, ppid 1.
                if (Long.parseLong(fields(p)[1]) == pid) {
                    ms += ownMs(p);
                }
            } catch (IOException gone) {
                // the process ended while we looked
            }
        }
        return ms;
    }

    /** The pids of every process now (those that end meanwhile may still be listed). */
    static java.util.List<Long> pids() throws IOException {
        try (var dirs = Files.list(Path.of("/proc"))) {
            return dirs.map(d -> d.getFileName().toString()).filter(n -> n.chars().allMatch(Character::isDigit))
                    .map(Long::parseLong).toList();
        }
    }

    private static String[] fields(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        return stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    }
}
