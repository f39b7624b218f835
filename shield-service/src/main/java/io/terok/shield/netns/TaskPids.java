package io.terok.shield.netns;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;

/**
 * Finds the running container of a task without asking podman: the OCI hook writes {@code <task dir>/pid} as
 * "PID STARTTIME CONTAINER_ID" at every start (createRuntime) and removes it at poststop. The pid is used only while
 * {@code /proc/PID/stat} still shows the same start time, so a recycled pid is never entered.
 */
public final class TaskPids {
    private TaskPids() {
    }

    public static OptionalInt running(Path taskDir) {
        Path f = taskDir.resolve("pid");
        try {
            if (!Files.isRegularFile(f)) {
                return OptionalInt.empty();
            }
            String[] parts = Files.readString(f, StandardCharsets.US_ASCII).trim().split(" ");
            if (parts.length != 3 || !parts[0].matches("[0-9]{1,9}") || !parts[1].matches("[0-9]{1,20}")) {
                return OptionalInt.empty();
            }
            int pid = Integer.parseInt(parts[0]);
            String start = startTime(pid);
            return pid > 1 && parts[1].equals(start) ? OptionalInt.of(pid) : OptionalInt.empty();
        } catch (IOException e) {
            return OptionalInt.empty();
        }
    }

    /** The container id the hook last loaded the ruleset into ({@code <task dir>/applied}, kept after it exits). */
    public static String lastApplied(Path taskDir) {
        try {
            String id = Files.readString(taskDir.resolve("applied"), StandardCharsets.US_ASCII).strip();
            return id.matches("[0-9a-f]{12,64}") ? id : "";
        } catch (IOException e) {
            return "";
        }
    }

    /** Field 22 of /proc/PID/stat (after the parenthesised command name), or "" when the process is gone. */
    public static String startTime(int pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Integer.toString(pid), "stat"), StandardCharsets.US_ASCII);
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return f[19];
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }
}
