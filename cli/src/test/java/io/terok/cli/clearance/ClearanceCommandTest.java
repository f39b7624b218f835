package io.terok.cli.clearance;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.terok.api.v1.ClearanceRequest;
import org.junit.jupiter.api.Test;

class ClearanceCommandTest {
    @Test
    void whatATaskControlsCannotReachTheTerminalAsEscapes() {
        ClearanceRequest r = ClearanceRequest.newBuilder().setId("7").setTaskName("t\u001b[2J").setDestinationIp("192.0.2.1")
                .setDestinationPort(443).setProtocol("tcp").setDomain("evil\u202e.example\r").setCount(2).build();
        assertEquals("t?[2J -> 192.0.2.1:443/tcp (evil?.example?) x2  [request 7]", ClearanceCommand.describe(r));
    }
}
