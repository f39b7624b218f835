package io.terok.gate.repo;

import io.terok.common.Ids;
import io.terok.common.Printable;
import io.terok.common.ServiceException;
import io.terok.gate.repo.Records.Backup;
import io.terok.gate.repo.Records.LogEntry;
import io.terok.gate.repo.Records.Pending;
import io.terok.gate.repo.Records.ProjectMeta;
import io.terok.gate.repo.Records.SyncResult;
import io.terok.gate.repo.Records.Update;
import io.terok.gate.upstream.UpstreamAccess;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.diff.DiffFormatter;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.NullProgressMonitor;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.revwalk.filter.RevFilter;
import org.eclipse.jgit.transport.FetchResult;
import org.eclipse.jgit.transport.PushResult;
import org.eclipse.jgit.transport.RefSpec;
import org.eclipse.jgit.transport.RemoteRefUpdate;
import org.eclipse.jgit.transport.TagOpt;
import org.eclipse.jgit.transport.Transport;
import org.eclipse.jgit.transport.URIish;
import org.eclipse.jgit.treewalk.AbstractTreeIterator;
import org.eclipse.jgit.treewalk.CanonicalTreeParser;
import org.eclipse.jgit.treewalk.EmptyTreeIterator;
import org.jboss.logging.Logger;

/**
 * The safe ref model of a project's mirror.
 * <ul>
 * <li>{@code refs/heads/*}: what tasks see and push to. Sync only creates branches and fast-forwards them.</li>
 * <li>{@code refs/terok/upstream/*}: the upstream's heads as of the last fetch (forced and pruned). Hidden from
 * tasks, who can neither see nor write {@code refs/terok/}.</li>
 * <li>{@code refs/terok/backup/<branch>/<yyyyMMddTHHmmssZ>-<sha12>}: old tips saved before a branch was rewritten
 * or deleted (by a push, an applied pending operation or a restore).</li>
 * </ul>
 * An upstream rewrite or deletion of a branch becomes a pending operation; branches that exist only in the gate
 * are never touched.
 */
public class Mirror {
    private static final Logger LOG = Logger.getLogger(Mirror.class);
    public static final String UPSTREAM = "refs/terok/upstream/";
    public static final String BACKUP = "refs/terok/backup/";
    public static final String HIDDEN = "refs/terok/";
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
    private static final Pattern BACKUP_REF = Pattern.compile("refs/terok/backup/(.+)/(\\d{8}T\\d{6}Z)-([0-9a-f]{12})(-\\d+)?");
    private static final int MAX_LOG = 1000;
    private static final int MAX_PATCH = 3 * 1024 * 1024;

    private final Projects projects;
    private final Duration backupRetention;
    private final UpstreamAccess upstreams;
    private final Maintenance maintenance;

    public Mirror(Projects projects, Duration backupRetention, UpstreamAccess upstreams, Maintenance maintenance) {
        this.projects = projects;
        this.backupRetention = backupRetention;
        this.upstreams = upstreams;
        this.maintenance = maintenance;
    }

    // ------------------------------------------------------------------------------------------ sync

    public SyncResult sync(String project) {
        return locked(project, () -> {
            ProjectMeta meta = projects.meta(project);
            List<Update> applied = new ArrayList<>();
            List<String> notes = new ArrayList<>();
            if (meta.upstreamUrl().isEmpty()) {
                notes.add("project " + project + " has no upstream: nothing to sync");
                return new SyncResult(applied, projects.pending(project), notes);
            }
            try (Repository repo = projects.open(project)) {
                Map<String, ObjectId> before = refs(repo, UPSTREAM);
                String defaultBranch = fetch(repo, project, meta.upstreamUrl());
                Map<String, ObjectId> after = refs(repo, UPSTREAM);
                Map<String, ObjectId> heads = refs(repo, Constants.R_HEADS);
                List<Pending> pending = new ArrayList<>(projects.pending(project));
                TreeSet<String> branches = new TreeSet<>(before.keySet());
                branches.addAll(after.keySet());
                try (RevWalk walk = new RevWalk(repo)) {
                    for (String b : branches) {
                        ObjectId s = before.get(b);
                        ObjectId u = after.get(b);
                        ObjectId g = heads.get(b);
                        String ref = Constants.R_HEADS + b;
                        if (u == null) {
                            if (g != null) {
                                queue(pending, ref, "delete", g, null);
                            }
                            continue;
                        }
                        if (g == null) {
                            if (s == null) {
                                if (cas(repo, ref, ObjectId.zeroId(), u, "gate sync: create")) {
                                    applied.add(new Update(ref, "", u.name(), "create"));
                                }
                            } else {
                                notes.add(ref + " was deleted in the gate; upstream still has it (not recreated)");
                            }
                            dropPendingFor(pending, ref);
                        } else if (g.equals(u)) {
                            dropPendingFor(pending, ref);
                        } else if (isAncestor(walk, g, u)) {
                            if (cas(repo, ref, g, u, "gate sync: fast-forward")) {
                                applied.add(new Update(ref, g.name(), u.name(), "fast-forward"));
                                dropPendingFor(pending, ref);
                            } else {
                                notes.add(ref + " moved during sync (a push); fast-forward left for the next sync");
                            }
                        } else if (s != null && !isAncestor(walk, s, u)) {
                            queue(pending, ref, "rewrite", g, u);
                        } else {
                            notes.add(ref + " has gate commits not upstream: left as is");
                        }
                    }
                }
                projects.savePending(project, pending);
                alignHead(repo, defaultBranch);
                pruneBackups(repo);
                projects.saveMeta(meta.synced(defaultBranch == null ? meta.defaultBranch() : defaultBranch, Instant.now().toString()));
                List<Pending> open = pending.stream().filter(p -> p.status().equals("pending")).toList();
                LOG.infof("synced %s from %s: %d applied, %d pending", project, meta.upstreamUrl(), applied.size(), open.size());
                packForServing(project, meta.lastSyncedAt().isEmpty());
                return new SyncResult(applied, open, notes);
            } catch (IOException e) {
                throw new UncheckedIOException("sync of " + project + " failed: " + e.getMessage(), e);
            }
        });
    }

    /**
     * The first sync (the import) repacks in line, so that the first task's clone is already served from one pack
     * with bitmaps; later syncs leave it to the background. A failed repack only costs speed: it is logged.
     */
    private void packForServing(String project, boolean firstSync) {
        if (!firstSync) {
            maintenance.schedule(project);
            return;
        }
        try {
            maintenance.packIfNeeded(project);
        } catch (RuntimeException e) {
            LOG.warnf("%s is served without repacking: %s", project, e.getMessage());
        }
    }

    /**
     * Fetches the upstream's heads into the hidden snapshot (forced, pruned) and its tags (never clobbered). Over ssh
     * both fetches run with one agent from the vault, closed when they are done.
     */
    private String fetch(Repository repo, String project, String url) {
        try (UpstreamAccess.Session up = upstreams.open(project, url, projects.knownHosts(project), "sync"); Git git = new Git(repo)) {
            try {
                FetchResult r = git.fetch().setRemote(url).setTagOpt(TagOpt.NO_TAGS).setRemoveDeletedRefs(true)
                        .setTransportConfigCallback(up.callback())
                        .setRefSpecs(new RefSpec("+refs/heads/*:" + UPSTREAM + "*")).call();
                git.fetch().setRemote(url).setTagOpt(TagOpt.NO_TAGS).setRemoveDeletedRefs(false)
                        .setTransportConfigCallback(up.callback())
                        .setRefSpecs(new RefSpec("refs/tags/*:refs/tags/*")).call();
                return defaultBranch(r);
            } catch (GitAPIException | org.eclipse.jgit.api.errors.JGitInternalException e) {
                throw up.failure("fetch from", e);
            }
        }
    }

    private static String defaultBranch(FetchResult r) {
        Ref head = r.getAdvertisedRef(Constants.HEAD);
        if (head != null && head.isSymbolic() && head.getTarget().getName().startsWith(Constants.R_HEADS)) {
            return head.getTarget().getName().substring(Constants.R_HEADS.length());
        }
        if (head != null && head.getObjectId() != null) {
            for (Ref ref : r.getAdvertisedRefs()) {
                if (ref.getName().startsWith(Constants.R_HEADS) && head.getObjectId().equals(ref.getObjectId())) {
                    return ref.getName().substring(Constants.R_HEADS.length());
                }
            }
        }
        return null;
    }

    private static void queue(List<Pending> pending, String ref, String kind, ObjectId oldId, ObjectId newId) {
        String newName = newId == null ? "" : newId.name();
        for (Pending p : pending) {
            if (p.ref().equals(ref) && p.kind().equals(kind) && p.oldId().equals(oldId.name()) && p.newId().equals(newName)) {
                return;
            }
        }
        dropPendingFor(pending, ref);
        pending.add(new Pending(UUID.randomUUID().toString().substring(0, 8), ref, kind, oldId.name(), newName,
                Instant.now().toString(), "pending"));
    }

    private static void dropPendingFor(List<Pending> pending, String ref) {
        pending.removeIf(p -> p.ref().equals(ref));
    }

    private static void alignHead(Repository repo, String defaultBranch) throws IOException {
        if (defaultBranch == null || repo.exactRef(Constants.R_HEADS + defaultBranch) == null) {
            return;
        }
        Ref head = repo.exactRef(Constants.HEAD);
        if (head == null || head.getObjectId() == null || !head.getTarget().getName().equals(Constants.R_HEADS + defaultBranch)) {
            RefUpdate u = repo.updateRef(Constants.HEAD);
            u.disableRefLog();
            u.link(Constants.R_HEADS + defaultBranch);
        }
    }

    // ------------------------------------------------------------------------------------------ pending

    public List<Pending> pending(String project) {
        projects.meta(project);
        return projects.pending(project);
    }

    public Pending apply(String project, String id) {
        return locked(project, () -> {
            List<Pending> ops = new ArrayList<>(projects.pending(project));
            Pending op = find(ops, project, id);
            try (Repository repo = projects.open(project)) {
                Ref cur = repo.exactRef(op.ref());
                ObjectId expected = ObjectId.fromString(op.oldId());
                if (cur == null || !expected.equals(cur.getObjectId())) {
                    throw ServiceException.precondition(Printable.line(op.ref()) + " moved since operation " + id + " was queued (now "
                            + (cur == null ? "deleted" : cur.getObjectId().name()) + "); sync again");
                }
                backup(repo, branchOf(op.ref()), expected);
                boolean ok = op.kind().equals("delete") ? delete(repo, op.ref(), expected)
                        : cas(repo, op.ref(), expected, ObjectId.fromString(op.newId()), "gate apply " + id);
                if (!ok) {
                    throw ServiceException.precondition(Printable.line(op.ref()) + " changed while applying " + id + "; sync again");
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            ops.remove(op);
            projects.savePending(project, ops);
            LOG.infof("applied pending %s of %s: %s %s", id, project, op.kind(), Printable.line(op.ref()));
            return op.withStatus("applied");
        });
    }

    public Pending drop(String project, String id) {
        return locked(project, () -> {
            List<Pending> ops = new ArrayList<>(projects.pending(project));
            Pending op = find(ops, project, id);
            ops.remove(op);
            projects.savePending(project, ops);
            LOG.infof("dropped pending %s of %s: %s %s", id, project, op.kind(), Printable.line(op.ref()));
            return op.withStatus("dropped");
        });
    }

    private static Pending find(List<Pending> ops, String project, String id) {
        return ops.stream().filter(p -> p.id().equals(id)).findFirst()
                .orElseThrow(() -> ServiceException.notFound("no pending operation " + Printable.line(id) + " in project " + project));
    }

    // ------------------------------------------------------------------------------------------ backups

    /** Saves {@code tip} as a backup of {@code branch}; returns the backup ref. Used by pushes too. */
    public static String backup(Repository repo, String branch, ObjectId tip) throws IOException {
        String base = BACKUP + branch + "/" + STAMP.format(Instant.now()) + "-" + tip.name().substring(0, 12);
        String name = base;
        for (int i = 1; repo.exactRef(name) != null; i++) {
            if (tip.equals(repo.exactRef(name).getObjectId())) {
                return name;
            }
            name = base + "-" + i;
        }
        if (!cas(repo, name, ObjectId.zeroId(), tip, "gate backup of " + branch)) {
            throw new IOException("cannot write backup ref " + name);
        }
        return name;
    }

    public List<Backup> backups(String project) {
        projects.meta(project);
        try (Repository repo = projects.open(project)) {
            List<Backup> out = new ArrayList<>();
            for (Ref r : repo.getRefDatabase().getRefsByPrefix(BACKUP)) {
                Matcher m = BACKUP_REF.matcher(r.getName());
                if (m.matches()) {
                    out.add(new Backup(r.getName(), m.group(1), r.getObjectId().name(), stampTime(m.group(2)).toString()));
                }
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Update restore(String project, String backupRef) {
        return locked(project, () -> {
            Matcher m = BACKUP_REF.matcher(backupRef == null ? "" : backupRef);
            if (!m.matches()) {
                throw ServiceException.invalid("backup_ref", "'" + Printable.line(backupRef) + "' is not a backup ref (" + BACKUP + "<branch>/<time>-<sha>)");
            }
            try (Repository repo = projects.open(project)) {
                Ref b = repo.exactRef(backupRef);
                if (b == null) {
                    throw ServiceException.notFound("no backup " + Printable.line(backupRef) + " in project " + project);
                }
                String ref = Constants.R_HEADS + m.group(1);
                Ref cur = repo.exactRef(ref);
                ObjectId old = cur == null ? ObjectId.zeroId() : cur.getObjectId();
                if (cur != null && !old.equals(b.getObjectId())) {
                    backup(repo, m.group(1), old);
                }
                if (!cas(repo, ref, old, b.getObjectId(), "gate restore " + backupRef)) {
                    throw ServiceException.precondition(Printable.line(ref) + " moved while restoring; try again");
                }
                LOG.infof("restored %s of %s from %s", Printable.line(ref), project, Printable.line(backupRef));
                return new Update(ref, cur == null ? "" : old.name(), b.getObjectId().name(), "restore");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    private void pruneBackups(Repository repo) throws IOException {
        if (backupRetention.isZero() || backupRetention.isNegative()) {
            return;
        }
        Instant cutoff = Instant.now().minus(backupRetention);
        for (Ref r : repo.getRefDatabase().getRefsByPrefix(BACKUP)) {
            Matcher m = BACKUP_REF.matcher(r.getName());
            if (m.matches() && stampTime(m.group(2)).isBefore(cutoff)) {
                delete(repo, r.getName(), r.getObjectId());
            }
        }
    }

    private static Instant stampTime(String stamp) {
        return STAMP.parse(stamp, Instant::from);
    }

    // ------------------------------------------------------------------------------------------ review

    public List<LogEntry> log(String project, String branch, String against) {
        String b = Ids.branch("branch", branch);
        String a = against == null || against.isEmpty() ? b : Ids.branch("against", against);
        try (Repository repo = projects.open(project); RevWalk walk = new RevWalk(repo)) {
            ObjectId tip = head(repo, project, b);
            walk.markStart(walk.parseCommit(tip));
            Ref up = repo.exactRef(UPSTREAM + a);
            if (up != null) {
                walk.markUninteresting(walk.parseCommit(up.getObjectId()));
            }
            List<LogEntry> out = new ArrayList<>();
            for (RevCommit c : walk) {
                out.add(new LogEntry(c.name(), c.getAuthorIdent().getName() + " <" + c.getAuthorIdent().getEmailAddress() + ">",
                        c.getAuthorIdent().getWhenAsInstant().toString(), c.getShortMessage()));
                if (out.size() >= MAX_LOG) {
                    break;
                }
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The patch of the branch against its merge base with the upstream branch (what `git diff up...branch` shows). */
    public String diff(String project, String branch, String against) {
        String b = Ids.branch("branch", branch);
        String a = against == null || against.isEmpty() ? b : Ids.branch("against", against);
        try (Repository repo = projects.open(project); RevWalk walk = new RevWalk(repo)) {
            RevCommit tip = walk.parseCommit(head(repo, project, b));
            Ref up = repo.exactRef(UPSTREAM + a);
            RevCommit base = null;
            if (up != null) {
                walk.setRevFilter(RevFilter.MERGE_BASE);
                walk.markStart(tip);
                walk.markStart(walk.parseCommit(up.getObjectId()));
                base = walk.next();
                walk.reset();
                walk.setRevFilter(RevFilter.ALL);
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (DiffFormatter f = new DiffFormatter(out); var reader = repo.newObjectReader()) {
                f.setRepository(repo);
                AbstractTreeIterator from = base == null ? new EmptyTreeIterator() : new CanonicalTreeParser(null, reader, walk.parseTree(base.getTree()));
                f.format(from, new CanonicalTreeParser(null, reader, walk.parseTree(tip.getTree())));
            }
            if (out.size() > MAX_PATCH) {
                return new String(out.toByteArray(), 0, MAX_PATCH, StandardCharsets.UTF_8)
                        + "\n[terok gate: patch truncated at " + MAX_PATCH + " bytes; use `terok gate path` and git for the rest]\n";
            }
            return out.toString(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ------------------------------------------------------------------------------------------ forward

    /**
     * Pushes the gate's branch to the upstream branch {@code to}, after syncing. Refuses when the upstream has
     * commits the branch lacks (the push would lose them); the push itself is a compare-and-swap against the
     * upstream tip just fetched, so an upstream that moves in between is refused too.
     */
    public Update forward(String project, String branch, String to) {
        String b = Ids.branch("branch", branch);
        String t = to == null || to.isEmpty() ? b : Ids.branch("to", to);
        ProjectMeta meta = projects.meta(project);
        if (meta.upstreamUrl().isEmpty()) {
            throw ServiceException.precondition("project " + project + " has no upstream to forward to");
        }
        sync(project);
        return locked(project, () -> {
            try (Repository repo = projects.open(project); RevWalk walk = new RevWalk(repo)) {
                ObjectId tip = head(repo, project, b);
                Ref up = repo.exactRef(UPSTREAM + t);
                ObjectId upId = up == null ? ObjectId.zeroId() : up.getObjectId();
                if (up != null && upId.equals(tip)) {
                    return new Update(Constants.R_HEADS + t, upId.name(), tip.name(), "up-to-date");
                }
                if (up != null && !isAncestor(walk, upId, tip)) {
                    walk.reset();
                    walk.markStart(walk.parseCommit(upId));
                    walk.markUninteresting(walk.parseCommit(tip));
                    List<String> lost = new ArrayList<>();
                    for (RevCommit c : walk) {
                        lost.add(c.abbreviate(12).name() + " " + Printable.line(c.getShortMessage()));
                    }
                    String pb = Printable.line(b);
                    String pt = Printable.line(t);
                    throw ServiceException.precondition("refusing to forward " + pb + " to upstream " + pt + ": upstream has "
                            + lost.size() + " commit(s) that " + pb + " does not contain (" + String.join("; ", lost.subList(0, Math.min(3, lost.size())))
                            + "); forwarding would lose them. Merge or rebase " + pb + " onto upstream " + pt + " first");
                }
                try (UpstreamAccess.Session access = upstreams.open(project, meta.upstreamUrl(), projects.knownHosts(project), "forward");
                        Transport tr = Transport.open(repo, new URIish(meta.upstreamUrl()))) {
                    access.callback().configure(tr);
                    RemoteRefUpdate u = new RemoteRefUpdate(repo, Constants.R_HEADS + b, tip, Constants.R_HEADS + t, false, null, upId);
                    PushResult r;
                    try {
                        r = tr.push(NullProgressMonitor.INSTANCE, List.of(u));
                    } catch (org.eclipse.jgit.errors.TransportException e) {
                        throw access.failure("push to", e);
                    }
                    RemoteRefUpdate.Status st = r.getRemoteUpdate(Constants.R_HEADS + t).getStatus();
                    if (st != RemoteRefUpdate.Status.OK && st != RemoteRefUpdate.Status.UP_TO_DATE) {
                        String msg = r.getRemoteUpdate(Constants.R_HEADS + t).getMessage();
                        throw ServiceException.precondition("upstream refused " + Printable.line(t) + ": " + st + (msg == null ? "" : " (" + Printable.line(msg) + ")"));
                    }
                }
                cas(repo, UPSTREAM + t, upId, tip, "gate forward");
                LOG.infof("forwarded %s/%s to upstream %s: %s..%s", project, Printable.line(b), Printable.line(t), upId.name(), tip.name());
                return new Update(Constants.R_HEADS + t, up == null ? "" : upId.name(), tip.name(), "forward");
            } catch (URISyntaxException | org.eclipse.jgit.errors.TransportException e) {
                throw ServiceException.precondition("cannot push to upstream " + meta.upstreamUrl() + ": " + e.getMessage());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    // ------------------------------------------------------------------------------------------ helpers

    private static ObjectId head(Repository repo, String project, String branch) throws IOException {
        Ref r = repo.exactRef(Constants.R_HEADS + branch);
        if (r == null) {
            throw ServiceException.notFound("project " + project + " has no branch " + Printable.line(branch));
        }
        return r.getObjectId();
    }

    private <T> T locked(String project, Supplier<T> body) {
        projects.meta(project);
        ReentrantLock lock = projects.lock(project);
        lock.lock();
        try {
            return body.get();
        } finally {
            lock.unlock();
        }
    }

    static Map<String, ObjectId> refs(Repository repo, String prefix) throws IOException {
        Map<String, ObjectId> out = new TreeMap<>();
        for (Ref r : repo.getRefDatabase().getRefsByPrefix(prefix)) {
            if (!r.isSymbolic() && r.getObjectId() != null) {
                out.put(r.getName().substring(prefix.length()), r.getObjectId());
            }
        }
        return out;
    }

    static boolean isAncestor(RevWalk walk, ObjectId ancestor, ObjectId tip) throws IOException {
        walk.reset();
        return walk.isMergedInto(walk.parseCommit(ancestor), walk.parseCommit(tip));
    }

    static boolean cas(Repository repo, String ref, ObjectId expected, ObjectId next, String why) throws IOException {
        RefUpdate u = repo.updateRef(ref);
        u.setExpectedOldObjectId(expected);
        u.setNewObjectId(next);
        u.setForceUpdate(true);
        u.setRefLogMessage(why, false);
        RefUpdate.Result r = u.update();
        return r == RefUpdate.Result.NEW || r == RefUpdate.Result.FORCED || r == RefUpdate.Result.FAST_FORWARD
                || r == RefUpdate.Result.NO_CHANGE;
    }

    static boolean delete(Repository repo, String ref, ObjectId expected) throws IOException {
        RefUpdate u = repo.updateRef(ref);
        u.setExpectedOldObjectId(expected);
        u.setForceUpdate(true);
        RefUpdate.Result r = u.delete();
        return r == RefUpdate.Result.FORCED || r == RefUpdate.Result.NO_CHANGE;
    }

    static String branchOf(String ref) {
        return ref.startsWith(Constants.R_HEADS) ? ref.substring(Constants.R_HEADS.length()) : ref;
    }
}
