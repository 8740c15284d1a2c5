package io.diffrl4j.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.diffrl4j.core.method.Method;
import io.diffrl4j.core.objective.TrainingProgress;
import io.diffrl4j.core.reward.Prompt;
import io.diffrl4j.core.reward.RewardBatch;
import io.diffrl4j.examples.GardoZScoreGateExample;
import io.diffrl4j.regularizers.gardo.AdaptiveReference;
import io.diffrl4j.methods.gardo.Gardo;
import io.diffrl4j.regularizers.gardo.GatedKl;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The user-facing example of a custom GARDO strategy: its uncertainty, and training with it. */
class GardoExampleTest {
    @Test
    void theZScoreGateMeasuresWhatItSays() {
        double[] proxy = {1, 2, 3, 4};
        double[] aux = {4, 3, 2, 1};
        Map<String, double[]> scores = new LinkedHashMap<>();
        scores.put("proxy", proxy);
        scores.put("aux", aux);
        List<Prompt> prompts = new ArrayList<>(java.util.Collections.nCopies(4, Prompt.of("p")));
        Method gardo = GardoZScoreGateExample.install(
                Gardo.on(Gardo.flowGrpoBase(), GatedKl.builder(), AdaptiveReference.flowGrpo()));
        GardoZScoreGateExample gate = assertInstanceOf(GardoZScoreGateExample.class, gardo.regularizers().get(0));
        gate.onEpochScored(new RewardBatch("proxy", scores, null, prompts, 2), new TrainingProgress(0, 0));
        // z(proxy) = (r - 2.5) / sqrt(1.25), z(aux) = -z(proxy): U = 2 z(proxy).
        double s = Math.sqrt(1.25);
        assertArrayEquals(new double[] {-3 / s, -1 / s, 1 / s, 3 / s}, gate.currentUncertainty(), 1e-12);
        // Non-negative {1/s, 3/s}; the 90th percentile lies between them: only image 3 is gated.
        assertArrayEquals(new boolean[] {false, false, false, true}, gate.currentGate());
    }

    @Test
    void gardoWithTheZScoreGateTrains() throws Exception {
        Method gardo = GardoZScoreGateExample.install(GardoLearnTest.gardoOnGrpo());
        GardoLearnTest.Run run = GardoLearnTest.run(gardo, GardoLearnTest.grpoTrainer());
        GardoLearnTest.report("GARDO with the z-score gate", run);
        GardoLearnTest.assertLearns("z-score gate", run, 0.5);
        GardoLearnTest.assertGateLogged("z-score gate", run);
        assertEquals(1, run.renewals());
    }
}
