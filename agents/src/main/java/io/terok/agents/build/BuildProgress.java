package io.terok.agents.build;

import io.terok.agents.image.Layer;

import java.time.Duration;

/** Where a build reports what it is doing: one call per step of a layer, with the time since the layer started. */
@FunctionalInterface
public interface BuildProgress {
    void step(Layer.Kind layer, String step, Duration elapsed);

    BuildProgress NONE = (layer, step, elapsed) -> { };
}
