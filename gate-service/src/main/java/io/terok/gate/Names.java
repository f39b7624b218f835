package io.terok.gate;

import java.net.URI;
import java.util.regex.Pattern;
import org.eclipse.jgit.lib.Repository;

/** Validation of what callers name: projects, branches, upstream URLs, host addresses. */
public final class Names {
    public static final Pattern PROJECT = Pattern.compile("[a-z0-9][a-z0-9_.-]{0,62}");
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9.:\\[\\]-]{1,253}");

    private Names() {
    }

    public static String project(String field, String name) {
        if (name == null || name.isEmpty()) {
            throw GateException.invalid(field, "must not be empty");
        }
        if (!PROJECT.matcher(name).matches() || name.contains("..") || name.endsWith(".git")) {
            throw GateException.invalid(field, "'" + name + "' is not a project name (expected [a-z0-9][a-z0-9_.-]{0,62}, "
                    + "no '..', not ending in .git)");
        }
        return name;
    }

    /** A branch name as git accepts it under refs/heads/ (given with or without that prefix). */
    public static String branch(String field, String name) {
        if (name == null || name.isEmpty()) {
            throw GateException.invalid(field, "must not be empty");
        }
        String b = name.startsWith("refs/heads/") ? name.substring("refs/heads/".length()) : name;
        if (b.isEmpty() || b.startsWith("-") || !Repository.isValidRefName("refs/heads/" + b)) {
            throw GateException.invalid(field, "'" + name + "' is not a valid branch name");
        }
        return b;
    }

    /** scp-like ssh: {@code user@host:path} (a user is required, so that nothing else reads as ssh). */
    private static final Pattern SCP = Pattern.compile("([A-Za-z0-9_][A-Za-z0-9._-]{0,63})@([A-Za-z0-9][A-Za-z0-9.-]{0,252}):([^:/-].*|/.+)");
    private static final Pattern SSH_HOST = Pattern.compile("[A-Za-z0-9][A-Za-z0-9.-]{0,252}|\\[[0-9A-Fa-f:.]+\\]");
    private static final Pattern SSH_USER = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,63}");

    /** Whether the gate reaches this (validated) upstream over ssh, with the vault's agent. */
    public static boolean isSsh(String url) {
        return url != null && (url.regionMatches(true, 0, "ssh://", 0, 6) || SCP.matcher(url).matches());
    }

    /**
     * Upstream URLs the gate fetches from: file:// with an absolute path, http(s)://, ssh://[user@]host[:port]/path and
     * the scp-like user@host:path (ssh goes through the vault's agent; see {@code io.terok.gate.ssh}). Host and user are
     * checked strictly: they end up on ssh's command line.
     */
    public static String upstream(String field, String url) {
        if (url == null || url.isEmpty()) {
            return "";
        }
        if (url.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw GateException.invalid(field, "must not contain control characters");
        }
        if (SCP.matcher(url).matches()) {
            return url;
        }
        URI uri;
        try {
            uri = URI.create(url);
        } catch (IllegalArgumentException e) {
            throw GateException.invalid(field, "'" + url + "' is not a URL: " + e.getMessage());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase();
        switch (scheme) {
            case "file" -> {
                if (uri.getPath() == null || !uri.getPath().startsWith("/") || uri.getPath().contains("/../")
                        || (uri.getHost() != null && !uri.getHost().isEmpty())) {
                    throw GateException.invalid(field, "file URLs must be file:///absolute/path");
                }
            }
            case "http", "https" -> {
                if (uri.getHost() == null || uri.getHost().isEmpty()) {
                    throw GateException.invalid(field, "'" + url + "' has no host");
                }
                if (uri.getRawUserInfo() != null) {
                    // A credential in the URL would end up in the project's metadata, logs and messages.
                    throw GateException.invalid(field, "must not carry a user or password (" + scheme + "://USER@...): store the"
                            + " upstream's token in the vault instead (`terok vault add github`, `terok vault add gitlab`, or a provider"
                            + " with terok.vault.providers.NAME.git-hosts); see docs/gate.md");
                }
            }
            case "ssh" -> {
                String host = uri.getHost();
                if (host == null || !SSH_HOST.matcher(host).matches()) {
                    throw GateException.invalid(field, "'" + url + "': expected ssh://[user@]host[:port]/path with a plain host name or address");
                }
                if (uri.getUserInfo() != null && !SSH_USER.matcher(uri.getUserInfo()).matches()) {
                    throw GateException.invalid(field, "'" + url + "': the user must be [A-Za-z0-9_][A-Za-z0-9._-]* (no password)");
                }
                if (uri.getPath() == null || uri.getPath().length() < 2 || uri.getQuery() != null || uri.getFragment() != null) {
                    throw GateException.invalid(field, "'" + url + "': no repository path");
                }
            }
            default -> throw GateException.invalid(field, "'" + url + "': expected file:///path, https://, http://, ssh://[user@]host[:port]/path or user@host:path");
        }
        return url;
    }

    /** Where the task reaches the host's loopback: an IP literal or host name, no port, no path. */
    public static String hostAddress(String field, String host) {
        if (host == null || host.isEmpty()) {
            return "127.0.0.1";
        }
        if (!HOST.matcher(host).matches()) {
            throw GateException.invalid(field, "'" + host + "' is not an address or host name");
        }
        return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    }
}
