package io.terok.common;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TerokPathsTest {
    private static final Path HOME = Path.of("/home/op");

    @Test
    void rootlessUsesXdgRuntimeDir() {
        TerokPaths p = new TerokPaths(Map.of("XDG_RUNTIME_DIR", "/run/user/1000"), false, HOME);
        assertEquals(Path.of("/run/user/1000/terok"), p.runtimeDir());
        assertEquals(Path.of("/run/user/1000/terok/runtime.sock"), p.socket(ServiceName.RUNTIME));
        assertEquals(Path.of("/home/op/.local/share/terok"), p.dataDir());
        assertEquals(Path.of("/home/op/.config/terok/config.yaml"), p.configFile());
    }

    @Test
    void rootUsesSystemDirs() {
        TerokPaths p = new TerokPaths(Map.of("XDG_RUNTIME_DIR", "/run/user/0"), true, Path.of("/root"));
        assertEquals(Path.of("/run/terok"), p.runtimeDir());
        assertEquals(Path.of("/var/lib/terok"), p.dataDir());
        assertEquals(Path.of("/etc/terok"), p.configDir());
    }

    @Test
    void environmentOverridesWin() {
        TerokPaths p = new TerokPaths(Map.of("TEROK_RUNTIME_DIR", "/tmp/t/run", "TEROK_DATA_DIR", "/tmp/t/data",
                "XDG_RUNTIME_DIR", "/run/user/1000"), true, HOME);
        assertEquals(Path.of("/tmp/t/run"), p.runtimeDir());
        assertEquals(Path.of("/tmp/t/data"), p.dataDir());
    }

    @Test
    void withoutXdgRuntimeDirFallsBackToStateDir() {
        TerokPaths p = new TerokPaths(Map.of(), false, HOME);
        assertEquals(Path.of("/home/op/.local/state/terok/run"), p.runtimeDir());
    }
}
