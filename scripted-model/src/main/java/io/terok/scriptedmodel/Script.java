package io.terok.scriptedmodel;

import java.util.List;

/**
 * The steps a {@link ScriptedModelServer} replays. Step {@code n} answers a main request whose conversation holds
 * {@code n} tool results after its last plain user message; past the end the last text step answers again, so an
 * agent that asks once more after finishing gets its final answer repeated rather than an error.
 */
public final class Script {

    private final List<Step> steps;

    private Script(List<Step> steps) {
        if (steps.isEmpty()) {
            throw new IllegalArgumentException("a script needs at least one step");
        }
        this.steps = List.copyOf(steps);
    }

    public static Script of(Step... steps) {
        return new Script(List.of(steps));
    }

    public static Script of(List<Step> steps) {
        return new Script(steps);
    }

    /** The common one-tool-call conversation: run {@code command}, then answer {@code answer}. */
    public static Script shellThenAnswer(String command, String answer) {
        return of(Step.shell(command), Step.text(answer));
    }

    public List<Step> steps() {
        return steps;
    }

    /** The step answering a request with {@code toolResults} tool results since its last plain user message. */
    public Step stepFor(int toolResults) {
        if (toolResults < steps.size()) {
            return steps.get(toolResults);
        }
        for (int i = steps.size() - 1; i >= 0; i--) {
            if (steps.get(i) instanceof Step.Text) {
                return steps.get(i);
            }
        }
        return steps.get(steps.size() - 1);
    }
}
