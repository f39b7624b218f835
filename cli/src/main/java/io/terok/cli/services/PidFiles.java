package io.terok.cli.services;

import io.terok.common.PrivateFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Pid files of the embedded services. A pid is only trusted while {@code /proc/<pid>/cmdline} still names the
 * service's jar: pids are reused, and `terok services down` must never signal somebody else's process.
 */
final class PidFiles {
    private PidFiles() {
    }

    static OptionalLong read(Path pidFile) {
        try {
            return OptionalLong.of(Long.parseLong(Files.readString(pidFile).strip()));
        } catch (IOException | NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    static void write(Path pidFile, long pid) {
        PrivateFiles.write(pidFile, pid + "\n");
    }

    /** True when one of the process's arguments is exactly {@code jar} (absolute, normalized). */
    static boolean runsJar(long pid, Path jar) {
        byte[] raw;
        try {
            raw = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
        } catch (IOException e) {
            return false;
        }
        String want = jar.toAbsolutePath().normalize().toString();
        for (String arg : new String(raw, StandardCharsets.UTF_8).split("\0")) {
            if (arg.equals(want)) {
                return true;
            }
        }
        return false;
    }

    /** The live process behind the pid file if, and only if, it is still the service started from {@code jar}. */
    static Optional<ProcessHandle> ours(Path pidFile, Path jar) {
        OptionalLong pid = read(pidFile);
        if (pid.isEmpty()) {
            return Optional.empty();
        }
        return ProcessHandle.of(pid.getAsLong()).filter(ProcessHandle::isAlive)
                .filter(h -> runsJar(h.pid(), jar));
    }
}
