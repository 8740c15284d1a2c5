package io.diffrl4j.core.weights;

import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

/** Shared fixture for the weights tests: one {@link NDManager} per test class and a fresh temporary folder per test. */
abstract class ManagedTestBase {

    static NDManager manager;

    @TempDir
    Path dir;

    @BeforeAll
    static void openManager() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void closeManager() {
        manager.close();
    }
}
