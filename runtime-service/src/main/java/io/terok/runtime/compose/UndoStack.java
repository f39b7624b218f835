package io.terok.runtime.compose;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * The steps of a launch that hold something (a token, a firewall, a record, a container), each with what gives it
 * back. A launch that fails unwinds it: most recent step first, every undo attempted even when an earlier one
 * fails, so nothing the launch took is left behind because of an unrelated failure.
 */
public final class UndoStack {
    private static final Logger LOG = Logger.getLogger(UndoStack.class);

    private record Step(String what, Runnable undo) {
    }

    private final Deque<Step> steps = new ArrayDeque<>();

    /** Records that {@code what} was done and is given back by {@code undo}. */
    public void push(String what, Runnable undo) {
        steps.push(new Step(what, undo));
    }

    /** The steps still held, most recent first (the order {@link #unwind} gives them back in). */
    public List<String> held() {
        return steps.stream().map(Step::what).toList();
    }

    /**
     * Gives back every step, most recent first; an undo that fails is logged and the rest still run.
     *
     * @param task names the launch in the log
     * @return the steps that could not be given back (empty when all were)
     */
    public List<String> unwind(String task) {
        List<String> failed = new java.util.ArrayList<>();
        while (!steps.isEmpty()) {
            Step s = steps.pop();
            try {
                s.undo().run();
            } catch (RuntimeException e) {
                failed.add(s.what());
                LOG.errorf("could not undo a launch step of %s (%s): %s", task, s.what(), e.getMessage());
            }
        }
        return failed;
    }
}
