package io.terok.cli.core;

import io.terok.api.v1.TaskRef;

/** What verbs of several nouns need about tasks: how a task id is shortened, and what the operator's reference names. */
public final class Tasks {
    private Tasks() {
    }

    /** The first 12 characters of a task or container id, as tables show it. */
    public static String shortId(String id) {
        return id.length() > 12 ? id.substring(0, 12) : id;
    }

    /** The full task id for what the operator typed (id, prefix or name), as runtime knows it. */
    public static String resolve(Context ctx, String ref) {
        return ServiceApi.RUNTIME.call(ctx, "cannot find task " + ref,
                rt -> rt.inspect(TaskRef.newBuilder().setTask(ref).build())).getId();
    }
}
