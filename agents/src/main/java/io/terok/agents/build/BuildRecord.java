package io.terok.agents.build;

import io.terok.agents.image.Layer;

import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

/**
 * What a build did, layer by layer: the build's own account, which tests and {@code terok image} output rely on
 * (not timing) to tell what was reused.
 */
public record BuildRecord(List<LayerResult> layers, Duration elapsed) {
    public BuildRecord {
        layers = List.copyOf(layers);
    }

    public enum Status {
        /** Its tag existed: nothing was built. */
        REUSED,
        BUILT
    }

    /** One layer: its tag, built or reused, the number of Containerfile steps, and how long it took. */
    public record LayerResult(Layer.Kind kind, String tag, Status status, int steps, Duration elapsed) {
    }

    public LayerResult layer(Layer.Kind kind) {
        return layers.stream().filter(l -> l.kind() == kind).findFirst().orElseThrow();
    }

    public List<Layer.Kind> built() {
        return layers.stream().filter(l -> l.status() == Status.BUILT).map(LayerResult::kind).toList();
    }

    public List<Layer.Kind> reused() {
        return layers.stream().filter(l -> l.status() == Status.REUSED).map(LayerResult::kind).toList();
    }

    /** The image to run: the top layer's tag. */
    public String image() {
        return layers.get(layers.size() - 1).tag();
    }

    /** One line: "L0 reused localhost/terok-l0:..., L1 built ... in 12.3 s, ...". */
    public String summary() {
        return layers.stream().map(l -> l.kind() + " " + l.status().name().toLowerCase() + " " + l.tag()
                        + (l.status() == Status.BUILT ? " (" + l.steps() + " steps, " + seconds(l.elapsed()) + ")"
                        : "")).collect(Collectors.joining(", ")) + "; total " + seconds(elapsed);
    }

    static String seconds(Duration d) {
        return String.format("%.1f s", d.toMillis() / 1000.0);
    }
}
