package io.terok.agents.image;

import io.terok.common.Printable;
import io.terok.common.ServiceException;

import java.util.Locale;

/** The package-manager family of a base image: it decides how L0 installs missing tools. */
public enum Family {
    /** Debian, Ubuntu and their derivatives: apt-get. */
    DEB,
    /** Fedora, RHEL, CentOS Stream, Rocky, Alma, Amazon Linux: dnf. */
    RPM;

    /** The {@code image.family} setting ({@code deb} or {@code rpm}). */
    public static Family parse(String setting) {
        try {
            return valueOf(setting.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw ServiceException.invalid("image.family", "'" + Printable.line(setting, 40) + "' is not deb or rpm");
        }
    }

    public String setting() {
        return name().toLowerCase(Locale.ROOT);
    }
}
