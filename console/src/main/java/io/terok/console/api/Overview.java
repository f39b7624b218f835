package io.terok.console.api;

import io.quarkus.qute.TemplateData;
import io.terok.api.v1.AgentTask;
import io.terok.api.v1.ClearanceRequest;
import io.terok.api.v1.ProjectInfo;
import io.terok.api.v1.ProjectSettings;
import io.terok.common.Printable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the overview page and its live stream show: every project with its tasks and their state, and what could
 * not be read ({@code problems}: a service that is down shows there, the rest of the page still works).
 */
@TemplateData
public record Overview(List<ProjectSummary> projects, List<String> problems) {

    /** Joins the three services' answers: tasks under their projects, a task waiting when clearance holds a prompt for it. */
    public static Overview of(List<ProjectInfo> projects, List<AgentTask> tasks, List<ClearanceRequest> pending,
                              List<String> problems) {
        Map<String, Integer> pendingByTask = new HashMap<>();
        for (ClearanceRequest r : pending) {
            pendingByTask.merge(r.getTaskId(), 1, Integer::sum);
        }
        Map<String, List<TaskSummary>> byProject = new LinkedHashMap<>();
        tasks.stream()
                .sorted(Comparator.comparing((AgentTask t) -> t.getCreatedAt().getSeconds()).reversed())
                .forEach(t -> byProject.computeIfAbsent(t.getProject(), p -> new ArrayList<>())
                        .add(TaskSummary.of(t, pendingByTask.getOrDefault(t.getId(), 0))));
        List<ProjectSummary> out = new ArrayList<>();
        for (ProjectInfo p : projects) {
            ProjectSettings s = p.getSettings();
            out.add(new ProjectSummary(Printable.line(s.getName()), Printable.line(s.getUpstreamUrl(), 400),
                    Printable.line(s.getDefaultBranch()), s.getAgentsList().stream().map(Printable::line).toList(),
                    Printable.line(s.getDefaultAgent()), true, ProjectSummary.security(s.getSecurityMode()), List.copyOf(byProject.getOrDefault(s.getName(), List.of()))));
            byProject.remove(s.getName());
        }
        byProject.forEach((name, list) -> out.add(ProjectSummary.unknown(name, List.copyOf(list))));
        out.sort(Comparator.comparing(ProjectSummary::name));
        return new Overview(List.copyOf(out), problems.stream().map(x -> Printable.line(x, 400)).toList());
    }
}
