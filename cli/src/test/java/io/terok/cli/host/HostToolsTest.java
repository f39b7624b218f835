package io.terok.cli.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.cli.core.CliException;
import io.terok.common.HostProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostToolsTest {
    @TempDir
    Path tmp;

    @Test
    void parsesLddIntoLibrariesAndTheLoader() {
        HostTools.Tool t = HostTools.parse("nft", Path.of("/usr/sbin/nft"), """
                \tlinux-vdso.so.1 (0x00007ffd)
                \tlibnftables.so.1 => /lib/x86_64-linux-gnu/libnftables.so.1 (0x00007f36)
                \tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f35)
                \t/lib64/ld-linux-x86-64.so.2 (0x00007f365a2a4000)
                """);
        assertEquals(Path.of("/lib64/ld-linux-x86-64.so.2"), t.loader());
        assertEquals(List.of("libnftables.so.1", "libc.so.6"), List.copyOf(t.libraries().keySet()));
        CliException missing = assertThrows(CliException.class, () -> HostTools.parse("nft", Path.of("/usr/sbin/nft"),
                "\tlibnftables.so.1 => not found\n\t/lib64/ld-linux-x86-64.so.2 (0x1)\n"));
        assertTrue(missing.getMessage().contains("misses a library: libnftables.so.1 => not found"), missing.getMessage());
    }

    /**
     * The staged wrapper runs the host's own nft with only the staged libraries and loader (what the shield image gets):
     * same version, and it loads and lists a table in a fresh network namespace.
     */
    @Test
    void theStagedNftIsTheHostsAndWorksFromItsOwnDirectory() throws Exception {
        List<HostTools.Tool> tools = HostTools.system().find();
        assertTrue(tools.stream().anyMatch(t -> t.name().equals("nft")), "this host has nft (bin/prepare-host installs it)");
        HostTools.stage(tools, tmp);
        Path nft = tmp.resolve("host-tools/sbin/nft");
        assertTrue(Files.isExecutable(nft));
        assertTrue(Files.isRegularFile(tmp.resolve("host-tools/lib/libnftables.so.1")));
        String staged = HostProcess.of(nft.toString(), "--version").run().stdout().strip();
        assertEquals(HostProcess.of("nft", "--version").run().stdout().strip(), staged);
        // in a network namespace of its own (root: this suite runs as root, as the firewall tests do)
        HostProcess.Result r = HostProcess.of("unshare", "-n", "sh", "-c", "\"$0\" -f - && \"$0\" list table inet t", nft.toString())
                .stdin("table inet t {\n set s { type ipv4_addr; }\n}\nadd element inet t s { 198.18.0.9 }\n").run();
        assertEquals(0, r.exitCode(), r.stderr());
        assertTrue(r.stdout().contains("198.18.0.9"), r.stdout());
        // dnsmasq too (a task's forwarder links the same libnftables)
        assertTrue(HostProcess.of(tmp.resolve("host-tools/sbin/dnsmasq").toString(), "--version").run().stdout().startsWith("Dnsmasq version"));
    }
}
