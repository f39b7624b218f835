package io.terok.runtime.task;

import io.terok.api.v1.TaskEvent;
import io.terok.api.v1.TaskEventKind;
import io.terok.common.ProtoTime;
import io.vertx.core.json.JsonObject;

/** Podman's container events (its JSON) as terok's task events; the task is found by its label. */
final class TaskEvents {
    private TaskEvents() {
    }

    /** The task event for a podman event, or null for an action terok does not report. */
    static TaskEvent fromPodman(JsonObject ev) {
        String action = ev.getString("Action", ev.getString("status", ""));
        TaskEventKind kind = switch (action) {
            case "create" -> TaskEventKind.TASK_EVENT_KIND_CREATED;
            case "start" -> TaskEventKind.TASK_EVENT_KIND_STARTED;
            case "died" -> TaskEventKind.TASK_EVENT_KIND_DIED;
            case "stop" -> TaskEventKind.TASK_EVENT_KIND_STOPPED;
            case "remove" -> TaskEventKind.TASK_EVENT_KIND_REMOVED;
            case "restart" -> TaskEventKind.TASK_EVENT_KIND_RESTARTED;
            default -> null;
        };
        if (kind == null) {
            return null;
        }
        JsonObject actor = ev.getJsonObject("Actor", new JsonObject());
        JsonObject attrs = actor.getJsonObject("Attributes", new JsonObject());
        int exit = 0;
        Object code = attrs.getValue("containerExitCode");
        if (code != null) {
            try {
                exit = Integer.parseInt(String.valueOf(code));
            } catch (NumberFormatException ignored) {
                exit = -1;
            }
        }
        long nanos = ev.getLong("timeNano", ev.getLong("time", 0L) * 1_000_000_000L);
        return TaskEvent.newBuilder().setTaskId(attrs.getString(TaskManager.TASK_LABEL, "")).setName(attrs.getString("name", ""))
                .setKind(kind).setExitCode(exit).setTime(ProtoTime.ofEpochNanos(nanos)).build();
    }
}
