package io.terok.gate.repo;

import io.terok.common.Ids;
import io.terok.common.PrivateFiles;
import io.terok.common.ServiceException;
import io.terok.gate.json.JsonFiles;
import io.terok.gate.repo.Records.Pending;
import io.terok.gate.repo.Records.ProjectMeta;
import io.terok.gate.repo.Records.PushRecord;
import io.terok.gate.upstream.UpstreamUrls;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.lib.RepositoryCache;
import org.eclipse.jgit.lib.StoredConfig;
import org.eclipse.jgit.util.FS;

/**
 * The gate's projects on disk: {@code <base>/<project>.git} is a bare repository (the mirror tasks clone from
 * and push to), and {@code <base>/<project>.git/terok/} holds what the gate knows about it: {@code project.json},
 * {@code pending.json} and the append-only {@code pushes.jsonl}. Nothing there is served over git.
 */
public class Projects {
    private final Path base;
    private final ConcurrentHashMap<String, ReentrantLock> locks = new ConcurrentHashMap<>();

    public Projects(Path base) {
        this.base = PrivateFiles.directory(base);
    }

    public Path base() {
        return base;
    }

    public Path path(String project) {
        return base.resolve(Ids.project("project", project) + ".git");
    }

    public boolean exists(String project) {
        return Files.isRegularFile(path(project).resolve("terok").resolve("project.json"));
    }

    public ProjectMeta create(String name, String upstreamUrl) {
        Ids.project("name", name);
        String url = UpstreamUrls.validate("upstream_url", upstreamUrl);
        ReentrantLock lock = lock(name);
        lock.lock();
        try {
            Path dir = path(name);
            if (Files.exists(dir)) {
                throw ServiceException.exists("project " + name + " already exists (" + dir + ")");
            }
            try (Repository repo = RepositoryCache.FileKey.exact(dir.toFile(), FS.DETECTED).open(false)) {
                repo.create(true);
                StoredConfig c = repo.getConfig();
                c.setString("core", null, "logAllRefUpdates", "always");
                c.setBoolean("receive", null, "fsckObjects", true);
                c.setBoolean("uploadpack", null, "allowFilter", true);
                c.setBoolean("uploadpack", null, "allowAnySHA1InWant", false);
                c.save();
            } catch (IOException e) {
                deleteTree(dir);
                throw new UncheckedIOException("cannot create " + dir + ": " + e.getMessage(), e);
            }
            PrivateFiles.directory(dir.resolve("terok"));
            ProjectMeta meta = new ProjectMeta(name, url, "", Instant.now().toString(), "");
            JsonFiles.write(dir.resolve("terok").resolve("project.json"), meta);
            return meta;
        } finally {
            lock.unlock();
        }
    }

    public ProjectMeta meta(String project) {
        if (!exists(project)) {
            throw ServiceException.notFound("project " + project + " does not exist (terok gate create " + project + " URL)");
        }
        return JsonFiles.read(path(project).resolve("terok").resolve("project.json"), ProjectMeta.class, null);
    }

    void saveMeta(ProjectMeta meta) {
        JsonFiles.write(path(meta.name()).resolve("terok").resolve("project.json"), meta);
    }

    public List<ProjectMeta> list() {
        List<ProjectMeta> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(base)) {
            s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".git")).sorted()
                    .map(n -> n.substring(0, n.length() - 4))
                    .filter(n -> Ids.isProject(n) && exists(n))
                    .forEach(n -> out.add(meta(n)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    public boolean delete(String project) {
        ReentrantLock lock = lock(project);
        lock.lock();
        try {
            Path dir = path(project);
            if (!Files.exists(dir)) {
                return false;
            }
            RepositoryCache.close(RepositoryCache.FileKey.exact(dir.toFile(), FS.DETECTED).open(false));
            RepositoryCache.unregister(RepositoryCache.FileKey.exact(dir.toFile(), FS.DETECTED));
            deleteTree(dir);
            return true;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            lock.unlock();
        }
    }

    /** The project's repository, shared through JGit's cache; close it after use (it stays cached). */
    public Repository open(String project) {
        if (!exists(project)) {
            throw ServiceException.notFound("project " + project + " does not exist (terok gate create " + project + " URL)");
        }
        try {
            return RepositoryCache.open(RepositoryCache.FileKey.exact(path(project).toFile(), FS.DETECTED), true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the repository of " + project + ": " + e.getMessage(), e);
        }
    }

    /** Serialises the gate's own changes to one project (sync, apply, restore, forward). Pushes use ref CAS. */
    public ReentrantLock lock(String project) {
        return locks.computeIfAbsent(project, k -> new ReentrantLock());
    }

    /** Runs {@code body} holding the lock of {@code project}, which must exist. */
    public <T> T locked(String project, Supplier<T> body) {
        meta(project);
        ReentrantLock lock = lock(project);
        lock.lock();
        try {
            return body.get();
        } finally {
            lock.unlock();
        }
    }

    /**
     * The project's pinned SSH host keys (an OpenSSH known_hosts file that ssh writes on first use). Inside the
     * project's private {@code terok/} directory: never served over git, deleted with the project.
     */
    public Path knownHosts(String project) {
        return path(project).resolve("terok").resolve("known_hosts");
    }

    /** The pinned host key lines (known_hosts format), none before the first ssh sync. */
    public List<String> pinnedHostKeys(String project) {
        meta(project);
        ReentrantLock lock = lock(project);
        lock.lock();
        try {
            Path f = knownHosts(project);
            return Files.exists(f) ? Files.readAllLines(f, StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank()).toList() : List.of();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the host keys of " + project + ": " + e.getMessage(), e);
        } finally {
            lock.unlock();
        }
    }

    /** Forgets the pinned host keys: the next ssh sync pins the key the server presents then. Returns the lines dropped. */
    public List<String> forgetHostKeys(String project) {
        meta(project);
        ReentrantLock lock = lock(project);
        lock.lock();
        try {
            Path f = knownHosts(project);
            List<String> old = Files.exists(f) ? Files.readAllLines(f, StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank()).toList() : List.of();
            Files.deleteIfExists(f);
            return old;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot forget the host keys of " + project + ": " + e.getMessage(), e);
        } finally {
            lock.unlock();
        }
    }

    public List<Pending> pending(String project) {
        return JsonFiles.readList(path(project).resolve("terok").resolve("pending.json"), Pending.class);
    }

    void savePending(String project, List<Pending> ops) {
        JsonFiles.write(path(project).resolve("terok").resolve("pending.json"), ops);
    }

    public synchronized void recordPush(String project, PushRecord push) {
        try {
            String line = JsonFiles.mapper().writeValueAsString(push) + "\n";
            Path log = path(project).resolve("terok").resolve("pushes.jsonl");
            if (!Files.exists(log)) {
                // An append-only log, so not PrivateFiles' whole-file replace; private from its creation all the same.
                Files.createFile(log, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            }
            Files.writeString(log, line, StandardCharsets.UTF_8, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot record a push to " + project + ": " + e.getMessage(), e);
        }
    }

    public List<PushRecord> pushes(String project) {
        meta(project);
        Path f = path(project).resolve("terok").resolve("pushes.jsonl");
        List<PushRecord> out = new ArrayList<>();
        if (!Files.exists(f)) {
            return out;
        }
        try {
            for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                if (!line.isBlank()) {
                    out.add(JsonFiles.mapper().readValue(line, PushRecord.class));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the push log of " + project + ": " + e.getMessage(), e);
        }
        return out;
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + dir + ": " + e.getMessage(), e);
        }
    }
}
