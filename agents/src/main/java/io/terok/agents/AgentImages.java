package io.terok.agents;

import io.terok.agents.build.BuildProgress;
import io.terok.agents.build.BuildRecord;
import io.terok.agents.build.ImageBuilder;
import io.terok.agents.image.BaseImage;
import io.terok.agents.image.Family;
import io.terok.agents.image.Layer;
import io.terok.agents.image.LayerPlan;
import io.terok.agents.roster.Roster;
import io.terok.agents.stage.Stager;

import java.util.List;
import java.util.function.Consumer;

/**
 * The whole image path in one place, for the CLI ({@code terok image build/list/usage/cleanup}) and the runtime
 * (the image a task runs): resolve the base, select the agents, plan the layers, stage what L1 needs on the host,
 * build what is missing.
 *
 * <pre>{@code
 * AgentImages images = new AgentImages(Roster.load(configDir.resolve("agents")), new PodmanImageBuilder(),
 *         new Stager(dataDir.resolve("images/stage")));
 * AgentImages.Result r = images.build(new AgentImages.Request("docker.io/library/debian:bookworm", null,
 *         List.of("all"), "myproject", snippet), System.out::println);
 * String image = r.record().image();   // the project's L2 tag, what its tasks run
 * }</pre>
 */
public final class AgentImages {
    private final Roster roster;
    private final ImageBuilder builder;
    private final Stager stager;

    public AgentImages(Roster roster, ImageBuilder builder, Stager stager) {
        this.roster = roster;
        this.builder = builder;
        this.stager = stager;
    }

    /**
     * A project's image settings.
     *
     * @param baseImage {@code image.base_image}
     * @param family    {@code image.family}, or null to detect it from the base's /etc/os-release
     * @param agents    {@code image.agents}: ["all"] or agent ids
     * @param snippet   the project's Containerfile snippet for L2, or null
     */
    public record Request(String baseImage, Family family, List<String> agents, String project, String snippet) {
    }

    public record Result(LayerPlan plan, List<Stager.Result> staged, BuildRecord record) {
    }

    /** The plan for a project, without building (tags for {@code image list}, the keep set for cleanup). */
    public LayerPlan plan(Request request) {
        BaseImage base = builder.resolveBase(request.baseImage(), request.family());
        return LayerPlan.create(base, roster.select(request.agents()), request.project(), request.snippet());
    }

    /**
     * Plans, stages and builds; every line of progress (staging and build steps, with the layer and the seconds
     * since the layer started) goes to {@code progress}.
     */
    public Result build(Request request, Consumer<String> progress) {
        LayerPlan plan = plan(request);
        List<Stager.Result> staged = stager.stage(plan, progress);
        BuildProgress steps = (Layer.Kind layer, String step, java.time.Duration elapsed) ->
                progress.accept(String.format("%s [%5.1f s] %s", layer, elapsed.toMillis() / 1000.0, step));
        BuildRecord record = builder.build(plan, stager.contextDir(), steps);
        progress.accept(record.summary());
        return new Result(plan, staged, record);
    }

    public Roster roster() {
        return roster;
    }

    public ImageBuilder builder() {
        return builder;
    }

    public Stager stager() {
        return stager;
    }
}
