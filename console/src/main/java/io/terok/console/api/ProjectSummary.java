package io.terok.console.api;

import io.quarkus.qute.TemplateData;
import io.terok.api.v1.SecurityMode;
import io.terok.common.Printable;
import java.util.List;

/**
 * A project with its tasks, newest first. {@code known} is false for tasks whose project file is gone. {@code security}
 * is the mode the project's next tasks get ({@code gatekeeping} or {@code online}); each task keeps the mode it was
 * started with ({@link TaskSummary#mode}), which is the one that counts for its Forward.
 */
@TemplateData
public record ProjectSummary(String name, String upstream, String defaultBranch, List<String> agents,
                             String defaultAgent, boolean known, String security, List<TaskSummary> tasks) {
    public static ProjectSummary unknown(String name, List<TaskSummary> tasks) {
        return new ProjectSummary(Printable.line(name), "", "", List.of(), "", false, "", tasks);
    }

    public static String security(SecurityMode m) {
        return m == SecurityMode.SECURITY_MODE_ONLINE ? "online" : "gatekeeping";
    }
}
