package io.diffrl4j.examples.shapes.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How a comparison is cut into the processes that run side by side. */
class SideBySideTest {
    private static ShapesComparison.Plan plan(List<ShapesTask> tasks, List<String> methods) {
        return new ShapesComparison.Plan(1, 2, 2, 2, 2, List.of(1L), tasks, methods, Path.of("runs"), Path.of("r.md"), "t");
    }

    @Test
    void severalTasksGetALaneEachOneTaskDealsItsMethodsOverTheProcessors() {
        List<String> all = List.of("gardo", "flow-grpo", "flow-grpo-kl", "diffusion-nft", "crd");
        List<SideBySide.Lane> byTask = SideBySide.lanes(plan(List.of(ShapesTask.GENEVAL, ShapesTask.COMPRESSIBILITY), all), 2);
        assertEquals(List.of("geneval", "compressibility"), byTask.stream().map(SideBySide.Lane::name).toList());
        assertEquals(all, byTask.get(1).methods());
        List<SideBySide.Lane> byMethod = SideBySide.lanes(plan(List.of(ShapesTask.COMPRESSIBILITY), all), 2);
        assertEquals(List.of("gardo+flow-grpo-kl+crd", "flow-grpo+diffusion-nft"),
                byMethod.stream().map(SideBySide.Lane::name).toList());
        assertEquals(List.of("flow-grpo", "diffusion-nft"), byMethod.get(1).methods());
        assertEquals(1, SideBySide.lanes(plan(List.of(ShapesTask.COMPRESSIBILITY), all), 1).size());
        assertEquals(2, SideBySide.lanes(plan(List.of(ShapesTask.COMPRESSIBILITY), List.of("flow-grpo", "gardo")), 16).size());
    }
}
