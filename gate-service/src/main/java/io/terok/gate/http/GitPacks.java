package io.terok.gate.http;

import io.terok.common.Printable;
import io.terok.gate.repo.Backups;
import io.terok.gate.repo.Maintenance;
import io.terok.gate.repo.MirrorRefs;
import io.terok.gate.repo.Projects;
import io.terok.gate.repo.Records.PushRecord;
import io.terok.gate.repo.Records.Update;
import io.terok.gate.token.TokenStore.Grant;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.jgit.http.server.resolver.DefaultUploadPackFactory;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.transport.ReceiveCommand;
import org.eclipse.jgit.transport.ReceivePack;
import org.eclipse.jgit.transport.RefFilter;
import org.eclipse.jgit.transport.UploadPack;
import org.eclipse.jgit.transport.resolver.ReceivePackFactory;
import org.eclipse.jgit.transport.resolver.ServiceNotAuthorizedException;
import org.eclipse.jgit.transport.resolver.ServiceNotEnabledException;
import org.eclipse.jgit.transport.resolver.UploadPackFactory;
import org.jboss.logging.Logger;

/**
 * How JGit serves a gate repository to a task: {@code refs/terok/} is neither advertised nor writable, only
 * {@code refs/heads/*} and {@code refs/tags/*} can be pushed, a push that deletes or rewrites a branch first
 * saves the old tip as a backup ref, and every push is recorded with its task. No hook or config from the
 * repository content is involved: JGit runs no hook scripts, and the service writes the repository config.
 */
public class GitPacks {
    private static final Logger LOG = Logger.getLogger(GitPacks.class);
    static final String GRANT = "io.terok.gate.grant";
    private static final RefFilter HIDE = refs -> {
        Map<String, Ref> out = new LinkedHashMap<>();
        refs.forEach((k, v) -> {
            if (!k.startsWith(MirrorRefs.HIDDEN)) {
                out.put(k, v);
            }
        });
        return out;
    };

    private final DefaultUploadPackFactory uploads = new DefaultUploadPackFactory();
    private final Projects projects;
    private final Maintenance maintenance;

    public GitPacks(Projects projects, Maintenance maintenance) {
        this.projects = projects;
        this.maintenance = maintenance;
    }

    public UploadPackFactory<HttpServletRequest> uploads() {
        return this::upload;
    }

    public ReceivePackFactory<HttpServletRequest> receives() {
        return this::receive;
    }

    private UploadPack upload(HttpServletRequest req, Repository db) throws ServiceNotEnabledException, ServiceNotAuthorizedException {
        grant(req);
        // JGit's own factory keeps protocol v2 (it passes the Git-Protocol header on); only the refs are narrowed.
        UploadPack up = uploads.create(req, db);
        up.setRefFilter(HIDE);
        return up;
    }

    private ReceivePack receive(HttpServletRequest req, Repository db) throws ServiceNotEnabledException, ServiceNotAuthorizedException {
        Grant grant = grant(req);
        // fsck on every push whatever the repository's config says; what it notes spares the connectivity walk
        // when the pack is self-contained (PushConnectivity).
        PackReferences references = new PackReferences();
        ReceivePack rp = new ReceivePack(db) {
            {
                connectivityChecker = new PushConnectivity(references, connectivityChecker);
            }
        };
        rp.setObjectChecker(references);
        rp.setRefFilter(HIDE);
        rp.setAllowCreates(true);
        rp.setAllowDeletes(true);
        rp.setAllowNonFastForwards(true);
        rp.setAtomic(false);
        rp.setPreReceiveHook((pack, commands) -> beforeUpdate(grant, pack, commands));
        rp.setPostReceiveHook((pack, commands) -> record(grant, pack.getRepository(), commands));
        return rp;
    }

    private static Grant grant(HttpServletRequest req) throws ServiceNotAuthorizedException {
        Object g = req.getAttribute(GRANT);
        if (!(g instanceof Grant grant)) {
            throw new ServiceNotAuthorizedException();
        }
        return grant;
    }

    /**
     * Refuses reserved refs and every tag change but the creation of a new tag in the task's own namespace
     * ({@link MirrorRefs#taskTags}); saves the tips that deletes and non-fast-forwards of branches are about to replace.
     */
    private static void beforeUpdate(Grant grant, ReceivePack pack, Collection<ReceiveCommand> commands) {
        Repository repo = pack.getRepository();
        for (ReceiveCommand c : commands) {
            if (c.getResult() != ReceiveCommand.Result.NOT_ATTEMPTED) {
                continue;
            }
            String ref = c.getRefName();
            if (!ref.startsWith(Constants.R_HEADS) && !ref.startsWith(Constants.R_TAGS)) {
                c.setResult(ReceiveCommand.Result.REJECTED_OTHER_REASON, "terok gate: only refs/heads/ and refs/tags/ can be pushed");
                continue;
            }
            if (ref.startsWith(Constants.R_TAGS)) {
                String own = MirrorRefs.taskTags(grant.task());
                if (c.getType() != ReceiveCommand.Type.CREATE) {
                    c.setResult(ReceiveCommand.Result.REJECTED_OTHER_REASON, "terok gate: tags cannot be moved or deleted;"
                            + " a task may only create new tags under " + own);
                } else if (!ref.startsWith(own) || ref.length() == own.length()) {
                    c.setResult(ReceiveCommand.Result.REJECTED_OTHER_REASON, "terok gate: a task may only create new tags under " + own);
                }
                continue;
            }
            boolean destructive = c.getType() == ReceiveCommand.Type.DELETE || c.getType() == ReceiveCommand.Type.UPDATE_NONFASTFORWARD;
            if (destructive && ref.startsWith(Constants.R_HEADS)) {
                try {
                    String b = Backups.save(repo, ref.substring(Constants.R_HEADS.length()), c.getOldId());
                    pack.sendMessage("terok gate: saved the old tip of " + Printable.line(ref) + " as " + Printable.line(b));
                } catch (IOException e) {
                    c.setResult(ReceiveCommand.Result.REJECTED_OTHER_REASON, "terok gate: cannot save a backup of the old tip");
                    LOG.errorf("cannot back up %s before a push: %s", Printable.line(ref), e.getMessage());
                }
            }
        }
    }

    private void record(Grant grant, Repository repo, Collection<ReceiveCommand> commands) {
        List<Update> updates = new ArrayList<>();
        for (ReceiveCommand c : commands) {
            if (c.getResult() == ReceiveCommand.Result.OK) {
                String kind = switch (c.getType()) {
                    case CREATE -> "create";
                    case DELETE -> "delete";
                    case UPDATE -> "fast-forward";
                    case UPDATE_NONFASTFORWARD -> "force";
                };
                updates.add(new Update(c.getRefName(), name(c.getOldId()), name(c.getNewId()), kind));
            }
        }
        if (!updates.isEmpty()) {
            projects.recordPush(grant.project(), new PushRecord(Instant.now().toString(), grant.task(), updates));
            LOG.infof("push to %s by task %s: %s", grant.project(), grant.task(),
                    updates.stream().map(u -> u.kind() + " " + Printable.line(u.ref())).toList());
            maintenance.schedule(grant.project());
        }
    }

    private static String name(ObjectId id) {
        return id == null || ObjectId.zeroId().equals(id) ? "" : id.name();
    }
}
