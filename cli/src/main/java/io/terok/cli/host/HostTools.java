package io.terok.cli.host;

import io.terok.cli.core.CliException;
import io.terok.common.HostProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The host's own {@code nft} and {@code dnsmasq}, with every shared library they load and the host's dynamic loader,
 * staged into the shield image's build context ({@code host-tools/}).
 *
 * <p>Why: the OCI hook loads a task's table with the HOST's nft; the shield service changes it live with the nft in
 * its image. When the host's nft is newer, the image's may not read the table: Debian 12's nft 1.0.6 crashes
 * (SIGSEGV) fetching the cache of any table where Debian 13's nft 1.1.3 created a single-type set, so every
 * {@code list}, {@code add element} or {@code flush set} fails (docs/shield.md, "Live changes and the host's nft").
 * dnsmasq links the same libnftables (a task's forwarder adds resolved addresses to the sets) and is restarted by the
 * service on a domain change. Running the host's binaries, with the host's libraries under the host's loader,
 * makes the service's nft the hook's nft, whatever the image's Debian release.
 *
 * <p>Layout: {@code lib/} (libraries and loader), {@code bin/<tool>} (the host's binary), {@code sbin/<tool>} (a
 * wrapper that runs it under the bundled loader; the image links it into /usr/local/sbin, first on the PATH the
 * service uses in a task's netns).
 */
final class HostTools {
    static final List<String> TOOLS = List.of("nft", "dnsmasq");
    static final String DIR = "host-tools";
    private static final Duration QUICK = Duration.ofSeconds(30);
    /** {@code libx.so.1 => /lib/x86_64-linux-gnu/libx.so.1 (0x...)} */
    private static final Pattern LIB = Pattern.compile("^\\s*(\\S+) => (/\\S+) \\(0x[0-9a-f]+\\)$");
    /** {@code /lib64/ld-linux-x86-64.so.2 (0x...)}: the loader (no arrow). */
    private static final Pattern LOADER = Pattern.compile("^\\s*(/\\S*ld-linux\\S*) \\(0x[0-9a-f]+\\)$");
    private static final Pattern SAFE_NAME = Pattern.compile("[A-Za-z0-9._+-]+");

    /** What one tool needs: its binary, its libraries (soname to file) and the loader. */
    record Tool(String name, Path binary, Map<String, Path> libraries, Path loader) {
    }

    private final String path;

    HostTools(String path) {
        this.path = path;
    }

    /** The host's tools with the system PATH (the hook's: it runs them from podman, not from the operator's shell). */
    static HostTools system() {
        return new HostTools("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    }

    /**
     * The tools found on the host. A tool the host does not have is left out (the image's own then serves; the hook
     * cannot run without nft, so such a host has no filtered task anyway). A tool that is there but cannot be
     * described by {@code ldd} fails: a silent fallback to the image's nft is what this class exists to prevent.
     */
    List<Tool> find() throws IOException {
        List<Tool> tools = new ArrayList<>();
        for (String name : TOOLS) {
            Path bin = HostProcess.which(name, path);
            if (bin == null) {
                continue;
            }
            bin = bin.toRealPath();
            HostProcess.Result r = HostProcess.of("ldd", bin.toString()).timeout(QUICK).run();
            if (!r.ok()) {
                throw new CliException("cannot list the shared libraries of the host's " + bin + ": " + r.describeFailure(),
                        "install ldd (Debian: libc-bin) and run `terok setup` again");
            }
            tools.add(parse(name, bin, r.stdout()));
        }
        return tools;
    }

    /** Parses {@code ldd}'s output. */
    static Tool parse(String name, Path binary, String ldd) {
        Map<String, Path> libs = new LinkedHashMap<>();
        Path loader = null;
        for (String line : ldd.split("\n")) {
            Matcher m = LIB.matcher(line);
            Matcher l = LOADER.matcher(line);
            if (m.matches()) {
                if (!SAFE_NAME.matcher(m.group(1)).matches()) {
                    throw new CliException("ldd of " + binary + " names a library '" + m.group(1) + "' that is not a plain file name",
                            "check the host's " + binary);
                }
                libs.put(m.group(1), Path.of(m.group(2)));
            } else if (l.matches()) {
                loader = Path.of(l.group(1));
            } else if (line.contains("not found")) {
                throw new CliException("the host's " + binary + " misses a library: " + line.strip(), "reinstall it (Debian: apt-get install --reinstall nftables dnsmasq-base)");
            }
        }
        if (loader == null) {
            throw new CliException("ldd of the host's " + binary + " names no dynamic loader", "check the host's " + binary);
        }
        return new Tool(name, binary, libs, loader);
    }

    /** Every host file the staged directory is made of, for the image's input digest (a host upgrade rebuilds it). */
    static List<Path> inputs(List<Tool> tools) {
        List<Path> files = new ArrayList<>();
        for (Tool t : tools) {
            files.add(t.binary());
            files.add(t.loader());
            files.addAll(t.libraries().values());
        }
        return files;
    }

    /** Writes {@code dir/host-tools/} (always, empty when the host has none of the tools). */
    static void stage(List<Tool> tools, Path dir) throws IOException {
        Path root = dir.resolve(DIR);
        Files.createDirectories(root.resolve("lib"));
        Files.createDirectories(root.resolve("bin"));
        Files.createDirectories(root.resolve("sbin"));
        for (Tool t : tools) {
            Path loaderName = t.loader().getFileName();
            copy(t.loader(), root.resolve("lib").resolve(loaderName.toString()));
            for (Map.Entry<String, Path> lib : t.libraries().entrySet()) {
                copy(lib.getValue(), root.resolve("lib").resolve(lib.getKey()));
            }
            copy(t.binary(), root.resolve("bin").resolve(t.name()));
            // Resolves its own directory, so the same file runs from the staging directory (tests) and from the image.
            String wrapper = "#!/bin/sh\n# The host's " + t.name() + " (" + t.binary() + ") with the host's libraries: see terok's docs/shield.md.\n"
                    + "d=$(dirname \"$(readlink -f \"$0\")\")/..\n"
                    + "exec \"$d/lib/" + loaderName + "\" --library-path \"$d/lib\" \"$d/bin/" + t.name() + "\" \"$@\"\n";
            Path w = root.resolve("sbin").resolve(t.name());
            Files.writeString(w, wrapper, StandardCharsets.UTF_8);
            Files.setPosixFilePermissions(w, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    private static void copy(Path from, Path to) throws IOException {
        if (!Files.exists(to)) {
            Files.copy(from, to, StandardCopyOption.COPY_ATTRIBUTES);
        }
    }
}
