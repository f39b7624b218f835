package io.terok.shield.policy;

import io.terok.common.ServiceException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Named allowlists: built-in ones shipped as resources ({@code shield/profiles/<name>.txt}) and the operator's in
 * {@code <config dir>/shield/profiles/<name>.txt}, which override a built-in of the same name. One IP, CIDR or
 * domain per line; {@code #} starts a comment. Every entry is validated; a bad one names the profile and line.
 */
public final class Profiles {
    public static final List<String> BUILTIN = List.of("base", "dev-standard", "python", "node", "rust", "go", "cdn-wide", "containers",
            "login-openai", "login-anthropic");

    /** {@code ports}: the ports a domain line names (canonical domain to ports); absent: {@link Policy#DEFAULT_PORTS}. */
    public record Profile(String name, List<Target> entries, String origin, Map<String, List<Integer>> ports) {
        public Profile(String name, List<Target> entries, String origin) {
            this(name, entries, origin, Map.of());
        }
    }

    private record Parsed(List<Target> entries, Map<String, List<Integer>> ports) {
    }

    private final Path userDir;

    public Profiles(Path userDir) {
        this.userDir = userDir;
    }

    public Profile get(String field, String name) {
        Targets.matching(field, name, Targets.PROFILE_NAME, "profile name");
        Path user = userDir == null ? null : userDir.resolve(name + ".txt");
        if (user != null && Files.isRegularFile(user)) {
            try {
                Parsed p = parseLines(name, Files.readString(user, StandardCharsets.UTF_8));
                return new Profile(name, p.entries(), "user", p.ports());
            } catch (IOException e) {
                throw ServiceException.invalid(field, "cannot read profile " + user + ": " + e.getMessage());
            }
        }
        if (BUILTIN.contains(name)) {
            try (InputStream in = Profiles.class.getResourceAsStream("/shield/profiles/" + name + ".txt")) {
                if (in != null) {
                    Parsed p = parseLines(name, new String(in.readAllBytes(), StandardCharsets.UTF_8));
                    return new Profile(name, p.entries(), "builtin", p.ports());
                }
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
        throw ServiceException.invalid(field, "unknown profile '" + name + "' (known: " + String.join(", ", names()) + ")");
    }

    public List<String> names() {
        Map<String, Boolean> all = new LinkedHashMap<>();
        BUILTIN.forEach(n -> all.put(n, true));
        if (userDir != null && Files.isDirectory(userDir)) {
            try (var s = Files.list(userDir)) {
                s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".txt"))
                        .map(n -> n.substring(0, n.length() - 4))
                        .filter(n -> Targets.PROFILE_NAME.matcher(n).matches()).sorted().forEach(n -> all.put(n, true));
            } catch (IOException e) {
                // unreadable user dir: built-ins only
            }
        }
        return List.copyOf(all.keySet());
    }

    public List<Profile> all() {
        List<Profile> out = new ArrayList<>();
        for (String n : names()) {
            try {
                out.add(get("profile", n));
            } catch (ServiceException e) {
                // listed with what it says is wrong
                out.add(new Profile(n, List.of(), "invalid: " + e.getMessage()));
            }
        }
        return out;
    }

    static List<Target> parse(String name, String text) {
        return parseLines(name, text).entries();
    }

    /**
     * One entry a line, optionally followed by the ports a domain opens ({@code github.com 22 443}); a domain line
     * without ports opens {@link Policy#DEFAULT_PORTS}. Addresses and networks take no ports (they open every port:
     * an operator's explicit entry).
     */
    private static Parsed parseLines(String name, String text) {
        List<Target> out = new ArrayList<>();
        Map<String, List<Integer>> ports = new LinkedHashMap<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String l = lines[i];
            int hash = l.indexOf('#');
            if (hash >= 0) {
                l = l.substring(0, hash);
            }
            l = l.strip();
            if (l.isEmpty()) {
                continue;
            }
            String where = "profile " + name + " line " + (i + 1);
            String[] words = l.split("\\s+");
            Target t = Targets.parse(where, words[0]);
            out.add(t);
            if (words.length > 1) {
                if (t.kind() != Target.Kind.DOMAIN) {
                    throw ServiceException.invalid(where, "ports are for domain lines ('" + words[0] + "' is an address or network,"
                            + " which opens every port); write 'DOMAIN PORT...', e.g. 'github.com 22 443'");
                }
                List<Integer> ps = new ArrayList<>(ports.getOrDefault(t.canonical(), List.of()));
                for (int w = 1; w < words.length; w++) {
                    int port;
                    try {
                        port = Integer.parseInt(words[w]);
                    } catch (NumberFormatException e) {
                        port = -1;
                    }
                    if (port < 1 || port > 65535) {
                        throw ServiceException.invalid(where, "'" + words[w] + "' is not a port (1-65535); write 'DOMAIN PORT...', e.g. 'github.com 22 443'");
                    }
                    ps.add(port);
                }
                ports.put(t.canonical(), ps);
            }
        }
        return new Parsed(out, ports);
    }
}
