package io.diffrl4j.benchmarks.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.junit.jupiter.api.Test;

class ArgsTest {
    @Test
    void parsesKnownOptionsWithDefaults() {
        Args a = Args.parse(new String[] {"--epochs", "5", "--profile", "false"}, Set.of("epochs", "profile", "model"));
        assertEquals(5, a.getInt("epochs", 1));
        assertEquals("shapes", a.get("model", "shapes"));
        assertEquals(false, a.getBoolean("profile", true));
    }

    @Test
    void rejectsUnknownOptionsAndBadValues() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Args.parse(new String[] {"--epoch", "5"}, Set.of("epochs")));
        assertTrue(e.getMessage().contains("--epoch"));
        assertThrows(IllegalArgumentException.class, () -> Args.parse(new String[] {"--epochs"}, Set.of("epochs")));
        Args a = Args.parse(new String[] {"--epochs", "x"}, Set.of("epochs"));
        assertThrows(IllegalArgumentException.class, () -> a.getInt("epochs", 1));
    }
}
