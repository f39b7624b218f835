package io.terok.gate.repo;

import java.io.IOException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.locks.ReentrantLock;
import org.eclipse.jgit.internal.storage.file.FileRepository;
import org.eclipse.jgit.internal.storage.file.GC;
import org.eclipse.jgit.lib.Repository;
import org.jboss.logging.Logger;

/**
 * Keeps each gate repository cheap to serve. JGit answers a clone of a repository packed with reachability bitmaps
 * by reusing the pack nearly as it is; without bitmaps it first walks every commit and tree (a 5,000-commit clone:
 * about 530 ms of the gate's CPU without, 100 ms with; docs/benchmarks.md). Fetches and pushes add packs without
 * bitmaps, so a repository is repacked (JGit's repack, which writes the bitmaps) once it has no bitmaps or has
 * gathered many packs.
 * <p>
 * The first sync of a project packs in line, so the first clone is already fast; after later syncs and after
 * pushes the check runs on one background thread, one project at a time, under the project's lock (so never at
 * the same time as a sync, an applied operation or a deletion). Pushes and clones carry on meanwhile: the repack
 * writes a new pack before it removes the old ones, and JGit readers move to the new pack. Refs are not packed
 * (a concurrent push could otherwise fail to lock its branch), and unreachable objects are kept for JGit's
 * default two weeks. That is why this calls JGit's {@code GC} class directly rather than the porcelain
 * {@code Git.gc()}, which always packs refs first; the class is JGit-internal API, which the pinned JGit version
 * (gate-service/pom.xml) and {@code MaintenanceTest} keep honest.
 */
public final class Maintenance implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Maintenance.class);
    /** Below this many objects a clone's walk costs milliseconds: not worth a repack. */
    static final long SMALL = 2_000;
    /** More packs than this and every object lookup searches them all. */
    static final long MAX_PACKS = 8;

    private final Projects projects;
    private final long maxObjects;
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "gate-maintenance");
        t.setDaemon(true);
        return t;
    });
    private final Set<String> queued = ConcurrentHashMap.newKeySet();
    private final Set<String> toldTooLarge = ConcurrentHashMap.newKeySet();

    /**
     * @param maxObjects repositories with more objects are not repacked by the service (a repack's memory grows with
     *     the object count, and the service runs with a small heap); the operator runs {@code git gc} there instead
     */
    public Maintenance(Projects projects, long maxObjects) {
        this.projects = projects;
        this.maxObjects = maxObjects;
    }

    /** What a repository looks like to the policy. */
    record Shape(long objects, long packs, long bitmaps, long loose) {
        boolean needsRepack(long maxObjects) {
            if (objects < SMALL || objects > maxObjects) {
                return false;
            }
            return bitmaps == 0 || packs > MAX_PACKS || loose > SMALL;
        }
    }

    static Shape shape(FileRepository repo) throws IOException {
        GC.RepoStatistics s = new GC(repo).getStatistics();
        return new Shape(s.numberOfPackedObjects + s.numberOfLooseObjects, s.numberOfPackFiles, s.numberOfBitmaps,
                s.numberOfLooseObjects);
    }

    /** Queues a check of the project (at most one waits per project); returns at once. */
    public void schedule(String project) {
        if (!queued.add(project)) {
            return;
        }
        try {
            worker.execute(() -> {
                queued.remove(project);
                try {
                    packIfNeeded(project);
                } catch (RuntimeException | Error e) {
                    LOG.warnf("maintenance of %s failed (the repository is served as it is): %s", project, e);
                }
            });
        } catch (RejectedExecutionException e) {
            queued.remove(project); // shutting down
        }
    }

    /** Repacks the project's repository now if the policy says so; true when it did. */
    public boolean packIfNeeded(String project) {
        ReentrantLock lock = projects.lock(project);
        lock.lock();
        try {
            if (!projects.exists(project)) {
                return false; // deleted while queued
            }
            try (Repository r = projects.open(project)) {
                if (!(r instanceof FileRepository repo)) {
                    return false;
                }
                Shape before = shape(repo);
                if (!before.needsRepack(maxObjects)) {
                    if (before.objects() > maxObjects && before.bitmaps() == 0 && toldTooLarge.add(project)) {
                        LOG.infof("%s has %d objects, more than terok.gate.maintenance.max-objects: not repacked by the service"
                                + " (run git gc in `terok gate path %s`)", project, before.objects(), project);
                    }
                    return false;
                }
                long t0 = System.nanoTime();
                GC gc = new GC(repo);
                gc.setPackExpireAgeMillis(0); // the old packs go once the new one is written, as with git repack -d
                gc.repack();
                gc.prune(Set.of());
                Shape after = shape(repo);
                LOG.infof("repacked %s in %d ms: %d objects, %d -> %d packs, bitmaps %d -> %d", project,
                        (System.nanoTime() - t0) / 1_000_000, after.objects(), before.packs(), after.packs(),
                        before.bitmaps(), after.bitmaps());
                return true;
            }
        } catch (IOException | java.text.ParseException e) {
            throw new java.io.UncheckedIOException("repack of " + project + " failed: " + e.getMessage(),
                    e instanceof IOException io ? io : new IOException(e));
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        worker.shutdownNow();
    }
}
