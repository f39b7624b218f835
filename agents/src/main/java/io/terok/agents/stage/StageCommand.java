package io.terok.agents.stage;

import io.terok.agents.AgentImages;
import io.terok.agents.build.PodmanImageBuilder;
import io.terok.agents.image.LayerPlan;
import io.terok.agents.roster.Roster;
import io.terok.common.ServiceException;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code java ... io.terok.agents.stage.StageCommand STAGE_DIR BASE_IMAGE}: stages every tested agent of the shipped
 * roster (and the Node.js runtime the plan needs) from the npm registry into STAGE_DIR, as the image build would,
 * so later builds need no network. {@code bin/prepare-host.d/agents.sh} runs it for CI's cache.
 */
public final class StageCommand {
    private StageCommand() {
    }

    public static void main(String[] args) {
        if (args.length != 2) {
            System.err.println("usage: StageCommand STAGE_DIR BASE_IMAGE");
            System.exit(2);
        }
        Stager stager = new Stager(Path.of(args[0]));
        AgentImages images = new AgentImages(Roster.shipped(), new PodmanImageBuilder(), stager);
        try {
            LayerPlan plan = images.plan(new AgentImages.Request(args[1], null, List.of("all"), "stage", null));
            List<Stager.Result> staged = stager.stage(plan, System.out::println);
            System.out.println("staged " + staged.size() + " packages in " + args[0]);
        } catch (ServiceException e) {
            System.err.println("staging the agents failed: " + e.getMessage());
            System.exit(1);
        }
    }
}
