package io.terok.runtime.project;

import io.terok.api.v1.ProjectInfo;
import io.terok.api.v1.ProjectSettings;
import io.terok.api.v1.SecurityMode;
import io.terok.common.Ids;
import io.terok.common.OnlineUpstream;
import io.terok.common.Printable;
import io.terok.common.ServiceException;
import io.terok.runtime.compose.UndoStack;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.jboss.logging.Logger;

/**
 * Projects: init (file, gate mirror, SSH key, images; idempotent, undone on failure), show, list and delete. Plain
 * Java over {@link ProjectStore}, {@link ProjectPeers} and {@link ProjectImages}.
 */
public final class ProjectSetup {
    private static final Logger LOG = Logger.getLogger(ProjectSetup.class);

    private final ProjectStore store;
    private final ProjectPeers peers;
    private final ProjectImages images;
    private final GitIdentity identity;
    private final String defaultBaseImage;
    /** True when a task record names the project (delete is refused then). */
    private final Predicate<String> hasTasks;

    public ProjectSetup(ProjectStore store, ProjectPeers peers, ProjectImages images, GitIdentity identity,
            String defaultBaseImage, Predicate<String> hasTasks) {
        this.store = store;
        this.peers = peers;
        this.images = images;
        this.identity = identity;
        this.defaultBaseImage = defaultBaseImage;
        this.hasTasks = hasTasks;
    }

    public ProjectStore store() {
        return store;
    }

    public ProjectImages images() {
        return images;
    }

    public GitIdentity identity() {
        return identity;
    }

    /** ssh://... and scp-like user@host:path need a key; file:// and https:// do not. */
    static boolean sshUpstream(String url) {
        return url.startsWith("ssh://") || !url.contains("://");
    }

    /**
     * Online mode (the agent's origin is the upstream, the gate only mirrors) needs an upstream the task's firewall can
     * open (see {@link OnlineUpstream}); a project asking for it with another upstream is refused before anything is
     * created. Returns the upstream, or null in gatekeeping mode.
     */
    public static OnlineUpstream online(ProjectSettings s) {
        return s.getSecurityMode() == SecurityMode.SECURITY_MODE_ONLINE ? OnlineUpstream.of(s.getUpstreamUrl()) : null;
    }

    public ProjectInfo init(ProjectSettings requested, Consumer<String> progress) {
        String name = Ids.project("name", requested.getName());
        ProjectSettings settings = settingsFor(name, requested);
        OnlineUpstream online = online(settings);
        images.check(settings);
        List<String> warnings = new ArrayList<>();
        UndoStack undo = new UndoStack();
        try {
            if (store.find(name).isEmpty()) {
                Path f = store.write(settings);
                undo.push("config " + f, () -> store.delete(name));
                progress.accept("wrote " + f);
            }
            String url = settings.getUpstreamUrl();
            boolean ssh = sshUpstream(url);
            List<ProjectPeers.SshKey> keys = ssh ? peers.sshKeys(name) : List.of();
            if (ssh && keys.stream().noneMatch(k -> !k.task())) {
                ProjectPeers.SshKey key = peers.addSshKey(name, false);
                undo.push("ssh key " + key.fingerprint(), () -> peers.removeSshKey(key.id()));
                progress.accept("made an SSH key for " + name + " in the vault: " + key.fingerprint());
            }
            // Online: the tasks push to the upstream themselves, signed by the vault's agent with a key of their own
            // (the gate's key is never offered to a task), which needs write access upstream.
            if (online != null && online.scheme() == OnlineUpstream.Scheme.SSH && keys.stream().noneMatch(ProjectPeers.SshKey::task)) {
                ProjectPeers.SshKey key = peers.addSshKey(name, true);
                undo.push("task ssh key " + key.fingerprint(), () -> peers.removeSshKey(key.id()));
                progress.accept("made an SSH key for " + name + "'s tasks (online mode) in the vault: " + key.fingerprint());
            }
            if (!peers.gateHas(name)) {
                peers.gateCreate(name, url, !ssh);
                undo.push("gate mirror " + name, () -> peers.gateDelete(name));
                progress.accept("created the gate mirror of " + Printable.line(url, 200));
                if (ssh) {
                    try {
                        peers.gateSync(name);
                    } catch (RuntimeException e) {
                        warnings.add("the gate could not fetch the upstream yet (" + e.getMessage()
                                + "): add the deploy key below to the upstream, then run `terok gate sync " + name + "`");
                    }
                }
            }
            String image = images.build(settings, progress);
            progress.accept("image " + image);
        } catch (RuntimeException e) {
            if (!undo.held().isEmpty()) {
                LOG.warnf("project init %s failed, undoing %s: %s", name, undo.held(), e.getMessage());
            }
            undo.unwind("project init " + name);
            throw e;
        }
        LOG.infof("project %s ready (upstream %s)", name, Printable.line(settings.getUpstreamUrl(), 200));
        return info(settings, warnings);
    }

    /**
     * The settings Init works with: the existing file's (a request that disagrees is refused naming the field), or the
     * request's with defaults filled in, checked by the file format's rules.
     */
    ProjectSettings settingsFor(String name, ProjectSettings requested) {
        var existing = store.find(name);
        if (existing.isPresent()) {
            ProjectSettings have = existing.get();
            Path f = store.file(name);
            differs(requested.getUpstreamUrl(), have.getUpstreamUrl(), "upstream.url", f);
            differs(requested.getDefaultBranch(), have.getDefaultBranch(), "upstream.branch", f);
            differs(requested.getBaseImage(), have.getBaseImage(), "image.base", f);
            differs(String.join(",", requested.getAgentsList()), String.join(",", have.getAgentsList()), "agents.include", f);
            differs(requested.getDefaultAgent(), have.getDefaultAgent(), "agents.default", f);
            differs(requested.getDefaultProvider(), have.getDefaultProvider(), "agents.provider", f);
            differs(requested.getDefaultModel(), have.getDefaultModel(), "agents.model", f);
            return have;
        }
        if (requested.getUpstreamUrl().isEmpty()) {
            throw ServiceException.invalid("upstream.url", "required for a new project (--upstream URL)");
        }
        ProjectSettings.Builder b = requested.toBuilder().setName(name);
        if (b.getBaseImage().isEmpty()) {
            b.setBaseImage(defaultBaseImage);
        }
        if (b.getAgentsCount() == 0) {
            b.addAgents("all");
        }
        if (b.getSecurityMode() == SecurityMode.SECURITY_MODE_UNSPECIFIED) {
            b.setSecurityMode(SecurityMode.SECURITY_MODE_GATEKEEPING);
        }
        return ProjectFile.check(b.build(), "project " + name);
    }

    private static void differs(String requested, String have, String field, Path file) {
        if (!requested.isEmpty() && !requested.equals(have)) {
            throw ServiceException.invalid(field, "project exists with '" + Printable.line(have, 120) + "' (" + file
                    + "); edit the file, or `terok project delete` it first");
        }
    }

    public ProjectInfo show(String project) {
        return info(store.get(Ids.project("project", project)), List.of());
    }

    public record Listing(List<ProjectInfo> projects, List<String> broken) {
    }

    public Listing list() {
        List<ProjectInfo> out = new ArrayList<>();
        List<String> broken = new ArrayList<>();
        for (ProjectStore.Entry e : store.list()) {
            if (e.settings() != null) {
                out.add(info(e.settings(), List.of()));
            } else {
                broken.add(e.error());
            }
        }
        return new Listing(out, broken);
    }

    /** Removes the file, the gate mirror and the project's SSH keys; refused while a task of the project exists. */
    public List<String> delete(String project) {
        String name = Ids.project("project", project);
        if (hasTasks.test(name)) {
            throw ServiceException.precondition("project " + name + " still has tasks: remove them first (terok task list " + name + ")");
        }
        var settings = store.find(name);
        boolean hasFile = settings.isPresent() || java.nio.file.Files.exists(store.file(name));
        boolean hasGate = peers.gateHas(name);
        // Only an ssh upstream has keys (init made one); asking the vault otherwise would need it unlocked for nothing.
        List<ProjectPeers.SshKey> keys = settings.isEmpty() || sshUpstream(settings.get().getUpstreamUrl())
                ? peers.sshKeys(name) : List.of();
        if (!hasFile && !hasGate && keys.isEmpty()) {
            throw ServiceException.notFound("no project " + name);
        }
        List<String> removed = new ArrayList<>();
        List<String> kept = new ArrayList<>();
        store.find(name).ifPresent(s -> {
            try {
                String image = images.plan(s);
                if (images.removeProjectLayer(image)) {
                    removed.add("image " + image);
                }
            } catch (RuntimeException e) {
                kept.add("image: " + e.getMessage());
            }
        });
        if (hasGate) {
            peers.gateDelete(name);
            removed.add("gate mirror " + name);
        }
        for (ProjectPeers.SshKey k : keys) {
            peers.removeSshKey(k.id());
            removed.add("ssh key " + k.fingerprint());
        }
        if (hasFile) {
            removed.add("config " + store.file(name));
            store.delete(name);
        }
        LOG.infof("project %s deleted: %s%s", name, removed, kept.isEmpty() ? "" : " (kept: " + kept + ")");
        kept.forEach(k -> removed.add("(kept) " + k));
        return removed;
    }

    ProjectInfo info(ProjectSettings s, List<String> warnings) {
        ProjectInfo.Builder b = ProjectInfo.newBuilder().setConfigPath(store.file(s.getName()).toString()).addAllWarnings(warnings);
        ProjectSettings.Builder sb = s.toBuilder();
        if (sb.getDefaultBranch().isEmpty()) {
            try {
                sb.setDefaultBranch(peers.gateDefaultBranch(s.getName()));
            } catch (RuntimeException e) {
                b.addWarnings("gate: " + e.getMessage());
            }
        }
        b.setSettings(sb);
        try {
            String image = images.plan(s);
            b.setImage(image).setImageBuilt(images.exists(image));
        } catch (RuntimeException e) {
            b.addWarnings("image: " + e.getMessage());
        }
        if (sshUpstream(s.getUpstreamUrl())) {
            try {
                List<ProjectPeers.SshKey> keys = peers.sshKeys(s.getName());
                keys.stream().filter(k -> !k.task()).findFirst().ifPresent(k -> b.setSshPublicKey(k.publicKey()));
                if (s.getSecurityMode() == SecurityMode.SECURITY_MODE_ONLINE) {
                    keys.stream().filter(ProjectPeers.SshKey::task).findFirst().ifPresent(k -> b.setTaskSshPublicKey(k.publicKey()));
                }
            } catch (RuntimeException e) {
                b.addWarnings("vault: " + e.getMessage());
            }
        }
        GitIdentity.Resolved id = identity.resolve(s);
        return b.setGitName(id.name()).setGitEmail(id.email()).setGitIdentitySource(id.source()).build();
    }
}
