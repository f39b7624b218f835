package io.terok.console.clearance;

import io.terok.api.v1.ClearanceRequest;
import io.terok.common.Printable;
import io.terok.common.ProtoTime;
import io.terok.console.timeline.TimelineEvents;

/**
 * A blocked connection clearance is asking the operator about, as the page shows it. Every text field a task can
 * influence (its name, the domain it looked up) went through {@link Printable}; the page still treats it as text only.
 */
public record PendingPrompt(String id, String taskId, String taskName, String project, String target, String domain,
                            int count, String firstSeen, String lastSeen) {

    public static PendingPrompt of(ClearanceRequest r) {
        return new PendingPrompt(Printable.line(r.getId(), 80), r.getTaskId(), Printable.line(r.getTaskName(), 80),
                Printable.line(r.getProject(), 80),
                TimelineEvents.target(r.getDestinationIp(), r.getDestinationPort(), r.getProtocol()),
                Printable.line(r.getDomain()), r.getCount(),
                ProtoTime.toInstant(r.getFirstSeen()).toString(), ProtoTime.toInstant(r.getLastSeen()).toString());
    }
}
