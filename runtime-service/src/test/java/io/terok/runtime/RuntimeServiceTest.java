package io.terok.runtime;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** A test class that drives the running service over its socket: one connection for the whole class. */
abstract class RuntimeServiceTest {
    static RuntimeApi api;

    @BeforeAll
    static void connect() {
        api = new RuntimeApi();
    }

    @AfterAll
    static void disconnect() {
        api.close();
    }
}
