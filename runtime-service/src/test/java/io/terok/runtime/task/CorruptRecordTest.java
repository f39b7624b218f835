package io.terok.runtime.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.terok.api.v1.Task;
import io.terok.common.ServiceException;
import io.terok.runtime.fake.FakeRuntime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A task record damaged on disk (by hand, a broken disk, another tool): the error names the file and says what to do,
 * the other tasks are listed and work as before, and a lookup that may have meant the damaged task says so.
 */
class CorruptRecordTest {
    @Test
    void aCorruptRecordIsNamedAndTheOtherTasksAreUnaffected(@TempDir Path dir) throws Exception {
        FakeRuntime rt = new FakeRuntime(dir);
        Task good = rt.tasks.launch(FakeRuntime.request(FakeRuntime.everything().setName("good")));
        Task bad = rt.tasks.launch(FakeRuntime.request(FakeRuntime.everything().setName("bad")));
        Path badFile = rt.store.dir().resolve(bad.getId() + ".json");
        Files.writeString(badFile, "{\"id\": \"" + bad.getId() + "\", \"name\": \"bad\", \"wiring\": {\"shieldAppl");
        // a record copied under another task's file name is refused too: its id would point at the wrong file
        Path moved = rt.store.dir().resolve("0".repeat(32) + ".json");
        Files.writeString(moved, Files.readString(rt.store.dir().resolve(good.getId() + ".json")));

        assertEquals(List.of("good"), rt.tasks.list(true).stream().map(Task::getName).toList(), "the other task is listed");
        List<String> unreadable = rt.tasks.unreadableRecords();
        assertEquals(2, unreadable.size(), unreadable.toString());
        assertTrue(unreadable.stream().anyMatch(l -> l.startsWith(badFile + ": ")), unreadable.toString());
        assertTrue(unreadable.stream().anyMatch(l -> l.startsWith(moved + ": ") && l.contains("does not match its file name")),
                unreadable.toString());

        ServiceException e = assertThrows(ServiceException.class, () -> rt.tasks.inspect("bad"));
        assertEquals(ServiceException.Kind.NOT_FOUND, e.kind());
        assertTrue(e.getMessage().contains("2 task record(s) could not be read, it may be one of them: ")
                && e.getMessage().contains(badFile.toString()), e.getMessage());
        ServiceException byId = assertThrows(ServiceException.class, () -> rt.tasks.revokeCredentials(bad.getId()));
        assertTrue(byId.getMessage().contains(badFile.toString()), byId.getMessage());

        rt.tasks.stop("good", 1);
        rt.tasks.start("good");
        assertEquals(List.of(), rt.tasks.remove("good", true).getWarningsList(), "the other task works as before");
    }
}
