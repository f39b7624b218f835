package io.terok.common;

import java.util.Optional;

/**
 * Whether a task's branch may be forwarded upstream, for every client that offers Forward ({@code terok task forward},
 * the console's button and its API). An online task (its record carries the upstream its {@code origin} was) pushed
 * upstream itself: forwarding the gate's checkpoint copy would push a second time, and to an operator it would read
 * as "this went through review", which it did not. So there is nothing to forward, and the reason is said the same
 * way everywhere.
 */
public final class TaskForwarding {
    private TaskForwarding() {
    }

    /** The task's security mode as people read it: {@code online} when it has an upstream of its own, else {@code gatekeeping}. */
    public static String mode(String upstreamUrl) {
        return upstreamUrl == null || upstreamUrl.isEmpty() ? "gatekeeping" : "online";
    }

    /** Empty when Forward applies to the task; else why not (sanitised: the name, branch and URL are shown to a person). */
    public static Optional<String> refusal(String taskName, String branch, String upstreamUrl) {
        if (upstreamUrl == null || upstreamUrl.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of("task " + Printable.line(taskName) + " runs in online mode: its branch " + Printable.line(branch)
                + " went to the upstream " + Printable.line(upstreamUrl, 300) + " directly, so there is nothing to forward"
                + " (the task's review shows what it pushed; merge it upstream as any branch)");
    }

    /** Refuses ({@link ServiceException.Kind#PRECONDITION}) a forward of an online task. */
    public static void requireForwardable(String taskName, String branch, String upstreamUrl) {
        refusal(taskName, branch, upstreamUrl).ifPresent(why -> {
            throw new ServiceException(ServiceException.Kind.PRECONDITION, why);
        });
    }
}
