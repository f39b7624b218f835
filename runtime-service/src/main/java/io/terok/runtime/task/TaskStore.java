package io.terok.runtime.task;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.terok.api.v1.Task;
import io.terok.common.Ids;
import io.terok.common.PrivateFiles;
import io.terok.common.ServiceException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * One JSON file per task (the Task message as proto3 JSON) so the record of which container, tokens and
 * policy belong to a task survives service restarts and stays readable by an operator. Writes are atomic
 * (temp file + rename) and private to the owner.
 */
public final class TaskStore {
    private static final Logger LOG = Logger.getLogger(TaskStore.class);
    private final Path dir;

    public TaskStore(Path dir) {
        this.dir = PrivateFiles.directory(dir);
    }

    public Path dir() {
        return dir;
    }

    public synchronized void save(Task task) {
        if (!Ids.isTaskId(task.getId())) {
            throw new IllegalArgumentException("bad task id " + task.getId());
        }
        try {
            PrivateFiles.write(file(task.getId()), JsonFormat.printer().print(task));
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("cannot encode task record " + task.getId(), e);
        }
    }

    public synchronized Optional<Task> get(String id) {
        if (!Ids.isTaskId(id)) {
            return Optional.empty();
        }
        Path f = file(id);
        if (!Files.exists(f)) {
            return Optional.empty();
        }
        try {
            return Optional.of(read(f));
        } catch (InvalidProtocolBufferException e) {
            throw ServiceException.precondition("task record " + f + " is unreadable (" + e.getMessage()
                    + "): fix it or move it away");
        }
    }

    public synchronized List<Task> all() {
        return scan().tasks();
    }

    /** The records that could not be read: the file and why (a corrupt record must not make its task vanish silently). */
    public synchronized List<String> unreadable() {
        return scan().unreadable();
    }

    private record Scan(List<Task> tasks, List<String> unreadable) {
    }

    private Scan scan() {
        List<Task> out = new ArrayList<>();
        List<String> bad = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.json")) {
            for (Path f : ds) {
                try {
                    out.add(read(f));
                } catch (InvalidProtocolBufferException e) {
                    bad.add(f + ": " + e.getMessage());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list task records in " + dir, e);
        }
        out.sort(Comparator.comparing((Task t) -> t.getCreatedAt().getSeconds()).thenComparing(Task::getId));
        return new Scan(out, bad);
    }

    public synchronized void delete(String id) {
        try {
            Files.deleteIfExists(file(id));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete task record " + id, e);
        }
    }

    /** Finds a task by id, unique id prefix, or name. */
    public Task resolve(String ref) {
        if (ref == null || ref.isBlank()) {
            throw ServiceException.notFound("task: must name a task (id, id prefix or name)");
        }
        List<Task> all = all();
        for (Task t : all) {
            if (t.getId().equals(ref) || t.getName().equals(ref)) {
                return t;
            }
        }
        List<Task> byPrefix = all.stream().filter(t -> t.getId().startsWith(ref)).toList();
        if (byPrefix.size() == 1) {
            return byPrefix.get(0);
        }
        if (byPrefix.size() > 1) {
            throw ServiceException.notFound("task: '" + ref + "' matches " + byPrefix.size() + " tasks; give more of the id");
        }
        List<String> bad = unreadable();
        throw ServiceException.notFound("task: no task '" + ref + "' (see `terok ps -a`)" + (bad.isEmpty() ? ""
                : "; " + bad.size() + " task record(s) could not be read, it may be one of them: " + String.join("; ", bad)));
    }

    private Path file(String id) {
        return dir.resolve(id + ".json");
    }

    private static Task read(Path f) throws InvalidProtocolBufferException {
        try {
            Task.Builder b = Task.newBuilder();
            JsonFormat.parser().ignoringUnknownFields().merge(Files.readString(f, StandardCharsets.UTF_8), b);
            Task t = b.build();
            if (!Ids.isTaskId(t.getId()) || !f.getFileName().toString().equals(t.getId() + ".json")) {
                throw new InvalidProtocolBufferException("its id '" + t.getId() + "' does not match its file name");
            }
            return t;
        } catch (InvalidProtocolBufferException e) {
            LOG.warnf("unreadable task record %s: %s", f, e.getMessage());
            throw e;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read task record " + f, e);
        }
    }
}
