package io.terok.gate.repo;

import java.util.List;

/** What the gate stores beside each bare repository (JSON, see {@link Projects}). */
public final class Records {
    private Records() {
    }

    public record ProjectMeta(String name, String upstreamUrl, String defaultBranch, String createdAt, String lastSyncedAt) {
        ProjectMeta synced(String defaultBranch, String at) {
            return new ProjectMeta(name, upstreamUrl, defaultBranch, createdAt, at);
        }
    }

    /** A ref change; kind is create, fast-forward, force, delete, restore or forward. */
    public record Update(String ref, String oldId, String newId, String kind) {
    }

    /** An upstream rewrite or deletion waiting for the operator. kind: rewrite or delete. */
    public record Pending(String id, String ref, String kind, String oldId, String newId, String detectedAt, String status) {
        Pending withStatus(String s) {
            return new Pending(id, ref, kind, oldId, newId, detectedAt, s);
        }
    }

    public record PushRecord(String time, String task, List<Update> updates) {
    }

    public record Backup(String ref, String branch, String commitId, String createdAt) {
    }

    public record SyncResult(List<Update> applied, List<Pending> pending, List<String> notes) {
    }

    public record LogEntry(String id, String author, String time, String summary) {
    }
}
