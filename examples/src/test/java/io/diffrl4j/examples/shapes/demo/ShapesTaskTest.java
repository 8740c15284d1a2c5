package io.diffrl4j.examples.shapes.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.diffrl4j.core.reward.ImageBatch;
import io.diffrl4j.core.reward.Prompt;
import io.diffrl4j.core.reward.RewardFunction;
import io.diffrl4j.examples.shapes.Palette;
import io.diffrl4j.examples.shapes.Scene;
import io.diffrl4j.examples.shapes.SceneObject;
import io.diffrl4j.examples.shapes.ShapeKind;
import io.diffrl4j.examples.shapes.ShapesRenderer;
import io.diffrl4j.examples.shapes.rewards.ShapeRegularityReward;
import io.diffrl4j.rewards.image.JpegCompressibilityReward;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The compressibility task: its proxy's scale, and what its gate's auxiliary says about the hack. */
class ShapesTaskTest {
    private static final int S = ShapesRenderer.SIZE;

    private static ImageBatch one(Scene scene) {
        return new ImageBatch(ShapesRenderer.render(scene), 1, 3, S, S);
    }

    private static final List<Prompt> PROMPT = List.of(Prompt.of("a red square"));

    @Test
    void aBlankImageMaximisesTheProxyAndHasNoRegularShape() throws Exception {
        ImageBatch blank = one(new Scene(List.of()));
        ImageBatch busy = one(new Scene(List.of(new SceneObject(ShapeKind.SQUARE, Palette.RED, 8, 8, 8),
                new SceneObject(ShapeKind.CIRCLE, Palette.BLUE, 22, 22, 10),
                new SceneObject(ShapeKind.TRIANGLE, Palette.GREEN, 24, 8, 8))));
        try (NDManager m = NDManager.newBaseManager()) {
            RewardFunction proxy = ShapesTask.COMPRESSIBILITY.proxy(m);
            assertEquals("reward/compressibility/mean", ShapesTask.COMPRESSIBILITY.metricKey());
            double raw = new JpegCompressibilityReward().score(blank, PROMPT)[0];
            double blankScore = proxy.score(blank, PROMPT)[0];
            double busyScore = proxy.score(busy, PROMPT)[0];
            // A blank 32 x 32 JPEG is about 0.64 kB (headers and tables), 3.3 scales above the centre.
            // The fixed map, written out: 1 / (1 + exp(-(raw - center) / scale)).
            assertEquals(1 / (1 + Math.exp(-(raw + 1.07) / 0.13)), blankScore, 1e-12);
            assertTrue(blankScore > 0.95, "blank scores " + blankScore + " (raw " + raw + " kB)");
            assertTrue(busyScore < blankScore, "three shapes " + busyScore + " vs blank " + blankScore);
        }
        List<RewardFunction> aux = ShapesTask.COMPRESSIBILITY.auxiliaries();
        assertEquals(List.of(ShapeRegularityReward.NAME), aux.stream().map(RewardFunction::name).toList());
        assertEquals(0.0, aux.get(0).score(blank, PROMPT)[0], 0);
        assertEquals(1.0, aux.get(0).score(busy, PROMPT)[0], 1e-9);
        assertEquals(2, ShapesTask.GENEVAL.auxiliaries().size());
    }
}
