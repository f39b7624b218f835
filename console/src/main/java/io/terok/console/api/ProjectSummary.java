package io.terok.console.api;

import io.quarkus.qute.TemplateData;
import io.terok.common.Printable;
import java.util.List;

/** A project with its tasks, newest first. {@code known} is false for tasks whose project file is gone. */
@TemplateData
public record ProjectSummary(String name, String upstream, String defaultBranch, List<String> agents,
                             String defaultAgent, boolean known, List<TaskSummary> tasks) {
    public static ProjectSummary unknown(String name, List<TaskSummary> tasks) {
        return new ProjectSummary(Printable.line(name), "", "", List.of(), "", false, tasks);
    }
}
