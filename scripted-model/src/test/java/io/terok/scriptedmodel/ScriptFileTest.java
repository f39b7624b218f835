package io.terok.scriptedmodel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ScriptFileTest {

    @Test
    void readsTheStepsOfAYamlList() {
        Script script = ScriptFile.parse("""
                - shell: echo terok-ok > proof.txt
                - text: I wrote proof.txt.
                - hang: true
                """, "demo.yaml");

        assertEquals(List.of(Step.shell("echo terok-ok > proof.txt"), Step.text("I wrote proof.txt."), Step.hang()),
                script.steps());
    }

    @Test
    void readsJsonAndAStepsKey() {
        Script script = ScriptFile.parse("{\"steps\":[{\"text\":\"hello\"}]}", "demo.json");
        assertEquals(List.of(Step.text("hello")), script.steps());
    }

    @Test
    void badScriptsAreRefusedNamingTheStepAndWhatToWrite() {
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> ScriptFile.parse("- text: hi\n- run: ls\n", "demo.yaml"));
        assertTrue(unknown.getMessage().contains("demo.yaml: step 2") && unknown.getMessage().contains("shell"),
                unknown.getMessage());

        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
                () -> ScriptFile.parse("[]", "demo.yaml"));
        assertTrue(empty.getMessage().contains("non-empty list"), empty.getMessage());

        IllegalArgumentException blank = assertThrows(IllegalArgumentException.class,
                () -> ScriptFile.parse("- shell: '  '", "demo.yaml"));
        assertTrue(blank.getMessage().contains("step 1: shell needs a command"), blank.getMessage());
    }
}
