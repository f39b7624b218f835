package io.terok.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which upstreams an online project may have, and the one host and port a task's firewall opens for it. */
class OnlineUpstreamTest {
    @Test
    void sshHttpsAndScpLikeUpstreamsNameTheirHostAndPort() {
        OnlineUpstream a = OnlineUpstream.of("ssh://git@198.19.7.1:2222/srv/repo.git");
        assertEquals(OnlineUpstream.Scheme.SSH, a.scheme());
        assertEquals("198.19.7.1", a.host());
        assertEquals(2222, a.port());
        assertEquals(22, OnlineUpstream.of("git@github.com:o/r.git").port());
        assertEquals("github.com", OnlineUpstream.of("git@github.com:o/r.git").host());
        assertEquals(443, OnlineUpstream.of("https://gitlab.example.org/o/r.git").port());
        assertEquals(8080, OnlineUpstream.of("http://git.example.test:8080/r").port());
        assertEquals("2001:db8::1", OnlineUpstream.of("ssh://git@[2001:db8::1]/r.git").host());
    }

    @Test
    void anUpstreamNoFirewallCanOpenIsRefusedNamingSecurityAndWhy() {
        for (String[] c : new String[][] {
                {"file:///srv/repo.git", "a path on this machine"},
                {"/srv/repo.git", "a path on this machine"},
                {"./repo", "a path on this machine"},
                {"ssh://git@127.0.0.1:22/r", "never opens"},
                {"ssh://git@localhost/r", "never opens"},
                {"https://[::1]/r", "never opens"},
                {"https://169.254.169.254/r", "never opens"},
                {"ssh://git@10.0.2.2/r", "never opens"},
                {"https://user:s3cret@github.com/o/r.git", "holds a password"},
                {"git://github.com/o/r.git", "not supported"},
                {"ssh://git@bad_host!/r", "names no host"},
                {"https://exa mple.com/r", "not a URL"},
                {"", "no upstream.url"}}) {
            ServiceException e = assertThrows(ServiceException.class, () -> OnlineUpstream.of(c[0]), c[0]);
            assertEquals(ServiceException.Kind.INVALID, e.kind(), c[0]);
            assertTrue(e.getMessage().startsWith("security: online") && e.getMessage().contains(c[1])
                    && e.getMessage().contains("gatekeeping"), c[0] + ": " + e.getMessage());
            assertTrue(!e.getMessage().contains("s3cret") || c[0].isEmpty(), "no password echoed: " + e.getMessage());
        }
    }

    @Test
    void aNameIsResolvedAndEveryAddressChecked() throws Exception {
        OnlineUpstream up = OnlineUpstream.of("ssh://git@git.example.test/r.git");
        assertEquals(List.of("198.19.7.1", "198.19.7.2"), up.addresses(h -> List.of(InetAddress.getByName("198.19.7.1"),
                InetAddress.getByName("198.19.7.2"), InetAddress.getByName("198.19.7.1"))));
        // A name that resolves to the host's loopback (a rebinding answer) is not opened.
        ServiceException e = assertThrows(ServiceException.class, () -> up.addresses(h -> List.of(InetAddress.getByName("127.0.0.1"))));
        assertTrue(e.getMessage().contains("127.0.0.1"), e.getMessage());
        ServiceException none = assertThrows(ServiceException.class, () -> up.addresses(h -> {
            throw new UnknownHostException(h);
        }));
        assertEquals(ServiceException.Kind.PRECONDITION, none.kind());
        assertTrue(none.getMessage().contains("does not resolve"), none.getMessage());
        assertEquals(List.of("198.19.7.1"), OnlineUpstream.of("ssh://git@198.19.7.1/r").addresses(h -> {
            throw new AssertionError("a literal is never looked up");
        }));
    }
}
