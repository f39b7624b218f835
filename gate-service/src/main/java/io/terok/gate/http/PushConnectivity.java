package io.terok.gate.http;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ProgressMonitor;
import org.eclipse.jgit.transport.ConnectivityChecker;
import org.eclipse.jgit.transport.ReceiveCommand;
import org.jboss.logging.Logger;

/**
 * The connectivity check of a push. JGit's own check walks everything reachable from the pushed tips and not from
 * the refs the task was shown, reading each commit and tree back from the pack just written (for a push of a
 * whole history, the largest cost after hashing). When {@link PackReferences} found the pack self-contained,
 * that walk can only succeed, and is skipped; in every other case JGit's walk decides, unchanged.
 */
final class PushConnectivity implements ConnectivityChecker {
    private static final Logger LOG = Logger.getLogger(PushConnectivity.class);
    private final PackReferences references;
    private final ConnectivityChecker walk;

    PushConnectivity(PackReferences references, ConnectivityChecker walk) {
        this.references = references;
        this.walk = walk;
    }

    @Override
    public void checkConnectivity(ConnectivityCheckInfo info, Set<ObjectId> haves, ProgressMonitor pm) throws IOException {
        List<ObjectId> tips = new ArrayList<>();
        for (ReceiveCommand cmd : info.getCommands()) {
            if (cmd.getResult() == ReceiveCommand.Result.NOT_ATTEMPTED && cmd.getType() != ReceiveCommand.Type.DELETE) {
                tips.add(cmd.getNewId());
            }
        }
        if (info.getParser() != null && references.selfContained(info.getParser().getObjectCount(), tips)) {
            LOG.debugf("push of %d objects is self-contained: connectivity walk skipped", info.getParser().getObjectCount());
            return;
        }
        walk.checkConnectivity(info, haves, pm);
    }
}
