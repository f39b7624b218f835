package io.terok.runtime.agenttask;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.common.ServiceException;
import io.terok.common.OnlineUpstream;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The workspace's remotes by security mode (the real clone and pushes: OnlineEndToEndTest). */
class WorkspaceRemotesTest {
    static final String GATE = "http://task:tok@10.0.2.2:9418/demo.git";

    @Test
    void gatekeepingHasTheGateAsOriginAndNothingElse() {
        WorkspaceRemotes r = WorkspaceRemotes.gatekeeping(GATE);
        assertEquals(GATE, r.origin());
        assertFalse(r.online());
        assertTrue(r.sshCommand().isEmpty() && r.knownHosts().isEmpty());
    }

    @Test
    void onlineSshPushesToTheUpstreamWithTheGatesPinnedHostKeys() {
        WorkspaceRemotes r = WorkspaceRemotes.online(OnlineUpstream.of("ssh://git@198.19.7.1:2222/r.git"), GATE,
                List.of("[198.19.7.1]:2222 ssh-ed25519 AAAA"));
        assertEquals(GATE, r.cloneFrom());
        assertEquals("ssh://git@198.19.7.1:2222/r.git", r.origin());
        assertEquals(GATE, r.gate());
        assertTrue(r.sshCommand().contains("StrictHostKeyChecking=yes") && r.sshCommand().contains(WorkspaceRemotes.KNOWN_HOSTS)
                && r.sshCommand().contains("BatchMode=yes"), r.sshCommand());
        assertFalse(r.sshCommand().contains("IdentityFile"), "the key is the vault's agent, never a file");
        assertEquals(List.of("[198.19.7.1]:2222 ssh-ed25519 AAAA"), r.knownHosts());
        assertTrue(r.online());
    }

    @Test
    void onlineSshWithoutAPinnedKeyIsRefusedAndHttpsNeedsNone() {
        ServiceException e = assertThrows(ServiceException.class,
                () -> WorkspaceRemotes.online(OnlineUpstream.of("git@example.com:o/r.git"), GATE, List.of()));
        assertTrue(e.getMessage().contains("terok gate sync"), e.getMessage());
        WorkspaceRemotes https = WorkspaceRemotes.online(OnlineUpstream.of("https://example.com/o/r.git"), GATE, List.of());
        assertEquals("", https.sshCommand());
        assertEquals("https://example.com/o/r.git", https.origin());
    }
}
