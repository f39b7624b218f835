package io.terok.console.timeline;

import java.time.Instant;
import java.util.Objects;

/**
 * One thing that happened to a task, from one of the four witnesses (vault broker, gate, shield, clearance). Every
 * text field was passed through {@link io.terok.common.Printable} when the entry was made, and is still hostile
 * markup as far as a page is concerned: templates escape it.
 *
 * @param id        unique within the task's timeline; the same event seen twice (history and live stream) gets the
 *                  same id where the source gives one, else {@link TaskTimeline} folds near-equal entries
 * @param target    the connection this entry is about, {@code ADDRESS:PORT/PROTOCOL} (IPv6 in brackets), or "" when
 *                  it is about none: the key that links a block to its prompt and a verdict to the first packet through
 * @param requestId the clearance request (PROMPT and VERDICT), else ""
 * @param outcome   VERDICT: ALLOWED, DENIED, FAILED or DROPPED; RELAYED: the broker's outcome; else ""
 * @param text      one printable line saying what happened
 */
public record TimelineEntry(String id, Instant time, String taskId, Kind kind, String target, String domain,
                           String requestId, String outcome, String text) {

    /** What kind of thing happened, and which service saw it. */
    public enum Kind {
        /** The vault's token broker relayed a request to a provider with the task's phantom token swapped. */
        RELAYED("vault"),
        /** The gate received a push from the task. */
        PUSH("gate"),
        /** Shield rejected a connection the task tried. */
        BLOCKED("shield"),
        /** Another change of the task's firewall (allowed, denied, shield up/down/block, ...). */
        FIREWALL("shield"),
        /** Clearance asked the operator about a blocked connection. */
        PROMPT("clearance"),
        /** The operator's (or the failure's) answer to a prompt. */
        VERDICT("clearance"),
        /** The first packet the task sent through after an Allow with that port. */
        PASSED("shield");

        private final String source;

        Kind(String source) {
            this.source = source;
        }

        public String source() {
            return source;
        }
    }

    public TimelineEntry {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(taskId, "taskId");
        Objects.requireNonNull(kind, "kind");
        target = target == null ? "" : target;
        domain = domain == null ? "" : domain;
        requestId = requestId == null ? "" : requestId;
        outcome = outcome == null ? "" : outcome;
        text = text == null ? "" : text;
    }

    /** An entry that is about a connection: the linkable kinds carry one. */
    public boolean hasTarget() {
        return !target.isEmpty();
    }
}
