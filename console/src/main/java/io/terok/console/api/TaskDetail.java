package io.terok.console.api;

import io.quarkus.qute.TemplateData;
import io.terok.api.v1.AgentTask;
import io.terok.api.v1.PhantomToken;
import io.terok.api.v1.ShieldStatus;
import io.terok.common.Printable;
import io.terok.common.ProtoTime;
import java.util.List;

/**
 * A task's page: the task, its firewall and its tokens. Each part the services could not give is null with a
 * line in {@code problems}, so a stopped shield does not hide the rest. Tokens carry what the vault says about
 * them (provider, credential set, times), never a secret: the vault keeps phantom tokens only as hashes.
 */
@TemplateData
public record TaskDetail(TaskSummary task, List<String> prompts, List<String> warnings, List<Commit> commits,
                         Firewall firewall, List<Token> tokens, List<String> problems) {

    @TemplateData
    public record Commit(String id, String shortId, String summary, String author) {
    }

    @TemplateData
    public record Firewall(String state, List<String> allowed, List<String> denied, List<String> profiles,
                           List<String> relayed, List<String> notes, String ruleset) {
        public static Firewall of(ShieldStatus s, String ruleset) {
            return new Firewall(s.getState().name().replace("SHIELD_STATE_", "").toLowerCase(java.util.Locale.ROOT).replace('_', '-'),
                    clean(s.getAllowedList()), clean(s.getDeniedList()), clean(s.getProfilesList()), clean(s.getRelayedList()),
                    clean(notes(s)), ruleset == null ? "" : Printable.lines(ruleset));
        }

        /** Shield's notes, and what the task's flood limit dropped (those attempts are in no event or prompt). */
        static List<String> notes(ShieldStatus s) {
            if (s.getFloodDropped() == 0) {
                return s.getNotesList();
            }
            List<String> notes = new java.util.ArrayList<>(s.getNotesList());
            notes.add(s.getFloodDropped() + " connection attempts dropped by the flood limit (refused without an answer "
                    + "or an event, never let through)");
            return notes;
        }
    }

    @TemplateData
    public record Token(String id, String provider, String credentialSet, String createdAt, String expiresAt) {
        public static Token of(PhantomToken t) {
            return new Token(Printable.line(t.getId()), Printable.line(t.getProvider()), Printable.line(t.getCredentialSet()),
                    t.hasCreatedAt() ? ProtoTime.toInstant(t.getCreatedAt()).toString() : "",
                    t.hasExpiresAt() ? ProtoTime.toInstant(t.getExpiresAt()).toString() : "");
        }
    }

    public static TaskDetail of(AgentTask t, int pending, Firewall firewall, List<Token> tokens, List<String> problems) {
        List<Commit> commits = t.getCommitsList().stream().map(c -> new Commit(Printable.line(c.getId(), 64),
                Printable.line(c.getId(), 12).replace("…", ""), Printable.line(c.getSummary(), 400), Printable.line(c.getAuthor()))).toList();
        return new TaskDetail(TaskSummary.of(t, pending), t.getPromptsList().stream().map(Printable::lines).toList(),
                clean(t.getWarningsList()), commits, firewall, tokens, problems.stream().map(p -> Printable.line(p, 400)).toList());
    }

    static List<String> clean(List<String> values) {
        return values.stream().map(v -> Printable.line(v, 400)).toList();
    }
}
