package io.terok.agents.stage;

import java.util.regex.Pattern;

/**
 * An npm package at an exact version, as staged on the host: {@link #contextDir()} is where its {@code npm install}
 * lands inside the stage directory, which is also the image build context. The name is derived from the package
 * and version only, so every plan that needs the same package reuses the same staged copy.
 */
public record NpmPackage(String name, String version) {
    private static final Pattern NAME = Pattern.compile("(@[a-z0-9][a-z0-9._-]{0,100}/)?[a-z0-9][a-z0-9._-]{0,100}");
    private static final Pattern VERSION =
            Pattern.compile("[0-9]{1,9}\\.[0-9]{1,9}\\.[0-9]{1,9}([-+][0-9A-Za-z.-]{1,64})?");

    public NpmPackage {
        // Both end up in paths, Containerfiles and npm's argv: only the strict forms are accepted.
        if (!NAME.matcher(name).matches() || !VERSION.matcher(version).matches()) {
            throw new IllegalArgumentException("not an exact npm package version: " + name + "@" + version);
        }
    }

    /** {@code @openai/codex} 0.171.0 becomes {@code npm/openai+codex@0.171.0}. */
    public String contextDir() {
        return "npm/" + name.replace("@", "").replace('/', '+') + "@" + version;
    }

    /** {@code name@version}, as npm takes it. */
    public String spec() {
        return name + "@" + version;
    }

    @Override
    public String toString() {
        return spec();
    }
}
