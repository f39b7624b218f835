package io.terok.console.api;

import io.quarkus.qute.TemplateData;
import io.terok.api.v1.AgentTask;
import io.terok.api.v1.DiffResponse;
import io.terok.common.Printable;
import io.terok.common.ProtoTime;
import io.terok.common.TaskForwarding;
import java.util.ArrayList;
import java.util.List;

/**
 * A task branch's review as the page shows it: the exact commit reviewed ({@code commit}, what Forward is pinned
 * to), the commits that would go upstream with the files each changes, and the patch as lines, each marked for
 * colour only. {@code forwardRefusal} is set for a task Forward does not apply to (online mode: it pushed upstream
 * itself), and the page offers no Forward then. All of it is agent-written: sanitised here ({@link Printable#lines}: control characters shown),
 * escaped by the template, and never interpreted.
 */
@TemplateData
public record Review(String project, String taskId, String taskName, String branch, String against, String commit,
                     String upstreamCommit, List<Commit> commits, List<DiffLine> patch, List<String> binaryFiles,
                     List<String> omittedFiles, String mode, String forwardRefusal) {

    @TemplateData
    public record Commit(String id, String shortId, String author, String time, String summary, List<String> files) {
    }

    /** {@code kind}: add, del, hunk, file or ctx (for the style sheet). */
    @TemplateData
    public record DiffLine(String kind, String text) {
    }

    public static Review of(AgentTask t, String against, DiffResponse d) {
        List<Commit> commits = d.getCommitsList().stream().map(c -> new Commit(Printable.line(c.getId(), 64),
                Printable.line(c.getId(), 12).replace("…", ""), Printable.line(c.getAuthor()),
                c.hasTime() ? ProtoTime.toInstant(c.getTime()).toString() : "", Printable.line(c.getSummary(), 1000),
                c.getFilesList().stream().map(f -> Printable.line(f, 1000)).toList())).toList();
        return new Review(Printable.line(t.getProject()), Printable.line(t.getId(), 64), Printable.line(t.getName()),
                Printable.line(t.getBranch()), Printable.line(against), Printable.line(d.getCommit(), 64),
                Printable.line(d.getUpstreamCommit(), 64), commits, lines(d.getPatch()),
                d.getBinaryFilesList().stream().map(f -> Printable.line(f, 1000)).toList(),
                d.getOmittedFilesList().stream().map(f -> Printable.line(f, 1000)).toList(),
                TaskForwarding.mode(t.getUpstreamUrl()), TaskForwarding.refusal(t.getName(), t.getBranch(), t.getUpstreamUrl()).orElse(""));
    }

    static List<DiffLine> lines(String patch) {
        List<DiffLine> out = new ArrayList<>();
        if (patch.isEmpty()) {
            return out;
        }
        for (String raw : patch.split("\n", -1)) {
            String l = Printable.lines(raw);
            String kind;
            if (l.startsWith("diff --git") || l.startsWith("+++ ") || l.startsWith("--- ") || l.startsWith("index ")) {
                kind = "file";
            } else if (l.startsWith("@@")) {
                kind = "hunk";
            } else if (l.startsWith("+")) {
                kind = "add";
            } else if (l.startsWith("-")) {
                kind = "del";
            } else {
                kind = "ctx";
            }
            out.add(new DiffLine(kind, l));
        }
        if (!out.isEmpty() && out.get(out.size() - 1).text().isEmpty()) {
            out.remove(out.size() - 1);
        }
        return out;
    }
}
