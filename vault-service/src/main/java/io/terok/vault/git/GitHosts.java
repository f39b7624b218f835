package io.terok.vault.git;

import io.terok.vault.broker.RouteTable;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Which provider's credential opens which git host: shipped defaults (github → github.com as {@code x-access-token},
 * gitlab → gitlab.com as {@code oauth2}), overridable and extendable per provider through
 * {@code terok.vault.providers.<name>.git-hosts|git-user}. A host is {@code host} (port 443) or {@code host:port};
 * the credential goes to exactly that authority, never to another port or host. One host belongs to one provider.
 */
public final class GitHosts {
    /** Per-provider overrides; empty fields keep the default. */
    public record Override(Optional<List<String>> hosts, Optional<String> user) {
    }

    /** A git host and whose credential opens it, with the user name to send. */
    public record Entry(String authority, String provider, String user) {
    }

    private record Spec(List<String> hosts, String user) {
    }

    private final Map<String, Entry> byAuthority = new TreeMap<>();
    private final Map<String, Spec> byProvider = new TreeMap<>();

    private GitHosts() {
    }

    /**
     * @throws IllegalArgumentException naming the configuration key: a malformed host, a host claimed by two providers,
     *     hosts for a provider without a route (its credential could not be stored) or without a user
     */
    public static GitHosts of(RouteTable routes, Map<String, Override> overrides) {
        Map<String, Spec> specs = new LinkedHashMap<>();
        specs.put("github", new Spec(List.of("github.com"), "x-access-token"));
        specs.put("gitlab", new Spec(List.of("gitlab.com"), "oauth2"));
        overrides.forEach((name, o) -> {
            Spec base = specs.get(name);
            List<String> hosts = o.hosts().orElse(base == null ? List.of() : base.hosts());
            String user = o.user().filter(u -> !u.isBlank()).orElse(base == null ? null : base.user());
            if (hosts.isEmpty() && base == null) {
                return;
            }
            if (user == null) {
                throw new IllegalArgumentException("terok.vault.providers." + name + ".git-user: required with git-hosts (the user"
                        + " name the git host expects with a token, e.g. x-access-token for GitHub, oauth2 for GitLab)");
            }
            if (!user.matches("[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}")) {
                throw new IllegalArgumentException("terok.vault.providers." + name + ".git-user: '" + user + "' is not a user name");
            }
            specs.put(name, new Spec(List.copyOf(hosts), user));
        });
        GitHosts t = new GitHosts();
        specs.forEach((name, spec) -> {
            if (spec.hosts().isEmpty()) {
                return;
            }
            if (routes.get(name).isEmpty()) {
                throw new IllegalArgumentException("terok.vault.providers." + name + ".git-hosts: provider " + name
                        + " has no route; give it an upstream (terok.vault.providers." + name + ".upstream) so its credential can be stored");
            }
            List<String> normal = new ArrayList<>();
            for (String h : spec.hosts()) {
                String a = authority(name, h);
                Entry prev = t.byAuthority.putIfAbsent(a, new Entry(a, name, spec.user()));
                if (prev != null) {
                    throw new IllegalArgumentException("terok.vault.providers." + name + ".git-hosts: " + h
                            + " is already a git host of provider " + prev.provider() + "; a host has one credential");
                }
                normal.add(display(a));
            }
            t.byProvider.put(name, new Spec(List.copyOf(normal), spec.user()));
        });
        return t;
    }

    /** {@code host:port}, lower case, port 443 when absent. */
    static String authority(String provider, String configured) {
        String h = configured == null ? "" : configured.trim();
        URI u;
        try {
            u = URI.create("https://" + h);
        } catch (IllegalArgumentException e) {
            u = null;
        }
        if (h.isEmpty() || u == null || u.getHost() == null || u.getRawUserInfo() != null || !u.getRawPath().isEmpty()
                || u.getRawQuery() != null || u.getRawFragment() != null) {
            throw new IllegalArgumentException("terok.vault.providers." + provider + ".git-hosts: '" + configured
                    + "' is not a host or host:port");
        }
        return u.getHost().toLowerCase(Locale.ROOT) + ":" + (u.getPort() > 0 ? u.getPort() : 443);
    }

    private static String display(String authority) {
        return authority.endsWith(":443") ? authority.substring(0, authority.length() - 4) : authority;
    }

    /** The entry for an https URL's host and port (443 when absent). */
    public Optional<Entry> match(URI url) {
        if (url.getHost() == null) {
            return Optional.empty();
        }
        String a = url.getHost().toLowerCase(Locale.ROOT) + ":" + (url.getPort() > 0 ? url.getPort() : 443);
        return Optional.ofNullable(byAuthority.get(a));
    }

    /** The hosts of a provider as configured (host, or host:port when not 443). */
    public List<String> hosts(String provider) {
        Spec s = byProvider.get(provider);
        return s == null ? List.of() : s.hosts();
    }

    public String user(String provider) {
        Spec s = byProvider.get(provider);
        return s == null ? "" : s.user();
    }
}
