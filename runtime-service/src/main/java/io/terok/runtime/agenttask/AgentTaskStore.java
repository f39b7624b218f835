package io.terok.runtime.agenttask;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.terok.api.v1.AgentTask;
import io.terok.common.Ids;
import io.terok.common.PrivateFiles;
import io.terok.common.ServiceException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.jboss.logging.Logger;

/**
 * Agent task records, one directory each: {@code <data dir>/runtime/agent-tasks/<task id>/} with {@code task.json}
 * (the AgentTask message as proto3 JSON, written atomically, 0600), {@code output.log} (every run's output, sanitised
 * lines) and {@code config/} (the task's own copy of the agent's configuration, mounted into its container).
 */
public final class AgentTaskStore {
    private static final Logger LOG = Logger.getLogger(AgentTaskStore.class);
    private final Path dir;
    private final Path configRoot;

    /**
     * @param configRoot where each task's agent configuration lives ({@code <configRoot>/<task id>/}): outside terok's
     *                   own directories, which no task may mount
     */
    public AgentTaskStore(Path dir, Path configRoot) {
        this.dir = dir;
        this.configRoot = configRoot;
    }

    /** The task's own copy of its agent's configuration (mounted into its container). */
    public Path config(String id) {
        PrivateFiles.directory(configRoot);
        return configRoot.resolve(Ids.taskId("task_id", id));
    }

    public Path dir(String id) {
        return dir.resolve(Ids.taskId("task_id", id));
    }

    public Path output(String id) {
        return dir(id).resolve("output.log");
    }

    public synchronized void save(AgentTask t) {
        try {
            PrivateFiles.directory(dir);
            PrivateFiles.directory(dir(t.getId()));
            PrivateFiles.write(dir(t.getId()).resolve("task.json"), JsonFormat.printer().print(t));
        } catch (InvalidProtocolBufferException e) {
            throw ServiceException.internal("cannot store agent task " + t.getId(), e);
        }
    }

    /**
     * Saves {@code t} only while its record exists: the end of an agent's run is recorded after its container stopped,
     * which can be after the task was deleted, and must not bring a deleted task back.
     *
     * @return false when the task had been deleted (nothing written)
     */
    public synchronized boolean saveIfPresent(AgentTask t) {
        if (!Files.isRegularFile(dir(t.getId()).resolve("task.json"))) {
            return false;
        }
        save(t);
        return true;
    }

    public synchronized Optional<AgentTask> get(String id) {
        Path f = dir(id).resolve("task.json");
        if (!Files.isRegularFile(f)) {
            return Optional.empty();
        }
        try {
            AgentTask.Builder b = AgentTask.newBuilder();
            JsonFormat.parser().ignoringUnknownFields().merge(Files.readString(f, StandardCharsets.UTF_8), b);
            return Optional.of(b.build());
        } catch (IOException e) {
            LOG.warnf("skipping unreadable agent task record %s: %s", f, e.getMessage());
            return Optional.empty();
        }
    }

    public synchronized List<AgentTask> all() {
        List<AgentTask> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.toList()) {
                String id = p.getFileName().toString();
                if (Ids.isTaskId(id)) {
                    get(id).ifPresent(out::add);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.sort(Comparator.comparing((AgentTask t) -> t.getCreatedAt().getSeconds()).thenComparing(AgentTask::getId));
        return out;
    }

    /** The task named by id, id prefix or name, within {@code project} when given. */
    public AgentTask resolve(String project, String ref) {
        if (ref == null || ref.isEmpty()) {
            throw ServiceException.invalid("task", "must not be empty (a task id, id prefix or name)");
        }
        List<AgentTask> candidates = all().stream()
                .filter(t -> project == null || project.isEmpty() || t.getProject().equals(project))
                .toList();
        List<AgentTask> byName = candidates.stream().filter(t -> t.getName().equals(ref)).toList();
        if (byName.size() == 1) {
            return byName.get(0);
        }
        List<AgentTask> byId = candidates.stream().filter(t -> t.getId().startsWith(ref)).toList();
        if (byId.size() == 1) {
            return byId.get(0);
        }
        if (byId.size() > 1) {
            throw ServiceException.invalid("task", "'" + ref + "' matches " + byId.size() + " tasks; give more of the id");
        }
        throw ServiceException.notFound("no task '" + io.terok.common.Printable.line(ref, 80) + "'"
                + (project == null || project.isEmpty() ? "" : " in project " + project) + " (terok task list)");
    }

    /** The most of a task's kept output that interactive sessions may fill: a flood stops being kept, not the disk. */
    static final long MAX_TRANSCRIPT = 16L * 1024 * 1024;

    /**
     * Appends raw bytes of an interactive session (terminal output as the agent drew it) to the task's kept output,
     * which {@code task logs} shows escaped; nothing more once the output holds {@link #MAX_TRANSCRIPT} bytes.
     *
     * @return false once the limit is reached (the caller stops sending)
     */
    public synchronized boolean appendTranscript(String id, byte[] data, int length) {
        if (!Files.isDirectory(dir(id))) {
            return false; // deleted meanwhile: its directory is gone and is not made again
        }
        try {
            Path out = output(id);
            long size = Files.exists(out) ? Files.size(out) : 0;
            if (size >= MAX_TRANSCRIPT) {
                return false;
            }
            int keep = (int) Math.min(length, MAX_TRANSCRIPT - size);
            try (var w = Files.newOutputStream(out, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
                w.write(data, 0, keep);
                if (keep < length) {
                    w.write("\n[terok: the rest of this session's output was not kept: the task's output reached 16 MiB]\n"
                            .getBytes(StandardCharsets.UTF_8));
                }
            }
            return keep == length;
        } catch (IOException e) {
            LOG.warnf("cannot keep the session output of %s: %s", id, e.getMessage());
            return false;
        }
    }

    public synchronized void appendOutput(String id, String line) {
        try {
            Files.writeString(output(id), line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            LOG.warnf("cannot keep output of %s: %s", id, e.getMessage());
        }
    }

    public synchronized void delete(String id) {
        deleteTree(configRoot.resolve(Ids.taskId("task_id", id)));
        deleteTree(dir(id));
    }

    private static void deleteTree(Path d) {
        if (!Files.exists(d)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(d)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + d + ": " + e.getMessage(), e);
        }
    }
}
