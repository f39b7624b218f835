package io.terok.clearance.domain;

public enum Decision {
    ALLOW, DENY
}
