package io.terok.console.timeline;

/** One timeline item as the page's JSON carries it (text fields printable; the page puts them in as text only). */
public record TimelineView(String id, String time, String kind, String source, String target, String domain,
                           String outcome, String text, String causeId, java.util.List<String> effectIds) {

    public static TimelineView of(TaskTimeline.Item i) {
        TimelineEntry e = i.entry();
        return new TimelineView(e.id(), e.time().toString(), e.kind().name(), e.kind().source(), i.target(), e.domain(),
                e.outcome(), e.text(), i.causeId(), i.effectIds());
    }
}
