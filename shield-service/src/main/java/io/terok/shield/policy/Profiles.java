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
    public static final List<String> BUILTIN = List.of("base", "dev-standard", "python", "node", "rust", "go", "cdn-wide", "containers");

    public record Profile(String name, List<Target> entries, String origin) {
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
                return new Profile(name, parse(name, Files.readString(user, StandardCharsets.UTF_8)), "user");
            } catch (IOException e) {
                throw ServiceException.invalid(field, "cannot read profile " + user + ": " + e.getMessage());
            }
        }
        if (BUILTIN.contains(name)) {
            try (InputStream in = Profiles.class.getResourceAsStream("/shield/profiles/" + name + ".txt")) {
                if (in != null) {
                    return new Profile(name, parse(name, new String(in.readAllBytes(), StandardCharsets.UTF_8)), "builtin");
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
        List<Target> out = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String l = lines[i];
            int hash = l.indexOf('#');
            if (hash >= 0) {
                l = l.substring(0, hash);
            }
            l = l.strip();
            if (!l.isEmpty()) {
                out.add(Targets.parse("profile " + name + " line " + (i + 1), l));
            }
        }
        return out;
    }
}
