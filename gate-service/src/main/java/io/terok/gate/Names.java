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

    /**
     * Upstream URLs the gate can fetch from today: file:// with an absolute path, http(s)://. ssh needs the
     * vault's signer and is refused until it exists (fail closed rather than use the service's own keys).
     */
    public static String upstream(String field, String url) {
        if (url == null || url.isEmpty()) {
            return "";
        }
        if (url.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw GateException.invalid(field, "must not contain control characters");
        }
        URI uri;
        try {
            uri = URI.create(url);
        } catch (IllegalArgumentException e) {
            if (url.matches("[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:.*")) {
                throw GateException.invalid(field, "ssh upstreams need the vault's SSH signer, which is not available yet");
            }
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
            }
            case "ssh" -> throw GateException.invalid(field, "ssh upstreams need the vault's SSH signer, which is not available yet");
            default -> {
                if (url.matches("[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:.*")) {
                    throw GateException.invalid(field, "ssh upstreams need the vault's SSH signer, which is not available yet");
                }
                throw GateException.invalid(field, "'" + url + "': expected file:///path, https:// or http://");
            }
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
