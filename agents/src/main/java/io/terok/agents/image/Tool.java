package io.terok.agents.image;

import java.util.List;
import java.util.regex.Pattern;

/**
 * One tool L0 guarantees: how to tell it is there (a command on PATH, or a file) and which packages provide it in
 * each family. L0 installs only the packages of tools that are missing, so a base that has them all (the CI base)
 * downloads nothing.
 *
 * @param check   a command name, or an absolute path that must exist (on Debian-family bases)
 * @param rpmCheck the same for rpm-family bases (they keep some files elsewhere)
 * @param debPkgs apt packages (Debian, Ubuntu)
 * @param rpmPkgs dnf packages (Fedora and relatives)
 */
public record Tool(String check, String rpmCheck, List<String> debPkgs, List<String> rpmPkgs) {
    private static final Pattern CHECK = Pattern.compile("/?[A-Za-z0-9._+-]+(/[A-Za-z0-9._+-]+)*");
    private static final Pattern PKG = Pattern.compile("[a-z0-9][a-z0-9.+-]*");

    public Tool {
        debPkgs = List.copyOf(debPkgs);
        rpmPkgs = List.copyOf(rpmPkgs);
        // These land in a shell script in the Containerfile: only plain names, never shell syntax.
        if (!CHECK.matcher(check).matches() || !CHECK.matcher(rpmCheck).matches()) {
            throw new IllegalArgumentException("bad tool check: " + check + " / " + rpmCheck);
        }
        for (String p : debPkgs) {
            if (!PKG.matcher(p).matches()) {
                throw new IllegalArgumentException("bad package name: " + p);
            }
        }
        for (String p : rpmPkgs) {
            if (!PKG.matcher(p).matches()) {
                throw new IllegalArgumentException("bad package name: " + p);
            }
        }
    }

    public static Tool of(String check, String deb, String rpm) {
        return new Tool(check, check, List.of(deb.split(" ")), List.of(rpm.split(" ")));
    }

    public String check(Family family) {
        return family == Family.DEB ? check : rpmCheck;
    }

    public List<String> packages(Family family) {
        return family == Family.DEB ? debPkgs : rpmPkgs;
    }

    /**
     * What a coding agent needs in its image: git, curl, CA certificates, an ssh client, ripgrep, jq, bash, a compiler
     * toolchain, python3, ps. On Ubuntu, ripgrep is in "universe"; on RHEL-like bases it is in EPEL (docs/agents.md).
     */
    public static final List<Tool> DEFAULTS = List.of(
            of("git", "git", "git"),
            of("curl", "curl", "curl"),
            new Tool("/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt",
                    List.of("ca-certificates"), List.of("ca-certificates")),
            of("ssh", "openssh-client", "openssh-clients"),
            of("rg", "ripgrep", "ripgrep"),
            of("jq", "jq", "jq"),
            of("bash", "bash", "bash"),
            of("cc", "build-essential", "gcc gcc-c++ make"),
            of("make", "make", "make"),
            of("python3", "python3", "python3"),
            of("ps", "procps", "procps-ng"),
            of("useradd", "passwd", "shadow-utils"));
}
