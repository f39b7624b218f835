package io.terok.gate.repo;

import static io.terok.gate.repo.MirrorRefs.UPSTREAM;

import io.terok.gate.repo.Records.Pending;
import io.terok.gate.repo.Records.ProjectMeta;
import io.terok.gate.repo.Records.SyncResult;
import io.terok.gate.repo.Records.Update;
import io.terok.gate.upstream.UpstreamAccess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.api.errors.JGitInternalException;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.transport.FetchResult;
import org.eclipse.jgit.transport.RefSpec;
import org.eclipse.jgit.transport.TagOpt;
import org.jboss.logging.Logger;

/**
 * Brings a project's mirror up to its upstream: fetches the upstream's heads into {@code refs/terok/upstream/},
 * creates new branches and fast-forwards the others, and queues upstream rewrites and deletions in the
 * {@link ReviewQueue} instead of applying them. Branches with gate commits the upstream lacks are left alone.
 */
public class UpstreamSync {
    private static final Logger LOG = Logger.getLogger(UpstreamSync.class);
    private final Projects projects;
    private final UpstreamAccess upstreams;
    private final Backups backups;
    private final Maintenance maintenance;

    public UpstreamSync(Projects projects, UpstreamAccess upstreams, Backups backups, Maintenance maintenance) {
        this.projects = projects;
        this.upstreams = upstreams;
        this.backups = backups;
        this.maintenance = maintenance;
    }

    public SyncResult sync(String project) {
        return projects.locked(project, () -> {
            ProjectMeta meta = projects.meta(project);
            List<Update> applied = new ArrayList<>();
            List<String> notes = new ArrayList<>();
            if (meta.upstreamUrl().isEmpty()) {
                notes.add("project " + project + " has no upstream: nothing to sync");
                return new SyncResult(applied, projects.pending(project), notes);
            }
            try (Repository repo = projects.open(project)) {
                Map<String, ObjectId> before = MirrorRefs.refs(repo, UPSTREAM);
                String defaultBranch = fetch(repo, project, meta.upstreamUrl());
                Map<String, ObjectId> after = MirrorRefs.refs(repo, UPSTREAM);
                Map<String, ObjectId> heads = MirrorRefs.refs(repo, Constants.R_HEADS);
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
                                ReviewQueue.queue(pending, ref, "delete", g, null);
                            }
                            continue;
                        }
                        if (g == null) {
                            if (s == null) {
                                if (MirrorRefs.cas(repo, ref, ObjectId.zeroId(), u, "gate sync: create")) {
                                    applied.add(new Update(ref, "", u.name(), "create"));
                                }
                            } else {
                                notes.add(ref + " was deleted in the gate; upstream still has it (not recreated)");
                            }
                            ReviewQueue.forget(pending, ref);
                        } else if (g.equals(u)) {
                            ReviewQueue.forget(pending, ref);
                        } else if (MirrorRefs.isAncestor(walk, g, u)) {
                            if (MirrorRefs.cas(repo, ref, g, u, "gate sync: fast-forward")) {
                                applied.add(new Update(ref, g.name(), u.name(), "fast-forward"));
                                ReviewQueue.forget(pending, ref);
                            } else {
                                notes.add(ref + " moved during sync (a push); fast-forward left for the next sync");
                            }
                        } else if (s != null && !MirrorRefs.isAncestor(walk, s, u)) {
                            ReviewQueue.queue(pending, ref, "rewrite", g, u);
                        } else {
                            notes.add(ref + " has gate commits not upstream: left as is");
                        }
                    }
                }
                projects.savePending(project, pending);
                followTags(repo, applied, notes);
                alignHead(repo, defaultBranch);
                backups.prune(repo);
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
     * Fetches the upstream's heads and tags into the hidden snapshots (forced, pruned). Over ssh
     * both fetches run with one agent from the vault, closed when they are done.
     */
    private String fetch(Repository repo, String project, String url) {
        try (UpstreamAccess.Session up = upstreams.open(project, url, projects.knownHosts(project), "sync"); Git git = new Git(repo)) {
            try {
                FetchResult r = git.fetch().setRemote(url).setTagOpt(TagOpt.NO_TAGS).setRemoveDeletedRefs(true)
                        .setTransportConfigCallback(up.callback())
                        .setRefSpecs(new RefSpec("+refs/heads/*:" + UPSTREAM + "*")).call();
                git.fetch().setRemote(url).setTagOpt(TagOpt.NO_TAGS).setRemoveDeletedRefs(true)
                        .setTransportConfigCallback(up.callback())
                        .setRefSpecs(new RefSpec("+refs/tags/*:" + MirrorRefs.UPSTREAM_TAGS + "*")).call();
                return defaultBranch(r);
            } catch (GitAPIException | JGitInternalException e) {
                throw up.failure("fetch from", e);
            }
        }
    }

    /**
     * Makes every gate tag the upstream has equal to the upstream's (created, or corrected when it differs): tasks
     * can neither move nor delete a tag, so a difference is the upstream's own change (or a tag a task poisoned before
     * tasks were held to their namespace). Upstream tags under {@link MirrorRefs#TASK_TAGS} are not taken: that
     * namespace is the tasks'. A tag the upstream deleted stays in the gate.
     */
    private static void followTags(Repository repo, List<Update> applied, List<String> notes) throws IOException {
        Map<String, ObjectId> gate = MirrorRefs.refs(repo, Constants.R_TAGS);
        for (Map.Entry<String, ObjectId> t : MirrorRefs.refs(repo, MirrorRefs.UPSTREAM_TAGS).entrySet()) {
            String ref = Constants.R_TAGS + t.getKey();
            if (ref.startsWith(MirrorRefs.TASK_TAGS)) {
                notes.add("upstream tag " + ref + " is in the tasks' namespace " + MirrorRefs.TASK_TAGS + ": not taken");
                continue;
            }
            ObjectId g = gate.get(t.getKey());
            if (t.getValue().equals(g)) {
                continue;
            }
            if (MirrorRefs.cas(repo, ref, g == null ? ObjectId.zeroId() : g, t.getValue(), "gate sync: tag")) {
                applied.add(new Update(ref, g == null ? "" : g.name(), t.getValue().name(), g == null ? "create" : "tag-corrected"));
            } else {
                notes.add(ref + " changed during sync; left for the next sync");
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
}
